package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.sim.Verb;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A limit the pool did not know of (Azure's 256 private addresses per VM, a NIC full of someone else's
 * configurations) refuses an allocation; the same request must not be sent again at every pass (issue 14.2: 26 PUTs
 * in 30 s), but after a growing wait, and explain must say why growth stopped.
 */
class LimitRefusalTest extends OnTestNode {

    private static CloudException limit() {
        return new CloudException.CapacityExhausted("PrivateIPAddressesPerVmLimitReached",
                "the VM holds 256 private addresses (injected)", CloudException.CapacityExhausted.Scope.INSTANCE_ADDRESSES);
    }

    @Test
    void interfaceLimitRefusal_isRetriedAfterAGrowingWait_notAtEveryPass() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(4, 0, 0, 0, false, 0), Duration.ZERO);
        node.cloud.failNext(Verb.ASSIGN, 1000, LimitRefusalTest::limit);
        node.cloud.resetCounters();

        for (int i = 0; i < 300; i++) { // a minute of a pass every 200 ms
            node.reconciler.pass();
            node.clock.advance(Duration.ofMillis(200));
        }

        long asks = node.cloud.calls(Verb.ASSIGN);
        assertTrue(asks >= 2 && asks <= 6, asks + " refused allocations asked again in a minute");
        String last = node.reconciler.decisions().getLast().reason();
        assertTrue(last.contains("limit"), last);

        node.cloud.clearFaults();
        node.clock.advance(Duration.ofMinutes(5));
        node.reconciler.pass();
        assertEquals(4, node.pool.status().free(), "growth resumes once the wait is over");
    }

    @Test
    void limitRefusal_isATypedOutcome_forEventsMetricsAndIntrospection() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(4, 0, 0, 0, false, 0), Duration.ZERO);
        java.util.List<CapacityRefusal> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        node.reconciler.onCapacityRefusal(heard::add);
        node.reconciler.onCapacityRefusal(r -> {
            throw new IllegalStateException("a broken listener must not stop the reconciler");
        });
        node.cloud.failNext(Verb.ASSIGN, 1000, LimitRefusalTest::limit);
        node.cloud.resetCounters();

        for (int i = 0; i < 150; i++) { // 30 s of a pass every 200 ms
            node.reconciler.pass();
            node.clock.advance(Duration.ofMillis(200));
        }

        assertEquals(node.cloud.calls(Verb.ASSIGN), heard.size(), "one typed refusal per refused request");
        CapacityRefusal last = node.reconciler.lastCapacityRefusal();
        assertEquals(heard.getLast(), last);
        assertEquals("InstanceAddressLimit", last.reason());
        assertEquals("PrivateIPAddressesPerVmLimitReached", last.code());
        assertEquals(heard.size(), last.inARow());
        assertTrue(last.interfaceId() != null && last.interfaceId().startsWith("eni-"), last.interfaceId());
        assertEquals(node.pool.snapshot().growPausedUntil(), last.growthPausedUntil());
        assertEquals(java.util.List.of("SubnetExhausted", "InstanceInterfaceLimit", "InterfaceAddressLimit",
                "InstanceAddressLimit"), CapacityRefusal.REASONS);
    }
}
