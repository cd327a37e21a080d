package io.vpcipam.ipamd.lease;

import java.io.IOException;
import java.util.function.Supplier;

/**
 * Makes every lease change durable before it is acknowledged, while concurrent changes share one write.
 *
 * <p>A change (made under the pool lock) calls {@link #changed()} and gets a version number; after releasing the
 * lock it calls {@link #awaitDurable(long)}. The first waiter that finds no write in progress becomes the writer: it
 * takes the current state (through the supplier, which reads it under the pool lock together with the version it
 * reflects), writes it with its fsyncs, and wakes every change up to that version. Changes made while a write runs
 * are covered by the next one, written by one of their own waiters. No writer thread: an uncontended ADD pays one
 * write and no thread hand-off; 64 concurrent ADDs pay a few writes between them.
 */
public final class GroupCommit implements AutoCloseable {

    /** The state to write and the last change version it includes. */
    public record Versioned(CheckpointState state, long version) {
    }

    /** Told about each checkpoint write (for metrics); called on the writing thread, outside every lock. */
    @FunctionalInterface
    public interface WriteObserver {
        /** One write took {@code nanos}; {@code ok} is false if it failed. */
        void written(long nanos, boolean ok);
    }

    private final Checkpoint checkpoint;
    private final Supplier<Versioned> source;
    private final WriteObserver observer;
    private long requested;   // guarded by this
    private long durable;     // guarded by this
    private long failedUpTo;  // guarded by this: the newest version whose write attempt failed
    private IOException lastFailure; // guarded by this
    private boolean writing;  // guarded by this
    private boolean closed;   // guarded by this

    /** {@code source} is called by a writing waiter, never under this object's monitor. */
    public GroupCommit(Checkpoint checkpoint, Supplier<Versioned> source) {
        this(checkpoint, source, (nanos, ok) -> { });
    }

    /** As {@link #GroupCommit(Checkpoint, Supplier)}, telling {@code observer} about each write. */
    public GroupCommit(Checkpoint checkpoint, Supplier<Versioned> source, WriteObserver observer) {
        this.checkpoint = checkpoint;
        this.source = source;
        this.observer = observer;
    }

    /** Records that the state changed; call under the pool lock. Returns the change's version. */
    public synchronized long changed() {
        return ++requested;
    }

    /** The version of the last change, for reads that must see durable state. */
    public synchronized long latest() {
        return requested;
    }

    /**
     * Returns once a write that includes change {@code version} is on disk, writing it if no one else is.
     *
     * @throws IOException if that write failed (the change is not durable)
     */
    public void awaitDurable(long version) throws IOException, InterruptedException {
        while (true) {
            synchronized (this) {
                while (true) {
                    if (durable >= version) {
                        return;
                    }
                    if (failedUpTo >= version) {
                        throw new IOException("checkpoint write failed: " + lastFailure.getMessage(), lastFailure);
                    }
                    if (closed) {
                        throw new IOException("checkpoint is closed");
                    }
                    if (!writing) {
                        writing = true;
                        break;
                    }
                    wait();
                }
            }
            writeOnce();
        }
    }

    private void writeOnce() {
        Versioned snapshot = null;
        long start = 0;
        boolean started = false;
        try {
            snapshot = source.get();
            start = System.nanoTime();
            started = true;
            checkpoint.write(snapshot.state());
            observer.written(System.nanoTime() - start, true);
            synchronized (this) {
                durable = Math.max(durable, snapshot.version());
            }
        } catch (IOException | RuntimeException e) {
            if (started) {
                observer.written(System.nanoTime() - start, false);
            }
            synchronized (this) {
                failedUpTo = Math.max(failedUpTo, snapshot == null ? requested : snapshot.version());
                lastFailure = e instanceof IOException io ? io : new IOException(e);
            }
        } finally {
            synchronized (this) {
                writing = false;
                notifyAll();
            }
        }
    }

    /** Writes what is pending, then refuses further waits. */
    @Override
    public void close() {
        long pending;
        synchronized (this) {
            pending = requested;
        }
        try {
            awaitDurable(pending);
        } catch (IOException e) {
            // the last acknowledged state is on disk; an unacknowledged change is allowed to be lost
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            closed = true;
            notifyAll();
        }
    }
}
