package io.vpcipam.protocol;

import java.util.Set;

/**
 * The error codes of protocol v1 ({@code reply.error.code}). Stable strings: the shim maps them
 * to CNI errors and ipamd uses them as metric labels. New codes may be added; a client treats an
 * unknown code as the {@code retryable} flag of the reply says.
 */
public final class ErrorCodes {

    /** The request is not valid JSON, not an object, has a wrong type, misses a field or is too long. */
    public static final String BAD_REQUEST = "BAD_REQUEST";
    /** {@code version} is missing or is not a version this daemon speaks (only 1). */
    public static final String UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION";
    /** The frame is larger than the server accepts; the server closes the connection after replying. */
    public static final String FRAME_TOO_LARGE = "FRAME_TOO_LARGE";
    /** Retryable: the pool is empty and the cloud did not deliver an address in time. */
    public static final String NO_ADDRESS_AVAILABLE = "NO_ADDRESS_AVAILABLE";
    /** The node is at its cloud limits (interfaces and addresses per interface): no address can be added. */
    public static final String NODE_FULL = "NODE_FULL";
    /** CHECK for a lease ipamd does not hold. */
    public static final String NOT_FOUND = "NOT_FOUND";
    /** The peer on the socket is not allowed to talk to ipamd (peer credentials check). */
    public static final String UNAUTHORIZED = "UNAUTHORIZED";
    /** Retryable: ipamd is stopping; a restarted ipamd will answer. */
    public static final String SHUTTING_DOWN = "SHUTTING_DOWN";
    /** An unexpected failure inside ipamd. */
    public static final String INTERNAL = "INTERNAL";

    /** Every code defined by protocol v1. */
    public static final Set<String> ALL = Set.of(BAD_REQUEST, UNSUPPORTED_VERSION, FRAME_TOO_LARGE,
            NO_ADDRESS_AVAILABLE, NODE_FULL, NOT_FOUND, UNAUTHORIZED, SHUTTING_DOWN, INTERNAL);

    private ErrorCodes() {
    }

    /** The default {@code retryable} flag for a code: true for NO_ADDRESS_AVAILABLE and SHUTTING_DOWN. */
    public static boolean defaultRetryable(String code) {
        return NO_ADDRESS_AVAILABLE.equals(code) || SHUTTING_DOWN.equals(code);
    }
}
