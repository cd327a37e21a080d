package io.vpcipam.provider.sim;

import java.util.Locale;

/**
 * The kinds of random fault the simulated cloud injects ({@code IPAMD_SIM_FAULT_KINDS}), each as EC2 shows it.
 */
public enum Fault {
    /** A server error before anything was done: a retryable {@code InternalError} (HTTP 500); nothing applied. */
    FAILED,
    /** Refused by the account's API budget: {@code RequestLimitExceeded} with a retry-after; nothing applied. */
    THROTTLED,
    /**
     * Applied, but the answer never arrived: a retryable {@code RequestTimeout}. A lost create leaves the new
     * interface with its tags but detached, as EC2 does when a create's answer is lost before the attach.
     */
    LOST;

    /** The name used in the environment variable. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
