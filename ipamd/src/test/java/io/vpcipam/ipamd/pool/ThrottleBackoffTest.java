package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.sim.Verb;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A throttled fleet must not retry in step. Every node of an account draws on the same token bucket, which gives every
 * node the same retry-after (its next token). A wait of retry-after plus 20% had a thousand simulated nodes retry
 * within milliseconds of each token, so nine calls in ten were throttled. Each throttle in a row now doubles a random
 * spread on top of the retry-after. A periodic re-read, which only looks for drift, is put off instead of retried, and
 * the pass goes on; but never past 8 intervals, so drift is still seen while the account throttles steadily. The
 * fleet-wide effect is in {@code SimulationTest}; here the reconciler's own waits are checked, with a random source
 * that draws the top of every range (or the bottom, to show the spread is drawn, not added).
 */
class ThrottleBackoffTest extends OnTestNode {

    private static final Duration RETRY_AFTER = Duration.ofMillis(100);

    private static CloudException.Throttled throttled() {
        return new CloudException.Throttled("RequestLimitExceeded", "Request limit exceeded (injected)", RETRY_AFTER);
    }

    /** What the reconciler waited, in order, instead of sleeping. */
    private final List<Duration> waits = new ArrayList<>();

    /** An m5.large that keeps 5 addresses warm (WARM_IP_TARGET=5), and its {@link #reconciler}. */
    private Reconciler fiveWarm(boolean topDraws) throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(5, 0, 0, 0, false, 0), Duration.ZERO);
        return reconciler(topDraws);
    }

    /**
     * The node's reconciler, recording its waits in {@link #waits}, drawing the top ({@code topDraws}) or the bottom
     * of every random range.
     */
    private Reconciler reconciler(boolean topDraws) {
        RandomGenerator draws = new RandomGenerator() {
            @Override
            public long nextLong() {
                return topDraws ? Long.MAX_VALUE : 0;
            }

            @Override
            public long nextLong(long bound) {
                return topDraws ? bound - 1 : 0;
            }
        };
        Reconciler.Pacing pacing = new Reconciler.Pacing() {
            @Override
            public void sleep(Duration d) {
                waits.add(d);
            }

            @Override
            public RandomGenerator random() {
                return draws;
            }
        };
        return new Reconciler(node.cloud, node.pool, node.settings, node.clock, nanos -> { }, new Wakeup(), pacing);
    }

    /** Pods 0 to {@code n - 1} take {@code n} of the node's free addresses. */
    private void podsTake(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            node.pool.add(key(i), "", "ns", "pod" + i, Duration.ZERO);
        }
    }

    private static List<Duration> millis(long... ms) {
        List<Duration> out = new ArrayList<>();
        for (long m : ms) {
            out.add(Duration.ofMillis(m));
        }
        return out;
    }

    @Test
    void throttlesInARow_waitTheRetryAfterPlusASpreadThatDoubles_upToFourSeconds_thenStartOver() throws Exception {
        Reconciler r = fiveWarm(true);
        node.cloud.failNext(Verb.ASSIGN, 7, ThrottleBackoffTest::throttled);

        r.pass();

        assertEquals(millis(100 + 250, 100 + 500, 100 + 1_000, 100 + 2_000, 100 + 4_000, 100 + 4_000, 100 + 4_000),
                waits, "retry-after + a spread of 250 ms doubling per throttle in a row, at most 4 s: inside an ADD's"
                        + " 10 s timeout");
        assertEquals(8, node.cloud.calls(Verb.ASSIGN), "seven throttled, then answered, all in the one pass");
        assertEquals(5, node.pool.status().free());

        // the pods take the warm addresses; the next allocation is throttled once: its spread starts over
        podsTake(5);
        waits.clear();
        node.cloud.failNext(Verb.ASSIGN, 1, ThrottleBackoffTest::throttled);
        r.pass();
        assertEquals(millis(100 + 250), waits, "an answered call ends the run of throttles");
        assertEquals(5, node.pool.status().free());
    }

    @Test
    void theSpreadIsDrawn_notAdded_theLeastWaitIsTheRetryAfter() throws Exception {
        Reconciler r = fiveWarm(false);
        node.cloud.failNext(Verb.ASSIGN, 3, ThrottleBackoffTest::throttled);

        r.pass();

        assertEquals(millis(100, 100, 100), waits);
    }

    @Test
    void periodicReread_throttled_isPutOffNotRetried_andThePassGoesOnToAllocate() throws Exception {
        Reconciler r = fiveWarm(true);
        r.pass(); // the first read, then 5 warm addresses
        podsTake(5);
        node.cloud.resetCounters();
        node.clock.advance(Duration.ofSeconds(61)); // the periodic re-read (every 60 s here) is due
        node.cloud.failNext(Verb.DESCRIBE_NODE, 1, ThrottleBackoffTest::throttled);

        r.pass();

        assertEquals(1, node.cloud.calls(Verb.DESCRIBE_NODE), "the throttled re-read is not retried in the pass");
        assertEquals(List.of(), waits, "and nothing waits for it");
        assertEquals(1, node.cloud.calls(Verb.ASSIGN), "the pass goes on: the pods' addresses are replaced");
        assertEquals(5, node.pool.status().free());

        node.clock.advance(Duration.ofSeconds(143));
        r.pass();
        assertEquals(1, node.cloud.calls(Verb.DESCRIBE_NODE), "put off two intervals (+20% jitter: 144 s)");

        node.clock.advance(Duration.ofSeconds(2));
        r.pass();
        assertEquals(2, node.cloud.calls(Verb.DESCRIBE_NODE), "then read again");
    }

    @Test
    void neededReread_throttled_isRetriedInThePass() throws Exception {
        Reconciler r = fiveWarm(true);
        r.pass();
        node.cloud.resetCounters();
        r.requestResync(); // as after a call whose outcome is in doubt: the pool must not act on a stale picture
        node.cloud.failNext(Verb.DESCRIBE_NODE, 2, ThrottleBackoffTest::throttled);

        r.pass();

        assertEquals(3, node.cloud.calls(Verb.DESCRIBE_NODE), "two throttled, then read, in the one pass");
        assertEquals(millis(100 + 250, 100 + 500), waits);
    }

    @Test
    void anyThrottle_putsTheNextPeriodicRereadOffByAnInterval() throws Exception {
        Reconciler r = fiveWarm(true);
        r.pass(); // read at t0
        podsTake(5);
        node.clock.advance(Duration.ofSeconds(30));
        node.cloud.resetCounters();
        node.cloud.failNext(Verb.ASSIGN, 1, ThrottleBackoffTest::throttled);
        r.pass(); // t0 + 30 s: the allocation is throttled once, then answered

        node.clock.advance(Duration.ofSeconds(60)); // t0 + 90 s: due by the interval, put off to t0 + 30 + 72 s
        r.pass();
        assertEquals(0, node.cloud.calls(Verb.DESCRIBE_NODE), "the account throttles: drift can wait");

        node.clock.advance(Duration.ofSeconds(13)); // t0 + 103 s
        r.pass();
        assertEquals(1, node.cloud.calls(Verb.DESCRIBE_NODE));
    }

    @Test
    void steadyThrottling_neverPutsTheRereadOffPastEightIntervals() throws Exception {
        // one throttled allocation every 42 s (0.7 of the 60 s interval): each throttle puts the periodic re-read off
        // by an interval, so without a bound the node would never look for drift (an address removed behind its back)
        node = new TestNode(dir, "c5.4xlarge", new Targets(1, 0, 0, 0, false, 0), Duration.ZERO);
        Reconciler r = reconciler(true);
        r.pass(); // read at t0
        node.cloud.resetCounters();
        for (int i = 0; i < 29; i++) { // 29 x 42 s = 1,218 s: 20 intervals
            node.clock.advance(Duration.ofSeconds(42));
            node.pool.add(key(i), "", "ns", "pod" + i, Duration.ZERO); // takes the warm address: the pass allocates
            node.cloud.failNext(Verb.ASSIGN, 1, ThrottleBackoffTest::throttled);
            r.pass();
        }

        assertTrue(waits.size() >= 25, "allocations throttled all along: " + waits.size() + " throttles");
        assertEquals(2, node.cloud.calls(Verb.DESCRIBE_NODE), "read once 8 intervals after t0, again 8 after that");
    }
}
