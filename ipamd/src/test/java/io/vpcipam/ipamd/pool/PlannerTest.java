package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.Capabilities;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.Limits;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

class PlannerTest {

    static final Limits C5_4XLARGE = new Limits(8, 30);
    static final Capabilities EC2 = new Capabilities(true, true, 28, 1000);
    static final Capabilities AZURE = new Capabilities(false, false, 0, 256);
    static final Instant NOW = Instant.parse("2026-11-26T12:00:00Z");
    static final Duration SHRINK = Duration.ofSeconds(60);

    /** A tiny model of a node: per interface, free/assigned/cooling counts of single addresses. */
    static final class Model {
        final List<int[]> ifaces = new ArrayList<>(); // {used slots, free, assigned, cooling}
        int demand;
        Instant lastGrow = Instant.MIN;
        Instant lastShrink = Instant.MIN;
        int perPrefix = 1;
        final java.util.Set<Integer> unmanaged = new java.util.HashSet<>();
        int excluded; // no_manage interfaces on the pool's card: hold indexes, give no address

        Model iface(int free, int assigned, int cooling) {
            ifaces.add(new int[]{free + assigned + cooling, free, assigned, cooling});
            return this;
        }

        Snapshot snapshot() {
            List<Snapshot.InterfaceState> states = new ArrayList<>();
            int base = 10;
            for (int i = 0; i < ifaces.size(); i++) {
                int[] c = ifaces.get(i);
                List<Ipv4Address> free = new ArrayList<>();
                for (int k = 0; k < c[1]; k++) {
                    free.add(Ipv4Address.parse("10.0." + (base + i) + "." + (k + 1)));
                }
                List<Cidr> freePrefixes = new ArrayList<>();
                states.add(new Snapshot.InterfaceState("eni-" + i, i, c[0] / perPrefix + (c[0] % perPrefix == 0 ? 0 : 1),
                        c[1], c[2], c[3], 0, perPrefix == 1 ? free : List.of(), freePrefixes, !unmanaged.contains(i)));
            }
            return new Snapshot(states, demand, lastGrow, lastShrink, Instant.MIN, excluded);
        }

        /** Applies a plan as a cooperative cloud would; returns false for Nothing. */
        boolean apply(Plan plan) {
            switch (plan) {
                case Plan.Allocate a -> {
                    int[] c = ifaces.get(Integer.parseInt(a.interfaceId().substring(4)));
                    c[0] += a.addresses();
                    c[1] += a.addresses();
                    lastGrow = NOW;
                }
                case Plan.CreateInterface c -> {
                    ifaces.add(new int[]{c.addresses(), c.addresses(), 0, 0});
                    lastGrow = NOW;
                }
                case Plan.Release r -> {
                    int[] c = ifaces.get(Integer.parseInt(r.interfaceId().substring(4)));
                    c[0] -= r.addresses().size();
                    c[1] -= r.addresses().size();
                    lastShrink = NOW;
                }
                case Plan.DeleteInterface d -> {
                    int i = Integer.parseInt(d.interfaceId().substring(4));
                    ifaces.remove(i); // identities are positional in this model
                    lastShrink = NOW;
                }
                case Plan.Nothing n -> {
                    return false;
                }
            }
            return true;
        }

        int free() {
            return ifaces.stream().mapToInt(c -> c[1]).sum();
        }

        int total() {
            return ifaces.stream().mapToInt(c -> c[1] + c[2] + c[3]).sum();
        }
    }

    static Plan plan(Model m, Targets t, Limits l, Capabilities caps, Instant now) {
        return Planner.plan(m.snapshot(), t, l, caps, now, SHRINK);
    }

    @Test
    void plan_coldNodeWithBurst_fillsPrimaryThenCreatesFullInterfaces() {
        Model m = new Model().iface(0, 0, 0);
        m.demand = 100;
        List<Plan> plans = new ArrayList<>();
        for (Plan p = plan(m, Targets.defaults(), C5_4XLARGE, EC2, NOW); m.apply(p); p = plan(m, Targets.defaults(), C5_4XLARGE, EC2, NOW)) {
            plans.add(p);
        }
        // 100 waiting + 29 warm = 129 = 29 on eni-0, then interfaces of 29, 29, 29 and 13
        assertEquals(5, plans.size(), plans.toString());
        assertEquals(new Plan.Allocate("eni-0", 29, 0, plans.get(0).reason()), plans.get(0));
        assertInstanceOf(Plan.CreateInterface.class, plans.get(1));
        assertEquals(29, ((Plan.CreateInterface) plans.get(1)).addresses());
        assertEquals(13, ((Plan.CreateInterface) plans.get(4)).addresses());
        assertTrue(plans.get(0).reason().contains("100 waiting ADDs + warm target 29"), plans.get(0).reason());
    }

