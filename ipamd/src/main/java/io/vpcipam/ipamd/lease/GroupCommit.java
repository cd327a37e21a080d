package io.vpcipam.ipamd.lease;

import java.io.IOException;
import java.util.function.Supplier;

/**
 * Makes every lease change durable before it is acknowledged, while many concurrent changes share one write.
 *
 * <p>A change (made under the pool lock) calls {@link #changed()} and gets a version number; after releasing the
 * lock it calls {@link #awaitDurable(long)}. One writer thread takes the current state (through the supplier,
 * which reads it under the pool lock together with the version it reflects), writes it with fsyncs, and wakes every
 * change up to that version. With 64 clients, one fsync covers all changes made while the previous one ran.
 */
public final class GroupCommit implements AutoCloseable {

    /** The state to write and the last change version it includes. */
    public record Versioned(CheckpointState state, long version) {
    }

    private final Checkpoint checkpoint;
    private final Supplier<Versioned> source;
    private final Thread writer;
    private long requested;   // guarded by this
    private long durable;     // guarded by this
    private long failedUpTo;  // guarded by this: the newest version whose write attempt failed
    private IOException lastFailure; // guarded by this
    private boolean closed;   // guarded by this

    /** Starts the writer thread. {@code source} is called on it, never under this object's monitor. */
    public GroupCommit(Checkpoint checkpoint, Supplier<Versioned> source) {
        this.checkpoint = checkpoint;
        this.source = source;
        this.writer = Thread.ofPlatform().daemon().name("checkpoint-writer").start(this::run);
    }

    /** Records that the state changed; call under the pool lock. Returns the change's version. */
    public synchronized long changed() {
        long v = ++requested;
        notifyAll();
        return v;
    }

    /** The version of the last change, for reads that must see durable state. */
    public synchronized long latest() {
        return requested;
    }

    /**
     * Waits until a write that includes change {@code version} is on disk.
     *
     * @throws IOException if that write failed (the change is not durable)
     */
    public synchronized void awaitDurable(long version) throws IOException, InterruptedException {
        while (durable < version) {
            if (failedUpTo >= version) {
                throw new IOException("checkpoint write failed: " + lastFailure.getMessage(), lastFailure);
            }
            if (closed) {
                throw new IOException("checkpoint writer is closed");
            }
            wait();
        }
    }

    private void run() {
        while (true) {
            synchronized (this) {
                while (requested == durable && !closed || requested == failedUpTo && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed && requested == durable) {
                    return;
                }
            }
            Versioned snapshot = source.get();
            try {
                checkpoint.write(snapshot.state());
                synchronized (this) {
                    durable = Math.max(durable, snapshot.version());
                    notifyAll();
                }
            } catch (IOException | RuntimeException e) {
                synchronized (this) {
                    failedUpTo = Math.max(failedUpTo, snapshot.version());
                    lastFailure = e instanceof IOException io ? io : new IOException(e);
                    notifyAll();
                    if (closed) {
                        return;
                    }
                }
            }
        }
    }

    /** Writes what is pending, then stops the writer. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
