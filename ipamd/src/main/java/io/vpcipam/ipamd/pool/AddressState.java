package io.vpcipam.ipamd.pool;

/**
 * Where an address is in its life on this node. Every state is a constant here: no flag beside it. Addresses asked
 * of the cloud and not yet given are no address's state: the pool counts them ({@link PoolStatus#pending()}).
 * The only way from one state to another is {@code AddressInventory.move}, which refuses any move not listed there.
 */
public enum AddressState {
    /** Held by the node, given to no pod: an ADD may take it. */
    FREE,
    /** Given to a pod (a lease holds it). */
    ASSIGNED,
    /**
     * Given to a pod, but the cloud no longer lists it for the pool (gone, or its interface became unmanaged): it
     * stays with its pod until the pod's DEL or GC and is never handed to another pod, even if a later describe
     * lists it again (then it is ASSIGNED again). Not counted as held.
     */
    LOST,
    /** Recently released by a pod; not available until its cool-down ends (conntrack, kube-proxy lag). */
    COOLING,
    /** Being given back to the cloud: no ADD may take it, whatever the cloud call's outcome. */
    RELEASING,
    /**
     * A release or delete call failed in a way that may have been applied (a timeout after the cloud did it): no
     * ADD may take it until the next describe settles it (still held: FREE; gone: dropped).
     */
    RELEASE_IN_DOUBT,
    /**
     * Found on the node when ipamd took it over (no checkpoint, e.g. after aws-node), with no lease of ours: a pod
     * another CNI wired may still use it. Counted as held; neither handed out nor released until evidence (the pods
     * Kubernetes lists on the node, aws-node's checkpoint) proves no pod holds it; then it cools down and is FREE.
     */
    UNPROVEN
}