    @Test
    void plan_fillsExistingInterfacesBeforeCreating() {
        Model m = new Model().iface(0, 29, 0).iface(0, 10, 0);
        m.demand = 1;
        Plan p = plan(m, new Targets(2, 0, 0, 0, false, 0), C5_4XLARGE, EC2, NOW);
        assertEquals("eni-1", ((Plan.Allocate) p).interfaceId());
        assertEquals(3, ((Plan.Allocate) p).addresses());
    }

    @Test
    void plan_coolingAddressesDoNotCountAsFree() {
        Model m = new Model().iface(0, 20, 5);
        Plan p = plan(m, new Targets(5, 0, 0, 0, false, 0), C5_4XLARGE, EC2, NOW);
        assertEquals(new Plan.Allocate("eni-0", 4, 0, p.reason()), p, "29 slots, 25 used: 4 more, and a new ENI next");
    }

    @Test
    void plan_atInstanceLimit_saysSo() {
        Model m = new Model();
        for (int i = 0; i < 3; i++) {
            m.iface(0, 5, 0);
        }
        m.demand = 1;
        Plan p = plan(m, Targets.defaults(), new Limits(3, 6), EC2, NOW);
        assertInstanceOf(Plan.Nothing.class, p);
        assertTrue(p.reason().contains("at its limit"), p.reason());
    }

    @Test
    void plan_maxEniCapsInterfaces() {
        Model m = new Model().iface(0, 29, 0).iface(0, 29, 0);
        m.demand = 1;
        Plan p = plan(m, new Targets(0, 0, 1, 0, false, 2), C5_4XLARGE, EC2, NOW);
        assertInstanceOf(Plan.Nothing.class, p);
    }

    @Test
    void plan_azureCannotAttach_growsOnlyTheNic() {
        Model m = new Model().iface(0, 255, 0);
        m.demand = 3;
        Plan p = plan(m, new Targets(10, 0, 0, 0, false, 0), new Limits(1, 257), AZURE, NOW);
        assertEquals(new Plan.Allocate("eni-0", 1, 0, p.reason()), p);
        m.apply(p);
        assertInstanceOf(Plan.Nothing.class, plan(m, new Targets(10, 0, 0, 0, false, 0), new Limits(1, 257), AZURE, NOW));
    }

    @Test
    void plan_twoNicAzureVm_growsToTheVmLimitNotTwoNicsWorth_andExplainSaysWhichLimit() {
        Model m = new Model().iface(0, 0, 0).iface(0, 0, 0);
        m.demand = 400;
        Limits twoNicVm = new Limits(2, 256, 254); // 256 per VM less the two NICs' primaries
        Targets t = new Targets(10, 0, 0, 0, false, 0);
        List<Plan> plans = new ArrayList<>();
        for (Plan p = plan(m, t, twoNicVm, AZURE, NOW); m.apply(p); p = plan(m, t, twoNicVm, AZURE, NOW)) {
            plans.add(p);
        }
        int held = m.ifaces.stream().mapToInt(c -> c[0]).sum();
        assertEquals(254, held, "the pool grew past the VM's 256 private addresses: " + plans);
        assertEquals(254, Planner.capacity(m.snapshot(), t, twoNicVm, AZURE), "status, annotation and metric capacity");
        Plan last = plan(m, t, twoNicVm, AZURE, NOW);
        assertTrue(last.reason().contains("254 addresses for the instance as a whole"), last.reason());
        assertEquals(510, Planner.capacity(m.snapshot(), t, new Limits(2, 256), AZURE), "without a VM limit: 2 x 255");
    }

    @Test
    void plan_prefixMode_asksForWholePrefixes() {
        Model m = new Model().iface(0, 0, 0);
        m.demand = 20;
        Plan p = plan(m, new Targets(0, 0, 0, 1, true, 0), C5_4XLARGE, EC2, NOW);
        assertEquals(new Plan.Allocate("eni-0", 0, 3, p.reason()), p, "20 waiting + 16 warm = 36 -> 3 prefixes");
    }

