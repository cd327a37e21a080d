package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.InterfaceSpec;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.OwnerTags;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A kill -9 between an interface's create and attach (or between a delete's detach and delete), or a create whose
 * answer never arrived, leaves a detached interface with this node's tags. The leaked-interface collector only looks
 * hourly, 5 minutes after start, at interfaces older than 5 minutes, so in a crash loop it never ran (issues 13.6,
 * 18.5): the first pass after start, and the pass after a create that ended in doubt, delete them at once.
 */
class LeftoverInterfacesTest extends OnTestNode {

    private Map<String, String> ours(Duration ago) {
        return Map.of(OwnerTags.INSTANCE_ID, node.cloud.instanceId(),
                OwnerTags.CREATED_AT, node.clock.instant().minus(ago).toString(), OwnerTags.CLUSTER, "test");
    }

    private List<String> detached() throws CloudException {
        return node.cloud.findOrphanedInterfaces(Map.of(OwnerTags.CLUSTER, "test")).stream()
                .map(NetworkInterface::id).toList();
    }

    @Test
    void start_deletesThisNodesDetachedInterfacesCreatedBefore_andNothingElse() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(1, 0, 0, 0, false, 0), Duration.ZERO);
        String leaked = node.cloud.leakInterface(node.cloud.nodeSubnetId(), ours(Duration.ofSeconds(3)));
        String otherNodes = node.cloud.leakInterface(node.cloud.nodeSubnetId(), Map.of(OwnerTags.INSTANCE_ID,
                "i-0another000000000", OwnerTags.CREATED_AT, node.clock.instant().minusSeconds(3).toString(),
                OwnerTags.CLUSTER, "test"));
        node.crashAndRestart();

        node.reconciler.pass();

        assertEquals(List.of(otherNodes), detached(), "only this node's leftover goes, at once");
        assertFalse(node.cloud.peekNode().interfaces().stream().anyMatch(i -> i.id().equals(leaked)));
    }

    @Test
    void createWhoseAnswerNeverArrived_isDeletedOnTheNextPass() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(0, 0, 1, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        int held = node.cloud.heldAddresses().size();
        for (int i = 0; i < held; i++) {
            node.pool.add(new io.vpcipam.ipamd.lease.LeaseKey("vpc-ipam", "c" + i, "eth0"), "", "ns", "p" + i,
                    Duration.ZERO);
        }
        LostCreate lossy = new LostCreate(node.cloud);
        Reconciler reconciler = new Reconciler(lossy, node.pool, node.settings, node.clock);
        reconciler.pass(); // a warm interface is created, but the answer is lost before the attach
        assertEquals(1, detached().size());
        lossy.lose = false;
        node.clock.advance(Reconciler.MAX_CLOUD_BACKOFF);

        reconciler.pass();

        assertTrue(detached().isEmpty(), "the interface whose create answer was lost is still there");
        assertEquals(2, node.cloud.peekNode().interfaces().size(), "and the warm interface was made after all");
    }

    /** The simulated cloud, but a create is carried out without its attach and its answer is lost. */
    static final class LostCreate extends ForwardingCloud {
        final io.vpcipam.provider.sim.SimulatedCloud cloud;
        volatile boolean lose = true;

        LostCreate(io.vpcipam.provider.sim.SimulatedCloud cloud) {
            super(cloud);
            this.cloud = cloud;
        }

        @Override
        public NetworkInterface createInterface(InterfaceSpec spec) throws CloudException {
            if (!lose) {
                return cloud.createInterface(spec);
            }
            cloud.leakInterface(spec.subnetId(), spec.tags());
            throw new CloudException.Fatal("RequestTimeout", "no answer (injected; the ENI was created)", null, true);
        }
    }
}
