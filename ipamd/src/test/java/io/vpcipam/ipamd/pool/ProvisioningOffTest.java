package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.lease.Checkpoint;
import io.vpcipam.ipamd.lease.CheckpointState;
import io.vpcipam.ipamd.lease.GroupCommit;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.provider.sim.SimulatedCloud;
import io.vpcipam.provider.sim.Verb;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * aws-node's DISABLE_NETWORK_RESOURCE_PROVISIONING=true: no interface or address is created, assigned, released or
 * deleted; pods get the addresses already on the node, and the decisions say why nothing grows.
 */
class ProvisioningOffTest {

    @TempDir
    Path dir;
    final io.vpcipam.provider.testkit.FakeClock clock = io.vpcipam.provider.testkit.FakeClock.at("2026-11-26T12:00:00Z");
    GroupCommit commit;

    @AfterEach
    void close() {
        if (commit != null) {
            commit.close();
        }
    }

    @Test
    void config_disableNetworkResourceProvisioning_isHonouredNotWarnedAbout() throws Exception {
        Config c = Config.fromEnv(Map.of("DISABLE_NETWORK_RESOURCE_PROVISIONING", "true"));
        assertFalse(c.provisioning());
        assertTrue(c.warnings().isEmpty(), c.warnings().toString());
        assertTrue(Config.fromEnv(Map.of()).provisioning(), "aws-node's default: provision");
    }

    @Test
    void provisioningOff_noCloudMutation_podsGetTheAddressesAlreadyOnTheNode() throws Exception {
        SimulatedCloud cloud = SimulatedCloud.builder().instanceType("m5.large").clock(clock).build();
        String eni = cloud.describeNode().primaryInterface().id();
        cloud.assign(eni, 3, 0); // what was on the node before (aws-node, an operator, a tool)
        long assigns = cloud.calls(Verb.ASSIGN);
        AddressPool pool = new AddressPool(clock, Duration.ZERO,
                source -> commit = new GroupCommit(new Checkpoint(dir.resolve("checkpoint.json")), source), () -> { },
                r -> { });
        Reconciler.Settings settings = new Reconciler.Settings(new Targets(10, 0, 0, 0, false, 0), Duration.ZERO,
                Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofHours(1),
                Duration.ZERO, null, List.of(), "test", Map.of(), false);
        Reconciler reconciler = new Reconciler(cloud, pool, settings, clock);
        pool.restore(cloud.describeNode(), CheckpointState.empty());
        pool.persist();

        Set<String> given = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            reconciler.pass();
            given.add(pool.add(new LeaseKey("vpc-ipam", "c" + i, "eth0"), "", "ns", "pod" + i, Duration.ZERO)
                    .lease().address().toString());
        }
        reconciler.pass();
        PoolException full = assertThrows(PoolException.class,
                () -> pool.add(new LeaseKey("vpc-ipam", "c3", "eth0"), "", "ns", "pod3", Duration.ZERO));

        assertEquals(3, given.size(), "the three addresses already there serve pods");
        assertEquals("NO_ADDRESS_AVAILABLE", full.code());
        assertEquals(assigns, cloud.calls(Verb.ASSIGN), "nothing assigned although WARM_IP_TARGET=10");
        assertEquals(0, cloud.calls(Verb.CREATE_INTERFACE) + cloud.calls(Verb.UNASSIGN)
                + cloud.calls(Verb.DELETE_INTERFACE) + cloud.calls(Verb.FIND_ORPHANS));
        List<Reconciler.Decision> decisions = reconciler.decisions();
        assertTrue(decisions.stream().anyMatch(d -> d.outcome().equals(Reconciler.PROVISIONING_OFF)),
                decisions.toString());
        assertEquals(1, decisions.stream().filter(d -> d.outcome().equals(Reconciler.PROVISIONING_OFF)
                && d.reason().equals(decisions.getLast().reason())).count(), "a repeat is not recorded again");
    }
}
