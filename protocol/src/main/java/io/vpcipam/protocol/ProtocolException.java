package io.vpcipam.protocol;

import java.io.IOException;
import java.util.Objects;

/**
 * A frame or message that breaks protocol v1. It carries one of the {@link ErrorCodes} so the
 * server can answer it as is: {@code Reply.error(e.code(), e.getMessage(), false)}, see
 * {@link #toReply()}.
 *
 * <p>Checked, and an {@link IOException}: it is raised where socket I/O already is, and a caller
 * must decide to answer it rather than let it escape.
 */
public final class ProtocolException extends IOException {

    private final String code;

    /** A protocol violation with an {@link ErrorCodes} code and a message naming what is wrong. */
    public ProtocolException(String code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** The {@link ErrorCodes} constant for this violation (e.g. {@link ErrorCodes#BAD_REQUEST}). */
    public String code() {
        return code;
    }

    /** The error reply a server sends back for this violation (never retryable). */
    public Reply toReply() {
        return Reply.error(code, getMessage(), false);
    }
}
