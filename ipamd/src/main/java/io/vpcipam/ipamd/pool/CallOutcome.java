package io.vpcipam.ipamd.pool;

/**
 * How a release or an interface delete ended, as far as the node can know: what the pool may do with the addresses
 * the call was about.
 */
public enum CallOutcome {
    /** The cloud did it: the addresses are gone from the node. */
    APPLIED,
    /** The cloud refused it (throttled): nothing was applied, the addresses are still the node's and usable. */
    REFUSED,
    /** It failed in a way that may have been applied (a timeout, a partial delete): only a describe can tell. */
    IN_DOUBT
}
