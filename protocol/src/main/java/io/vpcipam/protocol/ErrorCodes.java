package io.vpcipam.protocol;

import java.util.Set;

/**
 * The wire spellings of {@link ErrorCode}, for code that handles the wire's strings as they come; the set of codes
 * and their meaning are defined there, once.
 */
public final class ErrorCodes {

    public static final String BAD_REQUEST = ErrorCode.BAD_REQUEST.wire();
    public static final String UNSUPPORTED_VERSION = ErrorCode.UNSUPPORTED_VERSION.wire();
    public static final String FRAME_TOO_LARGE = ErrorCode.FRAME_TOO_LARGE.wire();
    public static final String NO_ADDRESS_AVAILABLE = ErrorCode.NO_ADDRESS_AVAILABLE.wire();
    public static final String NODE_FULL = ErrorCode.NODE_FULL.wire();
    public static final String NOT_FOUND = ErrorCode.NOT_FOUND.wire();
    public static final String UNAUTHORIZED = ErrorCode.UNAUTHORIZED.wire();
    public static final String SHUTTING_DOWN = ErrorCode.SHUTTING_DOWN.wire();
    public static final String INTERNAL = ErrorCode.INTERNAL.wire();

    /** Every code defined by protocol v1. */
    public static final Set<String> ALL = java.util.Arrays.stream(ErrorCode.values()).map(ErrorCode::wire)
            .collect(java.util.stream.Collectors.toUnmodifiableSet());

    private ErrorCodes() {
    }

    /** The default {@code retryable} flag for a code (see {@link ErrorCode#retryableByDefault()}). */
    public static boolean defaultRetryable(String code) {
        return ErrorCode.fromWire(code).map(ErrorCode::retryableByDefault).orElse(false);
    }
}
