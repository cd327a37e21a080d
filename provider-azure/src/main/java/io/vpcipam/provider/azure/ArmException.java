package io.vpcipam.provider.azure;

import java.time.Duration;

/**
 * An error from Resource Manager as the seam saw it: HTTP status (0 when no response came), ARM error code, message,
 * and the {@code Retry-After} hint. {@link Errors} turns it into the SPI's error set.
 */
final class ArmException extends Exception {

    private final int status;
    private final String code;
    private final Duration retryAfter;

    ArmException(int status, String code, String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.code = code == null ? "" : code;
        this.retryAfter = retryAfter == null ? Duration.ZERO : retryAfter;
    }

    /** HTTP status, or 0 for a transport failure (refused, reset, timed out). */
    int status() {
        return status;
    }

    /** ARM's error code, e.g. {@code SubnetIsFull}; empty when the body had none. */
    String code() {
        return code;
    }

    /** The server's Retry-After hint, zero when none. */
    Duration retryAfter() {
        return retryAfter;
    }

    /** Throttled by ARM or the resource provider. */
    boolean throttled() {
        return status == 429;
    }

    /** A failure that may pass on its own: no response, 5xx, or an ARM "retryable" code. */
    boolean transientFault() {
        return status == 0 || status >= 500 || Errors.TRANSIENT_CODES.contains(code);
    }

    @Override
    public String getMessage() {
        return "ARM " + (status == 0 ? "transport" : String.valueOf(status)) + (code.isEmpty() ? "" : " " + code)
                + ": " + super.getMessage();
    }
}
