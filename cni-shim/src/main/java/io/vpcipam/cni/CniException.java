package io.vpcipam.cni;

import java.util.Objects;

/** A failure that becomes one CNI error JSON: the code, a short message and optional details. */
public final class CniException extends Exception {

    private static final long serialVersionUID = 1L;

    private final CniError error;
    private final String details;

    /** A failure with {@code error}'s code. */
    public CniException(CniError error, String msg, String details) {
        super(msg, null, false, false);
        this.error = Objects.requireNonNull(error, "error");
        this.details = details;
    }

    /** The error code. */
    public CniError error() {
        return error;
    }

    /** The long message, or null. */
    public String details() {
        return details;
    }
}