    @Test
    void plan_excessBelowThreshold_keepsAddresses() {
        Model m = new Model().iface(11, 5, 0);
        Plan p = plan(m, new Targets(10, 0, 0, 0, false, 0), C5_4XLARGE, EC2, NOW.plus(Duration.ofHours(1)));
        assertInstanceOf(Plan.Nothing.class, p, "1 above a warm target of 10 is within the hysteresis band of 5");
    }

    @Test
    void plan_excess_releasesDownToTargetAfterTheQuietPeriod() {
        Model m = new Model().iface(20, 5, 0);
        m.lastGrow = NOW;
        Targets t = new Targets(10, 0, 0, 0, false, 0);
        assertInstanceOf(Plan.Nothing.class, plan(m, t, C5_4XLARGE, EC2, NOW.plusSeconds(30)), "too soon after growing");
        Plan p = plan(m, t, C5_4XLARGE, EC2, NOW.plusSeconds(61));
        assertEquals(10, ((Plan.Release) p).addresses().size());
    }

    @Test
    void plan_warmEniMode_neverReleasesSingleAddressesButDeletesAnIdleInterface() {
        Model m = new Model().iface(29, 0, 0).iface(20, 9, 0);
        Plan keep = plan(m, Targets.defaults(), C5_4XLARGE, EC2, NOW);
        assertInstanceOf(Plan.Nothing.class, keep, "20 above target, but no idle secondary interface");
        Model two = new Model().iface(0, 29, 0).iface(29, 0, 0).iface(29, 0, 0);
        Plan p = plan(two, Targets.defaults(), C5_4XLARGE, EC2, NOW);
        assertEquals(new Plan.DeleteInterface("eni-2", p.reason()), p);
    }

    @Test
    void plan_neverDeletesAnInterfaceVpcIpamDidNotCreate() throws Exception {
        Model m = new Model().iface(0, 29, 0).iface(29, 0, 0).iface(29, 0, 0);
        m.unmanaged.add(2); // attached by someone else (Multus, EFA): idle, but not ours
        Plan p = plan(m, Targets.defaults(), C5_4XLARGE, EC2, NOW);
        assertEquals(new Plan.DeleteInterface("eni-1", p.reason()), p);
    }

    @Test
    void plan_withoutHotAttach_neverDeletesAnInterface() {
        Model m = new Model().iface(0, 20, 0).iface(100, 0, 0);
        Plan p = plan(m, new Targets(10, 0, 0, 0, false, 0), new Limits(2, 257), AZURE, NOW);
        assertInstanceOf(Plan.Release.class, p, "an Azure NIC cannot be attached again: give addresses back instead");
    }

    @Test
    void plan_neverDeletesThePrimaryOrAnInterfaceWithCoolingAddresses() {
        Model m = new Model().iface(29, 0, 0).iface(28, 0, 1).iface(29, 0, 0);
        Targets t = new Targets(1, 0, 0, 0, false, 0);
        Plan p = plan(m, t, C5_4XLARGE, EC2, NOW);
        assertEquals(new Plan.DeleteInterface("eni-2", p.reason()), p);
        m.ifaces.remove(2);
        Plan next = plan(m, t, C5_4XLARGE, EC2, NOW);
        assertInstanceOf(Plan.Release.class, next, "eni-1 has a cooling address, eni-0 is primary: release singles");
    }

    /** A node's starting state and targets for the convergence property. */
    record Start(int extraInterfaces, int assignedEach, int demand, int warmIp, int minIp, int warmEni) {
    }

    @Test
    void plan_fromAnyState_convergesWithinLimitsAndStops() {
        var starts = PoolMathTest.upTo(7).zip(PoolMathTest.upTo(29), PoolMathTest.upTo(300), PoolMathTest.upTo(40),
                (x, a, d, w) -> new int[]{x, a, d, w}).zip(PoolMathTest.upTo(100), PoolMathTest.upTo(3),
                (xadw, minIp, warmEni) -> new Start(xadw[0], xadw[1], xadw[2], xadw[3], minIp, warmEni));
        qt().withExamples(300).forAll(starts).checkAssert(PlannerTest::convergesWithinLimitsAndStops);
    }

