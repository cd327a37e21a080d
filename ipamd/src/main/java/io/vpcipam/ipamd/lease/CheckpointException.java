package io.vpcipam.ipamd.lease;

/** The checkpoint exists but cannot be read or understood. */
public final class CheckpointException extends Exception {
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
