package io.vpcipam.provider.sim;

import java.time.Duration;
import java.time.Instant;

/**
 * The account-wide API budget, as EC2 applies it: a bucket of {@code burst} tokens refilled at {@code rate} per
 * second by the injected clock; a call without a token is throttled with the time until the next one. Not
 * thread-safe: the simulated cloud calls it under its lock.
 */
final class TokenBucket {

    private final double rate;
    private final double burst;
    private double tokens;
    private Instant last;

    TokenBucket(double rate, double burst, Instant now) {
        this.rate = rate;
        this.burst = burst;
        this.tokens = burst;
        this.last = now;
    }

    /** Takes one token and returns zero, or takes none and returns how long until one is there. */
    Duration tryTake(Instant now) {
        if (now.isAfter(last)) {
            double seconds = Duration.between(last, now).toNanos() / 1e9;
            tokens = Math.min(burst, tokens + seconds * rate);
            last = now;
        }
        if (tokens >= 1) {
            tokens -= 1;
            return Duration.ZERO;
        }
        long nanos = (long) Math.ceil((1 - tokens) / rate * 1e9);
        return Duration.ofNanos(Math.max(1, nanos));
    }
}
