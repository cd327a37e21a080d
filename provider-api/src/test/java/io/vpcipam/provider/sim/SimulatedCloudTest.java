package io.vpcipam.provider.sim;

import io.vpcipam.provider.testkit.FakeClock;
import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudCallListener;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudException.CapacityExhausted;
import io.vpcipam.provider.InterfaceSpec;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedCloudTest {

    private static SimulatedCloud sim(String type) {
        return SimulatedCloud.builder().instanceType(type).build();
    }

    private static InterfaceSpec spec(String subnetId, int addresses, int prefixes) {
        return new InterfaceSpec(subnetId, List.of(), addresses, prefixes, Map.of("k", "v"), "test");
    }

    private static <E extends CloudException> E assertUnchanged(SimulatedCloud sim, Class<E> type, Call call) {
        NodeInfo before = sim.peekNode();
        Set<Ipv4Address> held = sim.heldAddresses();
        int free = sim.freeAddresses(sim.nodeSubnetId());
        E e = assertThrows(type, call::run);
        assertEquals(before, sim.peekNode(), "a failed call changed the node");
        assertEquals(held, sim.heldAddresses());
        assertEquals(free, sim.freeAddresses(sim.nodeSubnetId()), "a failed call changed the subnet");
        return e;
    }

    interface Call {
        void run() throws Exception;
    }

    // ---------------------------------------------------------------- limits

    @Test
    void builder_unknownInstanceType_namesItAndTheKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class, () -> SimulatedCloud.builder().instanceType("x9.huge"));
        assertTrue(e.getMessage().contains("x9.huge") && e.getMessage().contains("m5.large"), e.getMessage());
    }

    @Test
    void describeNode_instanceTypes_reportRealEc2Limits() throws Exception {
        Map<String, List<Integer>> expected = Map.of("t3.medium", List.of(3, 6), "m5.large", List.of(3, 10),
                "m5.xlarge", List.of(4, 15), "c5.4xlarge", List.of(8, 30), "m5.24xlarge", List.of(15, 50));
        for (var entry : expected.entrySet()) {
            var limits = sim(entry.getKey()).describeNode().limits();
            assertEquals(entry.getValue(), List.of(limits.maxInterfaces(), limits.addressesPerInterface()), entry.getKey());
        }
    }

    @Test
    void assign_beyondInterfaceSlots_throwsPrivateIpAddressLimitExceededAndChangesNothing() throws Exception {
        SimulatedCloud sim = sim("t3.medium");  // 6 per ENI: primary + 5 slots
        String eni = sim.peekNode().primaryInterface().id();
        sim.assign(eni, 3, 1);                  // a prefix takes one slot like an address

        var e = assertUnchanged(sim, CapacityExhausted.class, () -> sim.assign(eni, 2, 0));

        assertEquals("PrivateIpAddressLimitExceeded", e.code());
        assertEquals(CapacityExhausted.Scope.INTERFACE_ADDRESSES, e.scope());
        assertUnchanged(sim, CapacityExhausted.class, () -> sim.assign(eni, 0, 2));
        assertEquals(1, sim.assign(eni, 1, 0).addresses().size());
    }

    @Test
    void createInterface_moreAddressesThanSlots_throwsPrivateIpAddressLimitExceeded() {
        SimulatedCloud sim = sim("t3.medium");
        var e = assertUnchanged(sim, CapacityExhausted.class, () -> sim.createInterface(spec(sim.nodeSubnetId(), 5, 1)));
        assertEquals("PrivateIpAddressLimitExceeded", e.code());
    }

    @Test
    void createInterface_beyondMaxInterfaces_throwsAttachmentLimitExceededAndChangesNothing() throws Exception {
        SimulatedCloud sim = sim("t3.medium");  // 3 ENIs
        sim.createInterface(spec(sim.nodeSubnetId(), 1, 0));
        sim.createInterface(spec(sim.nodeSubnetId(), 1, 0));

        var e = assertUnchanged(sim, CapacityExhausted.class, () -> sim.createInterface(spec(sim.nodeSubnetId(), 1, 0)));

        assertEquals("AttachmentLimitExceeded", e.code());
        assertEquals(CapacityExhausted.Scope.INSTANCE_INTERFACES, e.scope());
    }

    @Test
    void createInterface_withPrefixes_attachesWithPrefixesAndTags() throws Exception {
        SimulatedCloud sim = sim("m5.large");
        NetworkInterface eni = sim.createInterface(spec(sim.nodeSubnetId(), 1, 2));
        assertEquals(1, eni.deviceIndex());
        assertEquals(2, eni.prefixes().size());
        assertEquals(Map.of("k", "v"), eni.tags());
        assertEquals(1 + 2 * 16, sim.heldAddresses().size());
    }

    @Test
    void assign_subnetAlmostFull_throwsInsufficientFreeAddressesInSubnet() throws Exception {
        SimulatedCloud sim = sim("c5.4xlarge");
        String eni = sim.peekNode().primaryInterface().id();
        sim.leaveFree(2);

        var e = assertUnchanged(sim, CapacityExhausted.class, () -> sim.assign(eni, 3, 0));

        assertEquals("InsufficientFreeAddressesInSubnet", e.code());
        assertEquals(CapacityExhausted.Scope.SUBNET, e.scope());
        assertEquals(2, sim.assign(eni, 2, 0).addresses().size());
        assertEquals(0, sim.freeAddresses(sim.nodeSubnetId()));
        assertUnchanged(sim, CapacityExhausted.class, () -> sim.createInterface(spec(sim.nodeSubnetId(), 0, 0)));
    }

    @Test
    void assign_prefixOnFragmentedSubnet_throwsInsufficientCidrBlocksButAddressesStillWork() throws Exception {
        SimulatedCloud sim = sim("c5.4xlarge");
        String eni = sim.peekNode().primaryInterface().id();
        sim.fragment();

        var e = assertUnchanged(sim, CapacityExhausted.class, () -> sim.assign(eni, 0, 1));

        assertEquals("InsufficientCidrBlocks", e.code());
        assertEquals(CapacityExhausted.Scope.SUBNET, e.scope());
        assertEquals(1, sim.assign(eni, 1, 0).addresses().size());
    }

    @Test
    void assign_prefix_neverCoversAnAddressInUse() throws Exception {
        SimulatedCloud sim = sim("c5.4xlarge");
        String eni = sim.peekNode().primaryInterface().id();
        List<Ipv4Address> addresses = sim.assign(eni, 14, 0).addresses();  // .5-.18: the first two /28s are touched

        Cidr prefix = sim.assign(eni, 0, 1).prefixes().getFirst();

        assertEquals(Cidr.parse("10.0.0.32/28"), prefix);
        addresses.forEach(a -> assertFalse(prefix.contains(a)));
        assertEquals(Ipv4Address.parse("10.0.0.19"), sim.assign(eni, 1, 0).addresses().getFirst());
    }

    @Test
    void unknownIds_throwAwsNotFoundCodes() {
        SimulatedCloud sim = sim("m5.large");
        assertEquals("InvalidNetworkInterfaceID.NotFound",
                assertThrows(CloudException.NotFound.class, () -> sim.deleteInterface("eni-nope")).code());
        assertEquals("InvalidSubnetID.NotFound", assertThrows(CloudException.NotFound.class,
                () -> sim.createInterface(spec("subnet-nope", 0, 0))).code());
    }

    @Test
    void deleteInterface_primary_throwsOperationNotPermitted() {
        SimulatedCloud sim = sim("m5.large");
        String primary = sim.peekNode().primaryInterface().id();
        var e = assertUnchanged(sim, CloudException.Fatal.class, () -> sim.deleteInterface(primary));
        assertEquals("OperationNotPermitted", e.code());
    }

    @Test
    void unassign_primaryAddress_isRefused() {
        SimulatedCloud sim = sim("m5.large");
        NetworkInterface primary = sim.peekNode().primaryInterface();
        assertUnchanged(sim, CloudException.Fatal.class,
                () -> sim.unassign(primary.id(), List.of(primary.primaryAddress()), List.of()));
    }

    @Test
    void assign_tooManyForOneCall_isAnArgumentError() {
        SimulatedCloud sim = sim("m5.large");
        String eni = sim.peekNode().primaryInterface().id();
        assertThrows(IllegalArgumentException.class, () -> sim.assign(eni, SimulatedCloud.MAX_ADDRESSES_PER_CALL + 1, 0));
        assertThrows(IllegalArgumentException.class, () -> sim.assign(eni, -1, 0));
        assertEquals(0, sim.calls(Verb.ASSIGN), "an argument error is not a cloud call");
    }

    @Test
    void findOrphanedInterfaces_noTags_isAnArgumentError() {
        assertThrows(IllegalArgumentException.class, () -> sim("m5.large").findOrphanedInterfaces(Map.of()));
    }

    // ---------------------------------------------------------------- reserved addresses, full subnet

    @Test
    void assign_smallestSubnet_neverHandsOutReservedAddresses() throws Exception {
        SimulatedCloud sim = SimulatedCloud.builder().subnet(Cidr.parse("10.0.7.0/28")).build();
        NetworkInterface primary = sim.peekNode().primaryInterface();
        assertEquals(Ipv4Address.parse("10.0.7.4"), primary.primaryAddress());

        Assignment all = sim.assign(primary.id(), 10, 0);  // 16 - 5 reserved - primary

        List<Ipv4Address> expected = new ArrayList<>();
        for (int i = 5; i <= 14; i++) {
            expected.add(Ipv4Address.parse("10.0.7." + i));
        }
        assertEquals(expected, all.addresses());
        assertEquals(0, sim.freeAddresses(sim.nodeSubnetId()));
        assertEquals("InsufficientFreeAddressesInSubnet",
                assertUnchanged(sim, CapacityExhausted.class, () -> sim.assign(primary.id(), 1, 0)).code());
        sim.unassign(primary.id(), all.addresses(), List.of());
        assertEquals("InsufficientCidrBlocks",  // the only /28 holds the reserved addresses
                assertUnchanged(sim, CapacityExhausted.class, () -> sim.assign(primary.id(), 0, 1)).code());
    }

    @Test
    void occupy_otherTenants_takeAddressesTheNodeNeverGets() throws Exception {
        SimulatedCloud sim = SimulatedCloud.builder().subnet(Cidr.parse("10.0.7.0/28")).build();
        sim.occupy(Ipv4Address.parse("10.0.7.5"), Ipv4Address.parse("10.0.7.6"));
        sim.occupy(3);
        String eni = sim.peekNode().primaryInterface().id();

        List<Ipv4Address> got = sim.assign(eni, 5, 0).addresses();

        assertEquals(List.of("10.0.7.10", "10.0.7.11", "10.0.7.12", "10.0.7.13", "10.0.7.14"),
                got.stream().map(Ipv4Address::toString).toList());
        assertThrows(IllegalArgumentException.class, () -> sim.occupy(Ipv4Address.parse("10.0.7.10")));
    }

    // ---------------------------------------------------------------- token bucket

    @Test
    void tokenBucket_emptied_throttlesWithTimeToNextTokenAndRefillsByTheClock() throws Exception {
        FakeClock clock = FakeClock.at("2026-01-01T00:00:00Z");
        List<String> throttles = new ArrayList<>();
        List<String> conditions = new ArrayList<>();
        CloudCallListener listener = new CloudCallListener() {
            @Override
            public void onCall(String verb, Duration elapsed, String condition) {
                conditions.add(verb + ":" + condition);
            }

            @Override
            public void onThrottle(String verb) {
                throttles.add(verb);
            }
        };
        SimulatedCloud sim = SimulatedCloud.builder().clock(clock).apiRate(2).listener(listener).build();
        String eni = sim.peekNode().primaryInterface().id();
        sim.describeNode();                   // describes pay too
        sim.assign(eni, 1, 0);

        var e = assertUnchanged(sim, CloudException.Throttled.class, () -> sim.assign(eni, 1, 0));

        assertEquals("RequestLimitExceeded", e.code());
        assertEquals(Duration.ofMillis(500), e.retryAfter());
        clock.advance(Duration.ofMillis(400));
        assertEquals(Duration.ofMillis(100),
                assertThrows(CloudException.Throttled.class, sim::describeNode).retryAfter());
        clock.advance(Duration.ofMillis(100));
        assertEquals(1, sim.assign(eni, 1, 0).addresses().size());
        clock.advance(Duration.ofSeconds(60));  // refills to the burst (2), not beyond
        sim.describeNode();
        sim.describeNode();
        assertThrows(CloudException.Throttled.class, sim::describeNode);

        assertEquals(1, sim.throttledCalls(Verb.ASSIGN));
        assertEquals(2, sim.throttledCalls(Verb.DESCRIBE_NODE));
        assertEquals(3, sim.calls(Verb.ASSIGN));
        assertEquals(1, sim.failedCalls(Verb.ASSIGN));
        assertEquals(List.of("AssignPrivateIpAddresses", "DescribeNetworkInterfaces", "DescribeNetworkInterfaces"),
                throttles);
        assertTrue(conditions.contains("AssignPrivateIpAddresses:throttled"), conditions.toString());
        assertTrue(conditions.contains("AssignPrivateIpAddresses:null"), conditions.toString());
    }

    // ---------------------------------------------------------------- faults, latency, counters

    @Test
    void failNext_twice_failsTwoCallsWithoutChangeThenWorks() throws Exception {
        SimulatedCloud sim = sim("m5.large");
        String eni = sim.peekNode().primaryInterface().id();
        sim.failNext(Verb.ASSIGN, 2, () -> new CloudException.Conflict("IncorrectState", "injected"));

        assertUnchanged(sim, CloudException.Conflict.class, () -> sim.assign(eni, 1, 0));
        assertUnchanged(sim, CloudException.Conflict.class, () -> sim.assign(eni, 1, 0));
        sim.describeNode();  // another verb's calls are not affected
        assertEquals(1, sim.assign(eni, 1, 0).addresses().size());

        assertEquals(3, sim.calls(Verb.ASSIGN));
        assertEquals(2, sim.failedCalls(Verb.ASSIGN));
        assertEquals(0, sim.throttledCalls(Verb.ASSIGN));
        assertEquals(3, sim.mutatingCalls());
        sim.resetCounters();
        assertEquals(0, sim.mutatingCalls());
    }

    @Test
    void failNext_injectedThrottle_countsAsThrottled() throws Exception {
        SimulatedCloud sim = sim("m5.large");
        sim.failNext(Verb.DESCRIBE_NODE, new CloudException.Throttled("RequestLimitExceeded", "x", Duration.ofSeconds(1)));
        assertThrows(CloudException.Throttled.class, sim::describeNode);
        sim.describeNode();
        assertEquals(1, sim.throttledCalls(Verb.DESCRIBE_NODE));
        assertEquals(0, sim.mutatingCalls());
    }

    @Test
    void addLatency_describe_sleepsForReal() throws Exception {
        SimulatedCloud sim = sim("m5.large");
        sim.addLatency(Verb.DESCRIBE_NODE, Duration.ofMillis(40));
        long start = System.nanoTime();
        sim.describeNode();
        assertTrue(System.nanoTime() - start >= 40_000_000L);
        sim.clearFaults();
        start = System.nanoTime();
        sim.describeNode();
        assertTrue(System.nanoTime() - start < 40_000_000L);
    }

    @Test
    void latency_mutatingCallsOnly_areDelayed() throws Exception {
        SimulatedCloud sim = SimulatedCloud.builder().latency(Duration.ofMillis(40)).build();
        long start = System.nanoTime();
        sim.describeNode();
        assertTrue(System.nanoTime() - start < 40_000_000L, "describe paid the mutating latency");
        start = System.nanoTime();
        sim.assign(sim.peekNode().primaryInterface().id(), 1, 0);
        assertTrue(System.nanoTime() - start >= 40_000_000L);
    }

    // ---------------------------------------------------------------- orphans, held addresses

    @Test
    void leakInterface_isDetachedAndOnlyFoundByAllItsTags() throws Exception {
        SimulatedCloud sim = sim("m5.large");
        String leaked = sim.leakInterface(sim.nodeSubnetId(), Map.of("owner", "a", "cluster", "c"));

        assertTrue(sim.peekNode().interfaces().stream().noneMatch(i -> i.id().equals(leaked)));
        assertEquals(List.of(leaked), sim.findOrphanedInterfaces(Map.of("owner", "a")).stream().map(NetworkInterface::id).toList());
        assertEquals(List.of(), sim.findOrphanedInterfaces(Map.of("owner", "a", "cluster", "other")));
        sim.deleteInterface(leaked);
        assertEquals(List.of(), sim.findOrphanedInterfaces(Map.of("owner", "a")));
    }

    @Test
    void heldAddresses_expandsPrefixesAndSkipsPrimariesAndLeakedInterfaces() throws Exception {
        SimulatedCloud sim = sim("m5.large");
        String eni = sim.peekNode().primaryInterface().id();
        Assignment a = sim.assign(eni, 1, 1);
        sim.leakInterface(sim.nodeSubnetId(), Map.of("x", "y"));

        Set<Ipv4Address> held = sim.heldAddresses();

        assertEquals(17, held.size());
        assertTrue(held.containsAll(a.addresses()));
        assertTrue(held.contains(a.prefixes().getFirst().last()));
        assertFalse(held.contains(sim.peekNode().primaryInterface().primaryAddress()));
    }

    // ---------------------------------------------------------------- threads

    @Test
    void assign_fromManyThreads_neverHandsOutAnAddressTwice() throws Exception {
        SimulatedCloud sim = sim("c5.4xlarge");
        String eni = sim.peekNode().primaryInterface().id();
        List<Ipv4Address> got = java.util.Collections.synchronizedList(new ArrayList<>());
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 7; i++) {
                        got.addAll(sim.assign(eni, 1, 0).addresses());
                    }
                    return null;
                }));
            }
            for (var f : done) {
                f.get();
            }
        }
        assertEquals(28, got.size());
        assertEquals(28, Set.copyOf(got).size());
        assertEquals(Set.copyOf(got), sim.heldAddresses());
    }

    @Test
    void attachForeignInterface_onAnotherCard_isExcluded_andCardZeroIndexesAndLimitAreUnaffected() throws Exception {
        SimulatedCloud sim = sim("m5.large"); // 3 interfaces
        String card1 = sim.attachForeignInterface(sim.nodeSubnetId(), 1, Map.of(), 2);
        String card1b = sim.attachForeignInterface(sim.nodeSubnetId(), 1, Map.of(), 0);

        NetworkInterface a = sim.createInterface(spec(sim.nodeSubnetId(), 1, 0));
        NetworkInterface b = sim.createInterface(spec(sim.nodeSubnetId(), 1, 0));

        NodeInfo node = sim.describeNode();
        NetworkInterface foreign = node.interfaces().stream().filter(i -> i.id().equals(card1)).findFirst().orElseThrow();
        assertEquals(NetworkInterface.Exclusion.OTHER_NETWORK_CARD, foreign.exclusion());
        assertEquals(0, foreign.deviceIndex(), "device indexes are numbered per card");
        assertEquals(1, node.interfaces().stream().filter(i -> i.id().equals(card1b)).findFirst().orElseThrow()
                .deviceIndex());
        assertEquals(List.of(1, 2), List.of(a.deviceIndex(), b.deviceIndex()), "card 0 numbers its own indexes");
        assertFalse(sim.heldAddresses().containsAll(foreign.secondaryAddresses()),
                "an excluded interface's addresses are not the node's pool addresses");
        assertEquals("AttachmentLimitExceeded", assertThrows(CapacityExhausted.class,
                () -> sim.createInterface(spec(sim.nodeSubnetId(), 1, 0))).code(), "card 0 holds 3, as m5.large");
    }

    @Test
    void excludedInterface_taggedNoManageLater_refusesEveryMutatingCall() throws Exception {
        SimulatedCloud sim = sim("m5.large");
        NetworkInterface made = sim.createInterface(spec(sim.nodeSubnetId(), 2, 0));
        sim.tag(made.id(), NetworkInterface.AWS_NO_MANAGE_TAG, "true");

        assertEquals("OperationNotPermitted", assertUnchanged(sim, CloudException.Fatal.class,
                () -> sim.deleteInterface(made.id())).code());
        assertUnchanged(sim, CloudException.Fatal.class, () -> sim.assign(made.id(), 1, 0));
        assertUnchanged(sim, CloudException.Fatal.class,
                () -> sim.unassign(made.id(), made.secondaryAddresses(), List.of()));
    }
}
