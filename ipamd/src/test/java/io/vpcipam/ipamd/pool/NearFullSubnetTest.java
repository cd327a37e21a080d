package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.sim.Verb;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A subnet with fewer free addresses than the pool asks for (issue 13.10: 29 free, 30 asked, the call failed and
 * growth paused for 2 minutes while 36 pods had no address): ipamd asks for what the subnet has, which the cloud
 * tells with its refusal, and says so in its decisions.
 */
class NearFullSubnetTest extends OnTestNode {

    @Test
    void fewerFreeThanAsked_getsWhatTheSubnetHas_andSaysSo() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(8, 0, 0, 0, false, 0), Duration.ZERO);
        node.cloud.leaveFree(5);

        node.reconciler.pass();

        assertEquals(5, node.pool.status().free(), "asked for 8 and got nothing, though 5 were free");
        assertTrue(node.reconciler.decisions().stream().anyMatch(d -> d.outcome().contains("only 5 free")),
                node.reconciler.decisions().toString());
    }

    @Test
    void subnetEmpty_pausesGrowthAsBefore() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(8, 0, 0, 0, false, 0), Duration.ZERO);
        node.cloud.leaveFree(0);

        node.reconciler.pass();

        assertEquals(0, node.pool.status().total());
        assertTrue(node.pool.snapshot().growPausedUntil().isAfter(node.clock.instant()));
        assertEquals(1, node.cloud.calls(Verb.ASSIGN));
    }

    @Test
    void capacityError_carriesWhatTheSubnetHas() {
        var e = new CloudException.CapacityExhausted("InsufficientFreeAddressesInSubnet", "x",
                CloudException.CapacityExhausted.Scope.SUBNET, 29);
        assertEquals(29, e.available());
        assertEquals(-1, new CloudException.CapacityExhausted("c", "m",
                CloudException.CapacityExhausted.Scope.SUBNET).available());
    }
}
