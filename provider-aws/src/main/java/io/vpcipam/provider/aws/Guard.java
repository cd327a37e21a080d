package io.vpcipam.provider.aws;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalBiFunction;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.vpcipam.provider.CloudCallListener;
import io.vpcipam.provider.CloudException;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Every EC2 call of the node passes here: retry (outermost), then the node's rate limiter, then the circuit breaker,
 * then the call. So each attempt, retries included, pays for a permit: what leaves the node never exceeds the
 * budget, however hard EC2 throttles.
 *
 * <ul>
 *   <li>Retry: on throttling, 5xx and network failures only, up to {@code maxAttempts}, sleeping a uniformly random
 *       time in [0, min(backoffMax, backoffBase * 2^(attempt-1))] ("full jitter", which spreads thousands of nodes
 *       that were throttled at the same moment instead of having them come back in step).</li>
 *   <li>Rate limiter: resilience4j's, refilled with {@code burst} permits every {@code burst / rate} seconds, so a
 *       quiet node may spend {@code burst} calls at once and never more than {@code rate * T + 2 * burst} in any
 *       window of T. A call that would wait longer than {@code limiterTimeout} fails as throttled without being
 *       sent.</li>
 *   <li>Circuit breaker: opens when at least half of the last 20 attempts (10 at least) failed with a 5xx or a
 *       network error, and then refuses calls for {@code circuitOpen} without sending them; throttling and definite
 *       answers (not found, limits) never open it. While it is open, every failure carries the time it stays open
 *       as its {@link CloudException#retryAfter()}, so the pool engine waits for it instead of asking again.</li>
 * </ul>
 * Failures leave as the SPI's {@link CloudException}s, through {@link ErrorMapping}.
 */
final class Guard {

    private final RateLimiter limiter;
    private final CircuitBreaker breaker;
    private final Retry retry;
    private final CloudCallListener listener;
    private final Duration throttledRetryAfter;
    private final Duration circuitOpen;
    private volatile long openedAtNanos;

    Guard(AwsSettings s, CloudCallListener listener) {
        this.listener = listener == null ? CloudCallListener.NOOP : listener;
        long periodNanos = Math.max(1, (long) (s.apiBurst() * 1e9 / s.apiRate()));
        this.limiter = RateLimiter.of("ec2", RateLimiterConfig.custom()
                .limitForPeriod(s.apiBurst())
                .limitRefreshPeriod(Duration.ofNanos(periodNanos))
                .timeoutDuration(s.limiterTimeout())
                .build());
        this.breaker = CircuitBreaker.of("ec2", CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(20)
                .minimumNumberOfCalls(10)
                .failureRateThreshold(50)
                .waitDurationInOpenState(s.circuitOpen())
                .permittedNumberOfCallsInHalfOpenState(2)
                .recordException(t -> t instanceof ApiError a && a.transientFault() && !ErrorMapping.throttled(a))
                .build());
        this.circuitOpen = s.circuitOpen();
        breaker.getEventPublisher().onStateTransition(e -> {
            if (e.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
                openedAtNanos = System.nanoTime();
            }
        });
        long base = s.backoffBase().toMillis();
        long cap = s.backoffMax().toMillis();
        this.retry = Retry.of("ec2", RetryConfig.<Object>custom()
                .maxAttempts(s.maxAttempts())
                .intervalBiFunction(IntervalBiFunction.ofIntervalFunction(attempt -> fullJitter(attempt, base, cap)))
                .retryOnException(t -> t instanceof ApiError a && ErrorMapping.retryable(a))
                .failAfterMaxAttempts(false)
                .build());
        this.throttledRetryAfter = Duration.ofMillis(Math.min(cap, base << 4));
    }

    /** The backoff before retry number {@code attempt} (1-based): uniform in [0, min(cap, base * 2^(attempt-1))]. */
    static long fullJitter(int attempt, long baseMillis, long capMillis) {
        long ceiling = Math.min(capMillis, baseMillis << Math.min(30, Math.max(0, attempt - 1)));
        return ThreadLocalRandom.current().nextLong(ceiling + 1);
    }

    /** Runs one EC2 operation named {@code verb} (for metrics and messages) under retry, rate limit and breaker. */
    <T> T call(String verb, Supplier<T> operation) throws CloudException {
        long start = System.nanoTime();
        boolean[] maybeApplied = {false}; // an earlier try failed without an answer saying it was not carried out
        Supplier<T> attempt = () -> {
            waitForPermit(verb);
            try {
                return breaker.executeSupplier(operation);
            } catch (CallNotPermittedException e) {
                throw new ApiError(ApiError.CIRCUIT_OPEN, 0, "EC2 kept failing; calls are paused for a while ("
                        + e.getMessage() + ")", true, e);
            } catch (ApiError e) {
                if (ErrorMapping.throttled(e)) {
                    listener.onThrottle(verb);
                } else if (e.transientFault()) {
                    maybeApplied[0] = true;
                }
                throw e;
            }
        };
        try {
            T result = Retry.decorateSupplier(retry, attempt).get();
            listener.onCall(verb, Duration.ofNanos(System.nanoTime() - start), null);
            return result;
        } catch (ApiError e) {
            CloudException mapped = ErrorMapping.map(verb, e, throttledRetryAfter);
            if (mapped instanceof CloudException.Throttled t && maybeApplied[0] && !verb.startsWith("Describe")) {
                // the SPI's Throttled means "nothing was applied": not so when an earlier try may have been
                mapped = new CloudException.Fatal(t.code(), t.getMessage() + " (an earlier try timed out or failed"
                        + " with a server error and may have been applied)", t, true);
            }
            Duration open = openFor();
            if (mapped instanceof CloudException.Fatal f && f.retryable() && open.isPositive()) {
                mapped = new CloudException.Fatal(f.code(), f.getMessage() + " (circuit open for " + open.toMillis()
                        + " ms more)", f.getCause(), true, open);
            }
            listener.onCall(verb, Duration.ofNanos(System.nanoTime() - start), mapped.condition());
            throw mapped;
        } catch (RuntimeException e) {
            // a bug below the seam (an SDK surprise): still a CloudException, so ipamd's loop survives it
            CloudException.Fatal fatal = new CloudException.Fatal("InternalError", verb + ": " + e, e);
            listener.onCall(verb, Duration.ofNanos(System.nanoTime() - start), fatal.condition());
            throw fatal;
        }
    }

    /** Like {@link #call} for operations without a result. */
    void run(String verb, Runnable operation) throws CloudException {
        call(verb, () -> {
            operation.run();
            return null;
        });
    }

    private void waitForPermit(String verb) {
        long nanos = limiter.reservePermission();
        if (nanos < 0) {
            throw new ApiError(ApiError.LIMITER_TIMEOUT, 0, "the node's EC2 rate limit would delay the call beyond "
                    + limiter.getRateLimiterConfig().getTimeoutDuration(), false, null);
        }
        if (nanos > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(nanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiError("Interrupted", 0, "interrupted while waiting for the rate limiter", false, e);
            }
            listener.onLimiterWait(verb, Duration.ofNanos(nanos));
        }
    }

    /** How much longer the breaker refuses calls: zero unless it is open. */
    private Duration openFor() {
        if (breaker.getState() != CircuitBreaker.State.OPEN) {
            return Duration.ZERO;
        }
        long left = circuitOpen.toNanos() - (System.nanoTime() - openedAtNanos);
        return Duration.ofNanos(Math.max(1_000_000, left)); // at least 1 ms: it is open now
    }

    /** The breaker's state, for tests and logs. */
    CircuitBreaker.State circuitState() {
        return breaker.getState();
    }
}
