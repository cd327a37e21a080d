package io.vpcipam.provider.azure;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.functions.CheckedSupplier;
import io.github.resilience4j.core.functions.Either;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.vpcipam.provider.CloudCallListener;
import io.vpcipam.provider.CloudException;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Every ARM call goes through here: retry (outermost; honours Retry-After, else jittered exponential backoff) around
 * the node's rate limiter around a circuit breaker around the call, so each attempt spends a token and counts
 * toward the breaker. Throttling and transient faults are retried; a Retry-After longer than the settings allow, and
 * whatever still fails, leave as the SPI's {@link CloudException} so the pool engine can wait its own way.
 */
final class Guard {

    /** One seam call. */
    @FunctionalInterface
    interface ArmCall<T> {
        T get() throws ArmException;
    }

    private final AzureSettings settings;
    private final CloudCallListener listener;
    private final RateLimiter limiter;
    private final CircuitBreaker breaker;
    private final RetryConfig retryConfig;

    Guard(AzureSettings settings, CloudCallListener listener) {
        this.settings = settings;
        this.listener = listener;
        long periodNanos = (long) (settings.burst() / settings.qps() * 1e9);
        this.limiter = RateLimiter.of("azure-arm", RateLimiterConfig.custom()
                .limitForPeriod(settings.burst()).limitRefreshPeriod(Duration.ofNanos(Math.max(1_000_000, periodNanos)))
                .timeoutDuration(Duration.ofMinutes(2)).build());
        this.breaker = CircuitBreaker.of("azure-arm", CircuitBreakerConfig.custom()
                .slidingWindowSize(20).minimumNumberOfCalls(10).failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(30)).permittedNumberOfCallsInHalfOpenState(2)
                .recordException(t -> t instanceof ArmException a && a.transientFault() && !a.throttled())
                .build());
        this.retryConfig = RetryConfig.custom()
                .maxAttempts(settings.maxAttempts())
                .retryOnException(t -> t instanceof ArmException a && (a.throttled() || a.transientFault())
                        && a.retryAfter().compareTo(settings.maxRetryAfter()) <= 0)
                .intervalBiFunction(this::interval)
                .failAfterMaxAttempts(false)
                .build();
    }

    /** The breaker, for tests and status. */
    CircuitBreaker breaker() {
        return breaker;
    }

    /** Runs one ARM operation named {@code verb} with limits, breaker and retries; maps what still fails. */
    <T> T call(String verb, ArmCall<T> body) throws CloudException {
        long start = System.nanoTime();
        Retry retry = Retry.of(verb, retryConfig);
        CheckedSupplier<T> attempt = () -> {
            waitForToken(verb);
            try {
                return breaker.executeCheckedSupplier(body::get);
            } catch (ArmException e) {
                if (e.throttled()) {
                    listener.onThrottle(verb);
                }
                throw e;
            }
        };
        try {
            T result = Retry.decorateCheckedSupplier(retry, attempt).get();
            listener.onCall(verb, Duration.ofNanos(System.nanoTime() - start), null);
            return result;
        } catch (Throwable t) {
            CloudException e = map(t);
            listener.onCall(verb, Duration.ofNanos(System.nanoTime() - start), e.condition());
            throw e;
        }
    }

    /**
     * A call the provider refused itself, without sending it (it would pass a limit): reported to the listener as
     * that verb with the error's condition, so the metrics show it beside the calls ARM refused.
     */
    <E extends CloudException> E refused(String verb, E e) {
        listener.onCall(verb, Duration.ZERO, e.condition());
        return e;
    }

    private void waitForToken(String verb) throws ArmException {
        long waitNanos = limiter.reservePermission();
        if (waitNanos < 0) {
            throw new ArmException(429, "NodeRateLimit", "the node's own ARM budget (" + settings.qps()
                    + "/s, burst " + settings.burst() + ") is exhausted for longer than 2 minutes", null, null);
        }
        if (waitNanos > 0) {
            try {
                Thread.sleep(Duration.ofNanos(waitNanos));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ArmException(0, "Interrupted", "interrupted waiting for the rate limiter", null, e);
            }
            listener.onLimiterWait(verb, Duration.ofNanos(waitNanos));
        }
    }

    private long interval(Integer attempt, Either<Throwable, Object> outcome) {
        long backoff = settings.backoff().toMillis() << Math.min(10, Math.max(0, attempt - 1));
        long jittered = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
        if (outcome.isLeft() && outcome.getLeft() instanceof ArmException a && a.retryAfter().toMillis() > 0) {
            return Math.max(a.retryAfter().toMillis(), jittered / 4);
        }
        return Math.min(jittered, 30_000);
    }

    private static CloudException map(Throwable t) {
        if (t instanceof CloudException c) {
            return c;
        }
        if (t instanceof ArmException a) {
            return Errors.map(a);
        }
        if (t instanceof CallNotPermittedException) {
            return new CloudException.Fatal("CircuitOpen",
                    "Resource Manager failed repeatedly; calls are paused for 30 s", t, true);
        }
        if (t instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        return new CloudException.Fatal("Unexpected", String.valueOf(t), t, false);
    }
}
