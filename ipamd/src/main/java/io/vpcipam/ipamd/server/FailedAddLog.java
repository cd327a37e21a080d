package io.vpcipam.ipamd.server;

import java.util.HashMap;
import java.util.Map;

/**
 * Rate limit for the warning ipamd logs when an ADD fails: at most one line per error code per interval, the next
 * line saying how many failures of that code were not logged, so a burst of pods on an empty subnet gives a few
 * lines with the reason rather than thousands. Time is passed in (nanoseconds of a monotonic clock).
 */
final class FailedAddLog {

    private final long intervalNanos;
    private final Map<String, long[]> byCode = new HashMap<>(); // code -> {last logged at, suppressed since}

    FailedAddLog(long intervalNanos) {
        this.intervalNanos = intervalNanos;
    }

    /**
     * Whether a failure with {@code code} at {@code nowNanos} is logged: -1 if not, else the number of failures of
     * that code left unlogged since its previous line.
     */
    synchronized long admit(String code, long nowNanos) {
        long[] s = byCode.get(code);
        if (s == null) {
            byCode.put(code, new long[] {nowNanos, 0});
            return 0;
        }
        if (nowNanos - s[0] >= intervalNanos) {
            long suppressed = s[1];
            s[0] = nowNanos;
            s[1] = 0;
            return suppressed;
        }
        s[1]++;
        return -1;
    }
}
