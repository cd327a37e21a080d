package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.lease.LeaseKey;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * The pool as the pods' side sees it: the socket server's ADD, DEL, CHECK and GC, the spooled DELs, and the pod
 * collector's releases. Each method takes the pool lock briefly and waits for durability outside it.
 */
public interface SocketSide {

    /**
     * Gives the attachment an address: its existing lease if it has one, else a FREE address, waiting up to
     * {@code timeout} for the reconciler to bring one.
     *
     * @throws PoolException NO_ADDRESS_AVAILABLE (retryable) after the timeout, NODE_FULL when the node is at its
     *                       limits with every address in use, INTERNAL when the checkpoint cannot be written
     */
    Grant add(LeaseKey key, String netns, String podNamespace, String podName, Duration timeout)
            throws PoolException, InterruptedException;

    /**
     * Releases the attachment's lease; the address cools down before reuse. An unknown key succeeds, once what
     * is in memory is on disk: it may be the retry of a DEL whose write failed, whose release must not come back
     * after a restart. An ADD of the key still waiting for an address is called off: its caller gave up (the
     * plugin timed out and gives the address back), and a lease it made later would never be freed.
     *
     * @return the released lease, or null if there was none
     */
    Lease del(LeaseKey key) throws PoolException, InterruptedException;

    /**
     * A DEL the CNI plugin spooled at {@code spooledAt} because ipamd did not take it then. Applied like a DEL,
     * unless an ADD of the same key was served after that time: then the runtime has wired the attachment again
     * (the spooled DEL may never have reached the pool, and the repeated ADD returned the live lease), and applying
     * it would free an address a running pod uses.
     *
     * @return the released lease, or null if there was none or it was kept
     */
    Lease delSpooled(LeaseKey key, Instant spooledAt) throws PoolException, InterruptedException;

    /**
     * Drops every lease of {@code network} whose key is not in {@code live}: the runtime's garbage collection.
     *
     * @return how many leases were released
     */
    int gc(String network, Set<LeaseKey> live) throws PoolException, InterruptedException;

    /** The attachment's current lease with its wiring, or null. */
    Grant check(LeaseKey key);

    /**
     * Releases {@code lease} if it is still its key's lease, without a DEL: the pod it was made for is gone (ipamd
     * missed the DEL, e.g. it was down). The address cools down as after a DEL. A lease released or replaced in the
     * meantime is left alone, so a decision made outside the lock can never release a newer lease.
     *
     * @return whether the lease was released
     */
    boolean release(Lease lease, AddressPool.DropReason reason) throws PoolException, InterruptedException;

    /** Everything, for status and introspection. */
    PoolStatus status();
}
