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
    RELEASING
}
