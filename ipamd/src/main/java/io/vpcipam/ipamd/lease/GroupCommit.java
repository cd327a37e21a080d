package io.vpcipam.ipamd.lease;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Makes every lease change durable before it is acknowledged, while concurrent changes share one write.
 *
 * <p>A change (made under the pool lock) calls {@link #changed()} and gets a version number; after releasing the
 * lock it calls {@link #awaitDurable(long)}. The first waiter that finds no write in progress becomes the writer: it
 * takes the current state (through the supplier, which reads it under the pool lock together with the version it
 * reflects), writes it with its fsyncs, and wakes exactly the changes that write settled. Changes made while a write
 * runs are covered by the next one, written by one of their own waiters (woken alone to lead it). No writer thread: an uncontended ADD pays one
 * write and no thread hand-off; 64 concurrent ADDs pay a few writes between them.
 */
public final class GroupCommit implements Durability {

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
    private long failures;    // guarded by this: failed write attempts so far
    private IOException lastFailure; // guarded by this
    private boolean writing;  // guarded by this
    private boolean closed;   // guarded by this
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>(); // guarded by this

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
    @Override
    public synchronized long changed() {
        return ++requested;
    }

    /** The version of the last change, for reads that must see durable state. */
    @Override
    public synchronized long latest() {
        return requested;
    }

    /**
     * Returns once a write that includes change {@code version} is on disk, writing it if no one else is.
     *
     * <p>Only a write attempted during this call can fail it: a write that failed before the call (the disk was
     * full a moment ago) is tried again, so a later flush or request retries what an earlier one could not write.
     *
     * @throws IOException if that write failed (the change is not durable)
     */
    @Override
    public void awaitDurable(long version) throws IOException, InterruptedException {
        Waiter me = null;
        long failuresAtEntry = -1;
        while (true) {
            synchronized (this) {
                if (durable >= version) {
                    return;
                }
                if (failuresAtEntry < 0) {
                    failuresAtEntry = failures;
                } else if (failures != failuresAtEntry && failedUpTo >= version) {
                    throw new IOException("checkpoint write failed: " + lastFailure.getMessage(), lastFailure);
                }
                if (closed) {
                    throw new IOException("checkpoint is closed");
                }
                if (writing) {
                    me = new Waiter(version, Thread.currentThread());
                    waiters.add(me);
                } else {
                    writing = true;
                    me = null;
                }
            }
            if (me == null) {
                writeOnce(version);
                continue;
            }
            while (!me.woken) {
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    synchronized (this) {
                        if (!waiters.remove(me) && !writing && !waiters.isEmpty()) {
                            wake(waiters.poll()); // we were chosen to lead the next write: pass it on
                        }
                    }
                    throw new InterruptedException();
                }
            }
        }
    }

    /** A change waiting for its write; parked until woken for its outcome or to lead the next write. */
    private static final class Waiter {
        final long version;
        final Thread thread;
        volatile boolean woken;

        Waiter(long version, Thread thread) {
            this.version = version;
            this.thread = thread;
        }
    }

    private static void wake(Waiter w) {
        w.woken = true;
        LockSupport.unpark(w.thread);
    }

    private void writeOnce(long leaderVersion) {
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
                failures++;
                lastFailure = e instanceof IOException io ? io : new IOException(e);
            }
        } finally {
            synchronized (this) {
                writing = false;
                // wake only the changes this write settled, not every waiter (64 waiters, one fsync each: a herd)
                for (var it = waiters.iterator(); it.hasNext(); ) {
                    Waiter w = it.next();
                    if (w.version <= durable || w.version <= failedUpTo || closed) {
                        it.remove();
                        wake(w);
                    }
                }
                boolean leaderDone = leaderVersion <= durable || leaderVersion <= failedUpTo;
                if (leaderDone && !waiters.isEmpty()) {
                    wake(waiters.poll()); // the leader leaves: one of those still waiting writes next
                }
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
            while (!waiters.isEmpty()) {
                wake(waiters.poll());
            }
        }
    }
}
