package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.Ipv4Address;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A release or delete whose outcome the cloud did not report (a timeout after EC2 applied it, a detach that
 * succeeded before the delete failed): the addresses may already be gone from the node, so no ADD may take them
 * until a describe says whether the node still holds them.
 */
class InDoubtCloudCallTest extends OnTestNode {

    /** The simulated cloud, but unassign and delete are applied and then reported as failed. */
    static final class AppliedThenFailed extends ForwardingCloud {
        volatile boolean failAfterApplying = true;

        AppliedThenFailed(CloudProvider cloud) {
            super(cloud);
        }

        @Override
        public void deleteInterface(String interfaceId) throws CloudException {
            super.deleteInterface(interfaceId);
            if (failAfterApplying) {
                throw new CloudException.Conflict("IncorrectState", "still detaching (injected after the detach)");
            }
        }

        @Override
        public void unassign(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes)
                throws CloudException {
            super.unassign(interfaceId, addresses, prefixes);
            if (failAfterApplying) {
                throw new CloudException.Fatal("RequestTimeout", "timed out (injected after applying)", null, true);
            }
        }
    }

    /** ADDs (no waiting) until the pool says no; every address granted must be one the node holds. */
    private List<Ipv4Address> addUntilRefused(int from) throws Exception {
        List<Ipv4Address> got = new ArrayList<>();
        for (int i = from; i < from + 40; i++) {
            try {
                got.add(node.pool.add(key(i), "", "ns", "pod" + i, Duration.ZERO).lease().address());
            } catch (PoolException e) {
                break;
            }
        }
        return got;
    }

    @Test
    void releaseInDoubt_addressesStayOutOfReachUntilADescribeSettlesThem() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(1, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        node.podsCameAndWent(5);
        assertEquals(6, node.pool.status().free());
        AppliedThenFailed flaky = new AppliedThenFailed(node.cloud);
        Reconciler reconciler = new Reconciler(flaky, node.pool, node.settings, node.clock);
        reconciler.pass(); // releases 5; the cloud applied it but said it failed

        assertEquals(1, node.cloud.heldAddresses().size(), "the cloud did release them");
        Set<Ipv4Address> held = node.cloud.heldAddresses();
        for (Ipv4Address a : addUntilRefused(100)) {
            assertTrue(held.contains(a), "ADD was given " + a + ", which the node no longer holds");
        }

        flaky.failAfterApplying = false;
        node.clock.advance(Reconciler.MAX_CLOUD_BACKOFF); // a timeout holds cloud calls for a moment
        reconciler.pass(); // the describe settles what the failed call left in doubt
        for (var iface : node.pool.snapshot().interfaces()) {
            assertEquals(0, iface.releasing(), "nothing left in doubt after a describe");
        }
        assertTrue(held.containsAll(node.pool.status().leases().stream().map(l -> l.address()).toList()));
    }

    @Test
    void releaseRefused_addressesComeBackAfterTheDescribe() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(1, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        node.podsCameAndWent(3);
        node.cloud.failNext(io.vpcipam.provider.sim.Verb.UNASSIGN,
                new CloudException.Fatal("InternalError", "injected before applying", null, true));
        node.reconciler.pass(); // the release fails; the cloud still holds all four
        assertEquals(4, node.cloud.heldAddresses().size());
        node.clock.advance(Reconciler.MAX_CLOUD_BACKOFF); // a server error holds cloud calls for a moment
        node.reconciler.pass(); // re-reads the node: still held, so FREE again (and now released for real)
        for (var iface : node.pool.snapshot().interfaces()) {
            assertEquals(0, iface.releasing());
        }
        assertEquals(node.cloud.heldAddresses().size(), node.pool.status().total());
    }

    @Test
    void deleteInDoubt_addressesOfTheDetachedInterfaceAreNeverHandedOut() throws Exception {
        nodeWithAnIdleSecondInterface();
        List<Ipv4Address> onSecond = node.cloud.peekNode().interfaces().stream()
                .filter(ni -> ni.deviceIndex() == 1).findFirst().orElseThrow().secondaryAddresses();
        AppliedThenFailed flaky = new AppliedThenFailed(node.cloud);
        Reconciler reconciler = new Reconciler(flaky, node.pool, node.settings, node.clock);
        reconciler.pass(); // deletes the idle second interface; the cloud did it but said it failed
        assertEquals(1, node.cloud.peekNode().interfaces().size());

        Set<Ipv4Address> held = node.cloud.heldAddresses();
        List<Ipv4Address> got = addUntilRefused(100);
        for (Ipv4Address a : got) {
            assertTrue(held.contains(a), "ADD was given " + a + " of a deleted interface");
        }
        assertFalse(got.isEmpty());
        flaky.failAfterApplying = false;
        node.clock.advance(Reconciler.MAX_CLOUD_BACKOFF); // a timeout holds cloud calls for a moment
        reconciler.pass();
        for (var iface : node.pool.snapshot().interfaces()) {
            assertEquals(0, iface.releasing());
        }
        Set<Ipv4Address> heldNow = node.cloud.heldAddresses();
        for (Ipv4Address a : onSecond) {
            assertTrue(node.pool.stateOf(a) == null || heldNow.contains(a),
                    a + " of the deleted interface is in the pool but not held by the node");
        }
        assertEquals(heldNow.size(), node.pool.status().total());
    }
}
