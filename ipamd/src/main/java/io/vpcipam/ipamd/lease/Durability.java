package io.vpcipam.ipamd.lease;

import java.io.IOException;

/**
 * How a lease change becomes durable before it is acknowledged: {@link GroupCommit} in the daemon, {@link #NONE}
 * where nothing is written (benches, the what-if simulator).
 *
 * <p>A change made under the pool lock calls {@link #changed()}; after releasing the lock the caller waits with
 * {@link #awaitDurable(long)}.
 */
public interface Durability extends AutoCloseable {

    /** Nothing is written: every change is durable at once. */
    Durability NONE = new Durability() {
        @Override
        public long changed() {
            return 0;
        }

        @Override
        public long latest() {
            return 0;
        }

        @Override
        public void awaitDurable(long version) {
        }
    };

    /** Records that the state changed; call under the pool lock. Returns the change's version. */
    long changed();

    /** The version of the last change, for reads that must see durable state. */
    long latest();

    /**
     * Returns once change {@code version} is on disk.
     *
     * @throws IOException if the write failed (the change is not durable)
     */
    void awaitDurable(long version) throws IOException, InterruptedException;

    /** Writes what is pending, then refuses further waits (shutdown). */
    @Override
    default void close() {
    }
}
