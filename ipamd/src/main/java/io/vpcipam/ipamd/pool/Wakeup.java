package io.vpcipam.ipamd.pool;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A request for a reconcile pass now. Made before the pool and the reconciler, so the pool's demand callback can ring
 * it and the reconciler wait on it without either being wired to the other after construction.
 */
public final class Wakeup {

    private final Semaphore kick = new Semaphore(0);

    /** Asks for a pass now. Never blocks: safe to call under the pool lock. */
    public void ring() {
        if (kick.availablePermits() == 0) {
            kick.release();
        }
    }

    /** Waits up to {@code nanos} for a ring, then forgets every ring so far. */
    void await(long nanos) throws InterruptedException {
        kick.tryAcquire(nanos, TimeUnit.NANOSECONDS);
        kick.drainPermits();
    }
}
