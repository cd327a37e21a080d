package io.vpcipam.protocol;

import java.util.Optional;

/**
 * The error codes of protocol v1 ({@code reply.error.code}), a closed set on our side. On the wire each is its
 * {@link #name()}, a stable string: the shim maps them to CNI errors and ipamd uses them as metric labels. New codes
 * may be added; a client treats a code it does not know as the {@code retryable} flag of the reply says.
 */
public enum ErrorCode {
    /** The request is not valid JSON, not an object, has a wrong type, misses a field or is too long. */
    BAD_REQUEST,
    /** {@code version} is missing or is not a version this daemon speaks (only 1). */
    UNSUPPORTED_VERSION,
    /** The frame is larger than the server accepts; the server closes the connection after replying. */
    FRAME_TOO_LARGE,
    /** Retryable: the pool is empty and the cloud did not deliver an address in time. */
    NO_ADDRESS_AVAILABLE,
    /** The node is at its cloud limits (interfaces and addresses per interface): no address can be added. */
    NODE_FULL,
    /** CHECK for a lease ipamd does not hold. */
    NOT_FOUND,
    /** The peer on the socket is not allowed to talk to ipamd (peer credentials check). */
    UNAUTHORIZED,
    /** Retryable: ipamd is stopping; a restarted ipamd will answer. */
    SHUTTING_DOWN,
    /** An unexpected failure inside ipamd. */
    INTERNAL;

    /** The code as the wire spells it. */
    public String wire() {
        return name();
    }

    /** The default {@code retryable} flag: true for NO_ADDRESS_AVAILABLE and SHUTTING_DOWN. */
    public boolean retryableByDefault() {
        return this == NO_ADDRESS_AVAILABLE || this == SHUTTING_DOWN;
    }

    /** The code the wire string names, or empty for a code this side does not know (a newer peer's). */
    public static Optional<ErrorCode> fromWire(String wire) {
        for (ErrorCode c : values()) {
            if (c.name().equals(wire)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
