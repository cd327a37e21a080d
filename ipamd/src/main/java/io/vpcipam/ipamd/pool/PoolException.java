package io.vpcipam.ipamd.pool;

/** An ADD, DEL or GC that the pool could not serve, with the protocol error code and whether to retry. */
public final class PoolException extends Exception {

    private final String code;
    private final boolean retryable;

    public PoolException(String code, String message, boolean retryable) {
        super(message);
        this.code = code;
        this.retryable = retryable;
    }

    /** The protocol error code (see the protocol module's ErrorCodes). */
    public String code() {
        return code;
    }

    /** Whether the caller should try again later. */
    public boolean retryable() {
        return retryable;
    }
}
