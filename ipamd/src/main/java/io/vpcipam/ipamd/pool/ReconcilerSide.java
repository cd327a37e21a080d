package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;

import java.time.Instant;
import java.util.Collection;

/**
 * The pool as the reconciler sees it: a snapshot to plan from, and where to record what the cloud did. Called on the
 * reconciler's thread; each method takes the pool lock briefly. See {@link AddressPool} for each one's contract.
 */
public interface ReconcilerSide {

    /** See {@link AddressPool#node}. */
    NodeInfo node();

    /** See {@link AddressPool#snapshot}. */
    Snapshot snapshot();

    /** See {@link AddressPool#sync}. */
    void sync(NodeInfo info);

    /** See {@link AddressPool#pending}. */
    void pending(int n);

    /** See {@link AddressPool#assigned}. */
    void assigned(String interfaceId, Assignment assignment);

    /** See {@link AddressPool#attached}. */
    void attached(NetworkInterface ni);

    /** See {@link AddressPool#beginRelease}. */
    Assignment beginRelease(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes);

    /** See {@link AddressPool#endRelease}. */
    void endRelease(String interfaceId, Assignment marked, CallOutcome outcome);

    /** See {@link AddressPool#beginDelete}. */
    boolean beginDelete(String interfaceId);

    /** See {@link AddressPool#endDelete}. */
    void endDelete(String interfaceId, CallOutcome outcome);

    /** See {@link AddressPool#pauseGrowth}. */
    void pauseGrowth(Instant until);

    /** See {@link AddressPool#limits}. */
    void limits(Planner.Shape shape);

    /** See {@link AddressPool#flush}. */
    boolean flush() throws InterruptedException;
}
