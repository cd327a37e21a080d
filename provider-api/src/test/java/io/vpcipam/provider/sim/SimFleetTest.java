package io.vpcipam.provider.sim;

import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.InterfaceSpec;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.OwnerTags;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimFleetTest {

    private Instant now = Instant.parse("2026-01-01T00:00:00Z");
    private final InstantSource clock = () -> now;
    private final List<Duration> slept = new ArrayList<>();

    private SimFleet.Builder fleet() {
        return SimFleet.builder().clock(clock).sleeper(slept::add).subnet(Cidr.parse("10.0.0.0/26"));
    }

    private static InterfaceSpec spec(String subnet, int addresses) {
        return new InterfaceSpec(subnet, List.of(), addresses, 0, Map.of(OwnerTags.INSTANCE_ID, "i-test"), "test");
    }

    @Test
    void nodes_shareTheSubnet_neverTheSameAddress() throws Exception {
        SimFleet f = fleet().build();
        String subnet = f.subnetIds().getFirst();
        SimFleet.Node a = f.launch("m5.large", subnet);
        SimFleet.Node b = f.launch("m5.large", subnet);
        NodeInfo ia = a.describeNode();
        Set<Ipv4Address> seen = new HashSet<>();
        seen.add(ia.primaryInterface().primaryAddress());
        seen.add(b.describeNode().primaryInterface().primaryAddress());
        seen.addAll(a.assign(ia.primaryInterface().id(), 9, 0).addresses());
        String bPrimary = b.describeNode().primaryInterface().id();
        seen.addAll(b.assign(bPrimary, 9, 0).addresses());
        assertEquals(20, seen.size());
        assertEquals(20, f.subnetUse().getFirst().used());
        assertEquals(59, f.subnetUse().getFirst().usable());
        assertTrue(seen.stream().noneMatch(x -> x.toString().matches("10\\.0\\.0\\.[0-3]|10\\.0\\.0\\.63")),
                "the five reserved addresses are never handed out: " + seen);
    }

    @Test
    void fullSubnet_refusesGrowthWithWhatIsLeft_andCountsIt() throws Exception {
        SimFleet f = fleet().build();
        String subnet = f.subnetIds().getFirst();
        SimFleet.Node a = f.launch("c5.4xlarge", subnet);
        String eni = a.describeNode().primaryInterface().id();
        a.assign(eni, 29, 0);
        NetworkInterface second = a.createInterface(spec(subnet, 20));
        CloudException.CapacityExhausted e = assertThrows(CloudException.CapacityExhausted.class,
                () -> a.assign(second.id(), 9, 0));
        assertEquals(CloudException.CapacityExhausted.Scope.SUBNET, e.scope());
        assertEquals(8, e.available());
        assertEquals(1, f.subnetRefusals());
        assertEquals(51, f.subnetUse().getFirst().used(), "a refused call takes nothing");
    }

    @Test
    void instanceLimits_asEc2() throws Exception {
        SimFleet f = fleet().subnet(Cidr.parse("10.0.1.0/24")).build();
        String subnet = f.subnetIds().get(1);
        SimFleet.Node n = f.launch("t3.medium", subnet); // 3 interfaces x 6 addresses
        String eni = n.describeNode().primaryInterface().id();
        CloudException.CapacityExhausted perEni = assertThrows(CloudException.CapacityExhausted.class,
                () -> n.assign(eni, 6, 0));
        assertEquals(CloudException.CapacityExhausted.Scope.INTERFACE_ADDRESSES, perEni.scope());
        n.createInterface(spec(subnet, 5));
        n.createInterface(spec(subnet, 5));
        CloudException.CapacityExhausted perInstance = assertThrows(CloudException.CapacityExhausted.class,
                () -> n.createInterface(spec(subnet, 1)));
        assertEquals("AttachmentLimitExceeded", perInstance.code());
    }

    @Test
    void oneAccountBucket_throttlesEveryNode() throws Exception {
        SimFleet f = fleet().subnet(Cidr.parse("10.0.1.0/24")).apiRate(1).apiBurst(2).build();
        SimFleet.Node a = f.launch("m5.large", f.subnetIds().getFirst());
        SimFleet.Node b = f.launch("m5.large", f.subnetIds().getFirst());
        a.describeNode();
        b.describeNode();
        CloudException.Throttled t = assertThrows(CloudException.Throttled.class, b::describeNode);
        assertTrue(t.retryAfter().compareTo(Duration.ofSeconds(1)) <= 0);
        assertEquals(1, f.throttledCalls(Verb.DESCRIBE_NODE));
        assertEquals(1, b.throttledCalls(Verb.DESCRIBE_NODE));
        assertEquals(0, a.throttledCalls(Verb.DESCRIBE_NODE));
        now = now.plusSeconds(1);
        a.describeNode(); // a token came back
        assertEquals(4, f.calls(Verb.DESCRIBE_NODE));
    }

    @Test
    void latency_isSpentByTheSleeper_onMutatingCallsOnly() throws Exception {
        SimFleet f = fleet().latency(Duration.ofMillis(300)).build();
        SimFleet.Node n = f.launch("m5.large", f.subnetIds().getFirst());
        String eni = n.describeNode().primaryInterface().id();
        Assignment added = n.assign(eni, 2, 0);
        n.unassign(eni, added.addresses(), List.of());
        assertEquals(List.of(Duration.ofMillis(300), Duration.ofMillis(300)), slept);
        assertEquals(1, f.subnetUse().getFirst().used(), "the unassigned addresses are free again");
    }

    @Test
    void terminate_freesEveryAddressOfTheInstance() throws Exception {
        SimFleet f = fleet().build();
        String subnet = f.subnetIds().getFirst();
        SimFleet.Node n = f.launch("m5.large", subnet);
        n.assign(n.describeNode().primaryInterface().id(), 9, 0);
        n.createInterface(spec(subnet, 9));
        assertEquals(20, f.subnetUse().getFirst().used());
        f.terminate(n);
        assertEquals(0, f.subnetUse().getFirst().used());
        assertThrows(CloudException.class, n::describeNode);
    }

    @Test
    void badFleet_refused() {
        assertThrows(IllegalArgumentException.class, () -> SimFleet.builder().build());
        assertThrows(IllegalArgumentException.class,
                () -> SimFleet.builder().subnet(Cidr.parse("192.168.0.0/24")).build());
        assertThrows(IllegalArgumentException.class, () -> SimFleet.checkInstanceType("x9.huge"));
    }
}
