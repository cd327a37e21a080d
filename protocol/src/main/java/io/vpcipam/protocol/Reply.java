package io.vpcipam.protocol;

import java.util.Objects;

/**
 * A protocol v1 reply from ipamd. Either {@code ok} with optional {@code lease} (ADD, CHECK),
 * {@code released} (GC) or {@code status} (STATUS), or not ok with an {@code error}.
 *
 * @param ok       whether the request succeeded
 * @param lease    ADD and CHECK: the lease; otherwise null
 * @param error    present exactly when {@code ok} is false
 * @param released GC: how many leases were freed (null when not reported)
 * @param status   STATUS: the node's state; otherwise null
 */
public record Reply(boolean ok, LeaseInfo lease, ErrorInfo error, Integer released, StatusInfo status) {

    /** Checks that {@code error} is present exactly when not ok. */
    public Reply {
        if (ok && error != null) {
            throw new IllegalArgumentException("an ok reply carries no error");
        }
        if (!ok && error == null) {
            throw new IllegalArgumentException("a failed reply needs an error");
        }
        if (released != null && released < 0) {
            throw new IllegalArgumentException("released must not be negative, was " + released);
        }
    }

    /**
     * Success with nothing to report (DEL, GC). Not named {@code ok()}: that is the accessor of
     * the {@code ok} component.
     */
    public static Reply success() {
        return new Reply(true, null, null, null, null);
    }

    /** Success with a lease (ADD, CHECK). */
    public static Reply ok(LeaseInfo lease) {
        return new Reply(true, Objects.requireNonNull(lease, "lease"), null, null, null);
    }

    /** GC success, reporting how many leases were freed. */
    public static Reply released(int released) {
        return new Reply(true, null, null, released, null);
    }

    /** STATUS success. */
    public static Reply status(StatusInfo status) {
        return new Reply(true, null, null, null, Objects.requireNonNull(status, "status"));
    }

    /** Failure. */
    public static Reply error(String code, String message, boolean retryable) {
        return error(new ErrorInfo(code, message, retryable));
    }

    /** Failure. */
    public static Reply error(ErrorInfo error) {
        return new Reply(false, null, Objects.requireNonNull(error, "error"), null, null);
    }
}
