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
 * reconciler's thread; each method takes the pool lock briefly.
 */
public interface ReconcilerSide {

    /** The node as last described, or null before the first describe. */
    NodeInfo node();

    /** A consistent picture for the planner. Expires cool-downs first. */
    Snapshot snapshot();

    /**
     * Makes the pool agree with the cloud: new addresses and interfaces become FREE; free addresses the cloud no
     * longer holds disappear. A leased address the cloud no longer lists is kept LOST: its pod still uses it until
     * its DEL, so it is never handed to another pod, even if a later describe lists it again (the AWS CNI drops such
     * leases and can then give the address out twice). An address released in the last minute is not re-added from
     * a describe that may predate the release. RELEASING addresses are left to the executor that marked them; those
     * a failed release or delete left RELEASE_IN_DOUBT are settled by this describe (still held: FREE again; gone:
     * dropped).
     */
    void sync(NodeInfo info);

    /** Counts {@code n} addresses as asked of the cloud (pending) while a call is in flight. */
    void pending(int n);

    /** Records what an assign call added: new FREE addresses, handed at once to waiting ADDs. */
    void assigned(String interfaceId, Assignment assignment);

    /** Records a newly attached interface and its addresses. */
    void attached(NetworkInterface ni);

    /**
     * Marks the given FREE addresses and wholly FREE prefixes RELEASING, so no ADD can take them while the cloud
     * call runs. Anything no longer free (an ADD took it since the snapshot) is left out.
     *
     * @return what was marked, which is all the executor may release
     */
    Assignment beginRelease(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes);

    /**
     * Ends a release. APPLIED: the addresses go away. REFUSED (throttled: the cloud did nothing): they are FREE again
     * at once. IN_DOUBT: they are RELEASE_IN_DOUBT until the next {@link #sync}, as the call may still have been
     * applied (a timeout after the cloud did it), and an ADD given an address the node no longer holds would share it
     * with whichever node gets it next; the caller must have the node re-read.
     */
    void endRelease(String interfaceId, Assignment marked, CallOutcome outcome);

    /** Marks every address of an idle secondary interface RELEASING; false if any is in use (nothing marked). */
    boolean beginDelete(String interfaceId);

    /**
     * Ends an interface deletion begun with {@link #beginDelete}, with {@link #endRelease}'s outcomes: IN_DOUBT keeps
     * its addresses out of use until the next {@link #sync} (the interface may be detached or gone though the call
     * failed); REFUSED gives them back as they were.
     */
    void endDelete(String interfaceId, CallOutcome outcome);

    /** Pauses growth until {@code until} (the subnet ran out: asking again at once only burns API budget). */
    void pauseGrowth(Instant until);

    /**
     * Tells the pool the node's shape as of the last plan: whether it is at its cloud limits and what it can hold,
     * so an ADD with nothing to wait for fails at once instead of after the timeout.
     */
    void limits(Planner.Shape shape);

    /**
     * Waits until every change made so far is on disk. Changes no request waits for (leases dropped by a cloud
     * re-read, an undone ADD) are made durable here, by the reconciler after each pass.
     *
     * @return false if the write failed (it is retried on the next flush or change)
     */
    boolean flush() throws InterruptedException;
}
