package io.vpcipam.ipamd.pool;

/** Where an address is in its life on this node. */
public enum AddressState {
    /** Held by the node, given to no pod: an ADD may take it. */
    FREE,
    /** Given to a pod (a lease holds it). */
    ASSIGNED,
    /** Recently released by a pod; not available until its cool-down ends (conntrack, kube-proxy lag). */
    COOLING,
    /** Asked of the cloud, not yet usable. */
    PENDING,
    /** Being given back to the cloud: no ADD may take it, whatever the cloud call's outcome. */
    RELEASING,
    /**
     * Found on the node when ipamd took it over (no checkpoint, e.g. after aws-node), with no lease of ours: a pod
     * another CNI wired may still use it. Counted as held; neither handed out nor released until evidence (the pods
     * Kubernetes lists on the node, aws-node's checkpoint) proves no pod holds it; then it cools down and is FREE.
     */
    UNPROVEN
}
