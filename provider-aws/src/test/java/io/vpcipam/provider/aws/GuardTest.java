package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudException;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guard's rate limit, backoff and error paths, without EC2. */
class GuardTest {

    @Test
    void rateLimit_burstThenRate_callsSpreadOverTime() throws Exception {
        Fixtures.Recorder recorder = new Fixtures.Recorder();
        Guard guard = new Guard(Fixtures.settings(Map.of(AwsSettings.API_RATE, "50", AwsSettings.API_BURST, "5")),
                recorder);
        long start = System.nanoTime();

        for (int i = 0; i < 15; i++) {
            guard.call("DescribeNetworkInterfaces", () -> 1);
        }

        // 5 at once, then 5 per 100 ms: the 15th call cannot go before 200 ms
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(elapsed.toMillis() >= 150, "15 calls at 50/s with burst 5 took only " + elapsed);
        // permits come back in batches of 5: the 6th and the 11th call each wait for the next batch
        assertEquals(2, recorder.count("wait "), "limiter waits reported: " + recorder.events);
        assertTrue(recorder.waited.toMillis() >= 100, "waited " + recorder.waited);
    }

    @Test
    void rateLimit_waitBeyondTimeout_failsThrottledWithoutCalling() throws Exception {
        Guard guard = new Guard(Fixtures.settings(Map.of(AwsSettings.API_RATE, "0.1", AwsSettings.API_BURST, "1",
                AwsSettings.LIMITER_TIMEOUT, "50ms")), null);
        guard.call("DescribeVpcs", () -> 1);
        AtomicInteger sent = new AtomicInteger();

        var e = assertThrows(CloudException.Throttled.class, () -> guard.call("DescribeVpcs", sent::incrementAndGet));

        assertEquals(ApiError.LIMITER_TIMEOUT, e.code());
        assertEquals(0, sent.get());
    }

    @RepeatedTest(20)
    void fullJitter_staysWithinTheCappedExponentialCeiling() {
        for (int attempt = 1; attempt <= 12; attempt++) {
            long ceiling = Math.min(1000, 10L << (attempt - 1));
            long d = Guard.fullJitter(attempt, 10, 1000);
            assertTrue(d >= 0 && d <= ceiling, "attempt " + attempt + ": " + d + " outside [0, " + ceiling + "]");
        }
    }

    @Test
    void networkError_isRetriedThenFatalTransient() {
        Guard guard = new Guard(Fixtures.settings(Map.of(AwsSettings.MAX_ATTEMPTS, "3")), null);
        AtomicInteger attempts = new AtomicInteger();

        var e = assertThrows(CloudException.Fatal.class, () -> guard.call("DescribeInstances", () -> {
            attempts.incrementAndGet();
            throw new ApiError(ApiError.NETWORK, 0, "Connection refused", true, null);
        }));

        assertEquals(3, attempts.get());
        assertEquals("unavailable", e.condition());
        assertTrue(e.getMessage().contains("DescribeInstances"), e.getMessage());
    }

    @Test
    void unexpectedRuntimeException_becomesFatal() {
        Guard guard = new Guard(Fixtures.settings(Map.of()), null);

        var e = assertThrows(CloudException.Fatal.class, () -> guard.call("DescribeVpcs", () -> {
            throw new IllegalStateException("SDK surprise");
        }));

        assertTrue(e.getMessage().contains("SDK surprise"));
    }
}
