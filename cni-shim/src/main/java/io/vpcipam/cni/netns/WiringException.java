package io.vpcipam.cni.netns;

/** Wiring or tearing down a pod's network failed; the message says which step and ip's words. */
public final class WiringException extends Exception {

    private static final long serialVersionUID = 1L;

    /** A failure with ip's explanation. */
    public WiringException(String message) {
        super(message, null, false, false);
    }
}
