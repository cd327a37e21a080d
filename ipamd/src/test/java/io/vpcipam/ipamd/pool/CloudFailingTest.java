package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.sim.Verb;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * While the cloud keeps failing (the provider's circuit breaker is open, or its calls fail with server errors) the
 * reconciler waits for it instead of describing at every ADD's wake-up (issue 18.4: about two describes a second), says
 * so, and calls again as soon as the wait is over.
 */
class CloudFailingTest extends OnTestNode {

    private static CloudException.Fatal circuitOpen(Duration left) {
        return new CloudException.Fatal("CircuitOpen", "EC2 kept failing; calls are paused", null, true, left);
    }

    private static CloudException.Fatal serverError() {
        return new CloudException.Fatal("InternalError", "an internal error (injected)", null, true);
    }

    @Test
    void breakerOpen_noDescribeUntilItCloses_thenServedAtOnce() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(1, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        node.cloud.failNext(Verb.DESCRIBE_NODE, 1, () -> circuitOpen(Duration.ofSeconds(30)));
        node.cloud.resetCounters();
        node.reconciler.requestResync();

        node.reconciler.pass(); // the describe is refused: the breaker is open for 30 s more
        for (int i = 0; i < 20; i++) {
            node.clock.advance(Duration.ofMillis(1400)); // ADDs keep waking it, as in the issue
            node.reconciler.pass();
        }

        assertEquals(1, node.cloud.calls(Verb.DESCRIBE_NODE), "described while the breaker was open");
        Reconciler.CloudHealth health = node.reconciler.cloudHealth();
        assertTrue(health.failing());
        assertTrue(health.lastError().contains("CircuitOpen"), health.lastError());
        assertTrue(node.reconciler.decisions().getLast().reason().contains("cloud"),
                node.reconciler.decisions().getLast().toString());

        node.clock.advance(Duration.ofSeconds(2)); // 30 s are over
        node.reconciler.pass();

        assertEquals(2, node.cloud.calls(Verb.DESCRIBE_NODE));
        assertFalse(node.reconciler.cloudHealth().failing());
    }

    @Test
    void serverErrors_backOffGrowingAndCapped_thenRecover() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(1, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        node.cloud.failNext(Verb.DESCRIBE_NODE, 1000, CloudFailingTest::serverError);
        node.cloud.resetCounters();
        node.reconciler.requestResync();

        for (int i = 0; i < 600; i++) { // two minutes of a wake-up every 200 ms
            node.reconciler.pass();
            node.clock.advance(Duration.ofMillis(200));
        }

        long describes = node.cloud.calls(Verb.DESCRIBE_NODE);
        assertTrue(describes >= 10 && describes <= 25, describes + " describes in two minutes of server errors");
        node.cloud.clearFaults();
        node.clock.advance(Reconciler.MAX_CLOUD_BACKOFF);
        node.reconciler.pass();
        assertFalse(node.reconciler.cloudHealth().failing());
    }

    @Test
    void breakerOpen_adds_areServedOnceItCloses() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(1, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        node.pool.add(new LeaseKey("vpc-ipam", "c0", "eth0"), "", "ns", "p0", Duration.ZERO);
        node.cloud.failNext(Verb.ASSIGN, 1, () -> circuitOpen(Duration.ofSeconds(10)));
        node.reconciler.pass(); // the allocate is refused by the open breaker
        assertEquals(0, node.pool.status().free());
        node.cloud.resetCounters();

        node.clock.advance(Duration.ofSeconds(5));
        node.reconciler.pass();
        assertEquals(0, node.cloud.calls(Verb.ASSIGN), "called through an open breaker");

        node.clock.advance(Duration.ofSeconds(5));
        node.reconciler.pass();
        assertEquals(1, node.pool.status().free(), "the warm address came as soon as the breaker closed");
    }
}
