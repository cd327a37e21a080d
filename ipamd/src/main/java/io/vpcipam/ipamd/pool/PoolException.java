package io.vpcipam.ipamd.pool;

import io.vpcipam.protocol.ErrorCode;

/** An ADD, DEL or GC that the pool could not serve, with the protocol error code and whether to retry. */
public final class PoolException extends Exception {

    private final ErrorCode code;
    private final boolean retryable;

    public PoolException(ErrorCode code, String message, boolean retryable) {
        super(message);
        this.code = code;
        this.retryable = retryable;
    }

    /** The protocol error code. */
    public ErrorCode errorCode() {
        return code;
    }

    /** The protocol error code as the wire spells it. */
    public String code() {
        return code.wire();
    }

    /** Whether the caller should try again later. */
    public boolean retryable() {
        return retryable;
    }
}
