package io.vpcipam.protocol;

import java.util.Objects;

/**
 * The {@code error} object of a failed reply.
 *
 * @param code      one of {@link ErrorCodes} (or a newer code), never blank
 * @param message   a human-readable explanation, never null
 * @param retryable whether the same request may succeed later (the shim returns CNI code 11)
 */
public record ErrorInfo(String code, String message, boolean retryable) {

    /** Validates the code and turns a null message into "". */
    public ErrorInfo {
        Objects.requireNonNull(code, "code");
        if (code.isBlank()) {
            throw new IllegalArgumentException("error code must not be blank");
        }
        message = message == null ? "" : message;
    }

    /** An error with the code's {@link ErrorCodes#defaultRetryable default} retryable flag. */
    public static ErrorInfo of(String code, String message) {
        return new ErrorInfo(code, message, ErrorCodes.defaultRetryable(code));
    }
}