    private static void convergesWithinLimitsAndStops(Start s) {
        Model m = new Model().iface(0, s.assignedEach(), 0);
        for (int i = 0; i < s.extraInterfaces(); i++) {
            m.iface(0, s.assignedEach(), 0);
        }
        m.demand = s.demand();
        Targets t = new Targets(s.warmIp(), s.minIp(), s.warmEni(), 0, false, 0);
        int steps = 0;
        Instant later = NOW.plus(Duration.ofHours(1));
        while (m.apply(plan(m, t, C5_4XLARGE, EC2, later))) {
            steps++;
            assertTrue(steps < 20, "plans must converge");
            assertTrue(m.ifaces.size() <= 8, "never above the interface limit");
            for (int[] c : m.ifaces) {
                assertTrue(c[0] <= 29 && c[1] >= 0, "never above the slots of an interface, never negative");
            }
        }
        int capacity = 8 * 29;
        int warm = t.addressTargets() ? s.warmIp() : s.warmEni() * 29;
        assertTrue(m.free() >= Math.min(warm + s.demand(), capacity - (m.total() - m.free())) || m.total() >= capacity,
                "after convergence the pool serves the waiting ADDs and the warm target, or the node is full");
        assertInstanceOf(Plan.Nothing.class, plan(m, t, C5_4XLARGE, EC2, later), "idempotent once applied");
    }

    @Test
    void plan_excludedInterfacesOccupyTheCardsLimit_soTheLastCreateIsNotPlanned() {
        Limits m5Large = new Limits(3, 10);
        Targets warm = new Targets(5, 0, 0, 0, false, 0);
        Model m = new Model().iface(0, 9, 0); // the primary, full
        m.excluded = 1;                        // a Multus ENI tagged no_manage

        Plan first = Planner.plan(m.snapshot(), warm, m5Large, EC2, NOW, SHRINK);
        assertInstanceOf(Plan.CreateInterface.class, first, first.reason());
        m.apply(first);
        m.ifaces.getLast()[2] = 9; // all assigned
        m.ifaces.getLast()[1] = 0;
        Plan second = Planner.plan(m.snapshot(), warm, m5Large, EC2, NOW, SHRINK);

        assertInstanceOf(Plan.Nothing.class, second, "3 interfaces with the excluded one: " + second.reason());
        assertTrue(second.reason().contains("1 unmanaged"), second.reason());
    }

    @Test
    void maxInterfaces_subtractsExcludedFromMaxEni_asTheAwsCniDoes() {
        Model m = new Model().iface(1, 0, 0);
        m.excluded = 2;

        assertEquals(6, Planner.maxInterfaces(m.snapshot(), new Targets(1, 0, 0, 0, false, 0), C5_4XLARGE, EC2));
        assertEquals(1, Planner.maxInterfaces(m.snapshot(), new Targets(1, 0, 0, 0, false, 3), C5_4XLARGE, EC2));
        assertEquals(0, Planner.maxInterfaces(m.snapshot(), new Targets(1, 0, 0, 0, false, 2), C5_4XLARGE, EC2));
    }

    @Test
    void plan_maxEniBelowWhatIsAttached_withExcluded_growsOnlyTheFirstPoolInterfaces() {
        Model m = new Model().iface(0, 29, 0).iface(0, 1, 0); // primary full, ours with room
        m.excluded = 1;
        m.demand = 1;

        // MAX_ENI=2: the primary and the excluded one use it up, so ours (the second pool interface) is not grown
        Plan plan = Planner.plan(m.snapshot(), new Targets(1, 0, 0, 0, false, 2), C5_4XLARGE, EC2, NOW, SHRINK);

        assertInstanceOf(Plan.Nothing.class, plan, plan.reason());
    }

    @Test
    void decide_returnsThePlanWithTheNodesShape_theOneSourceOfItsLimits() {
        Model m = new Model();
        for (int i = 0; i < 8; i++) {
            m.iface(0, 29, 0); // every slot of every interface the c5.4xlarge may have is in use
        }
        m.demand = 1;
        Snapshot full = m.snapshot();

        Planner.Planned planned = Planner.decide(full, new Targets(1, 0, 0, 0, false, 0), C5_4XLARGE, EC2, NOW, SHRINK);

        assertInstanceOf(Plan.Nothing.class, planned.plan());
        assertEquals(new Planner.Shape(8, 232, 29, true), planned.shape());
        assertEquals(new Planner.Shape(8, 232, 29, false),
                Planner.shape(new Model().iface(3, 0, 0).snapshot(), new Targets(1, 0, 0, 0, false, 0), C5_4XLARGE,
                        EC2));
    }
}
