package io.vpcipam.provider.sim;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.InterfaceSpec;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * Random call sequences on a small, crowded VPC (a /26 node subnet, so every limit is hit): after each step no
 * address is held twice, none is reserved or outside its subnet, no interface or instance is over its limits, and
 * a call that failed changed nothing.
 */
class SimulatedCloudPropertyTest {

    private static final Cidr SUBNET = Cidr.parse("10.0.0.0/26");

    /** QuickTheories prints the seed and the shrunk step list of a failure; {@code -DQT_SEED=N} replays it. */
    @Test
    void randomCalls_anySequence_keepEveryInvariant() {
        qt().withExamples(60).forAll(lists().of(integers().between(0, 999)).ofSizeBetween(1, 40))
                .checkAssert(steps -> {
                    try {
                        run(steps);
                    } catch (CloudException e) {
                        throw new AssertionError("describing the simulated cloud failed: " + e, e);
                    }
                });
    }

    private static void run(List<Integer> steps) throws CloudException {
        SimulatedCloud sim = SimulatedCloud.builder().instanceType("t3.medium").subnet(SUBNET).build();
        List<String> leaked = new ArrayList<>();
        for (int step : steps) {
            NodeInfo before = sim.peekNode();
            List<NetworkInterface> ifaces = before.interfaces();
            NetworkInterface target = ifaces.get(step % ifaces.size());
            int count = (step / 10) % 4;
            try {
                switch ((step / 100) % 7) {
                    case 0, 1 -> sim.assign(target.id(), count, 0);
                    case 2 -> sim.assign(target.id(), 0, count % 2);
                    case 3 -> sim.unassign(target.id(), target.secondaryAddresses().stream().limit(count).toList(),
                            target.prefixes().stream().limit(count % 2).toList());
                    case 4 -> sim.createInterface(new InterfaceSpec(sim.nodeSubnetId(), List.of(), count, count % 2,
                            Map.of("owner", "me"), ""));
                    case 5 -> sim.deleteInterface(target.id());
                    default -> leaked.add(sim.leakInterface(sim.nodeSubnetId(), Map.of("owner", "me")));
                }
            } catch (CloudException e) {
                assertEquals(before, sim.peekNode(), "failed " + e.code() + " changed the node");
            }
            check(sim);
        }
        assertEquals(leaked.size(), sim.findOrphanedInterfaces(Map.of("owner", "me")).size());
    }

    private static void check(SimulatedCloud sim) throws CloudException {
        NodeInfo node = sim.peekNode();
        List<NetworkInterface> all = new ArrayList<>(node.interfaces());
        all.addAll(sim.findOrphanedInterfaces(Map.of("owner", "me")));
        CloudProviderContractChecks.noAddressTwice(all);
        assertTrue(node.interfaces().size() <= node.limits().maxInterfaces());
        assertEquals(0, node.primaryInterface().deviceIndex());
        for (NetworkInterface i : all) {
            assertTrue(i.usedSlots() <= node.limits().slotsPerInterface(), i + " over its slots");
            List<Ipv4Address> addresses = new ArrayList<>(i.secondaryAddresses());
            addresses.add(i.primaryAddress());
            i.prefixes().forEach(p -> {
                assertEquals(28, p.length());
                addresses.add(p.base());
                addresses.add(p.last());
            });
            for (Ipv4Address a : addresses) {
                long offset = a.unsigned() - SUBNET.base().unsigned();
                assertTrue(SUBNET.contains(a), a + " outside " + SUBNET);
                assertFalse(offset < 4 || offset == SUBNET.size() - 1, a + " is reserved");
            }
        }
        int held = all.stream().mapToInt(i -> 1 + i.secondaryAddresses().size() + 16 * i.prefixes().size()).sum();
        assertEquals(SUBNET.size() - 5 - held, sim.freeAddresses(sim.nodeSubnetId()), "free count drifted");
    }
}
