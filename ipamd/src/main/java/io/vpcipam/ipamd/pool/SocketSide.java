package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.lease.LeaseKey;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * The pool as the pods' side sees it: the socket server's ADD, DEL, CHECK and GC, the spooled DELs, and the pod
 * collector's releases. Each method takes the pool lock briefly and waits for durability outside it; see
 * {@link AddressPool} for each one's contract.
 */
public interface SocketSide {

    /** See {@link AddressPool#add}. */
    Grant add(LeaseKey key, String netns, String podNamespace, String podName, Duration timeout)
            throws PoolException, InterruptedException;

    /** See {@link AddressPool#del}. */
    Lease del(LeaseKey key) throws PoolException, InterruptedException;

    /** See {@link AddressPool#delSpooled}. */
    Lease delSpooled(LeaseKey key, Instant spooledAt) throws PoolException, InterruptedException;

    /** See {@link AddressPool#gc}. */
    int gc(String network, Set<LeaseKey> live) throws PoolException, InterruptedException;

    /** See {@link AddressPool#check}. */
    Grant check(LeaseKey key);

    /** See {@link AddressPool#release}. */
    boolean release(Lease lease, AddressPool.DropReason reason) throws PoolException, InterruptedException;

    /** See {@link AddressPool#status}. */
    PoolStatus status();
}
