package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.CheckpointState;
import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.Limits;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.sim.Verb;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random sequences of ADD, DEL, GC, reconcile passes, cloud faults, time passing and crash-restarts against the
 * simulated cloud (with its state on disk), and the cloud losing leased addresses behind ipamd's back. After every
 * step: no address is assigned twice, every assigned address is held by the node in the cloud or known lost, the node is within its limits, the checkpoint is readable and holds
 * exactly the acknowledged leases, and a lease survives restarts unchanged unless it was released.
 */
class PoolStatefulPropertyTest {

    enum Kind { ADD, DEL, GC, RECONCILE, FAULT, TIME, CRASH, STEAL }

    record Step(Kind kind, int pod, int arg) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Kind> kinds = Arbitraries.frequency(
                net.jqwik.api.Tuple.of(30, Kind.ADD), net.jqwik.api.Tuple.of(15, Kind.DEL),
                net.jqwik.api.Tuple.of(3, Kind.GC), net.jqwik.api.Tuple.of(20, Kind.RECONCILE),
                net.jqwik.api.Tuple.of(6, Kind.FAULT), net.jqwik.api.Tuple.of(8, Kind.TIME),
                net.jqwik.api.Tuple.of(4, Kind.CRASH), net.jqwik.api.Tuple.of(2, Kind.STEAL));
        Arbitrary<Step> step = Combinators.combine(kinds, Arbitraries.integers().between(0, 24),
                Arbitraries.integers().between(0, 5)).as(Step::new);
        return step.list().ofMinSize(10).ofMaxSize(60);
    }

    @Provide
    Arbitrary<Targets> targets() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(0, 6).map(w -> new Targets(w, 0, 0, 0, false, 0)),
                Arbitraries.integers().between(1, 12).map(m -> new Targets(1, m, 0, 0, false, 0)),
                Arbitraries.just(new Targets(0, 0, 1, 0, false, 0)),
                Arbitraries.integers().between(1, 2).map(p -> new Targets(0, 0, 0, p, true, 0)),
                Arbitraries.just(new Targets(2, 0, 0, 0, false, 2)));
    }

    @Property(tries = 60)
    void randomSequences_keepEveryInvariant(@ForAll("steps") List<Step> steps, @ForAll("targets") Targets targets)
            throws Exception {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "stateful");
        try (TestNode node = new TestNode(dir, "t3.medium", targets, Duration.ofSeconds(10))) {
            Map<LeaseKey, Ipv4Address> acknowledged = new HashMap<>();
            TestNode n = node;
            for (Step step : steps) {
                apply(n, step, acknowledged);
                check(n, acknowledged, step);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static LeaseKey key(int pod) {
        return new LeaseKey("vpc-ipam", "container-" + pod, "eth0");
    }

    private static void apply(TestNode n, Step step, Map<LeaseKey, Ipv4Address> acknowledged) throws Exception {
        switch (step.kind()) {
            case ADD -> {
                try {
                    Grant g = n.pool.add(key(step.pod()), "/proc/1/ns/net", "default", "pod-" + step.pod(), Duration.ZERO);
                    Ipv4Address before = acknowledged.putIfAbsent(key(step.pod()), g.lease().address());
                    assertTrue(before == null || before.equals(g.lease().address()),
                            "repeated ADD must return the same address");
                } catch (PoolException e) {
                    assertTrue(Set.of("NO_ADDRESS_AVAILABLE", "NODE_FULL").contains(e.code()), e.getMessage());
                }
            }
            case DEL -> {
                n.pool.del(key(step.pod()));
                acknowledged.remove(key(step.pod()));
            }
            case GC -> {
                Set<LeaseKey> live = acknowledged.keySet().stream().filter(k -> k.containerId().hashCode() % 2 == 0)
                        .collect(Collectors.toSet());
                n.pool.gc("vpc-ipam", live);
                acknowledged.keySet().retainAll(live);
            }
            case RECONCILE -> n.reconciler.pass();
            case FAULT -> {
                Verb verb = List.of(Verb.ASSIGN, Verb.CREATE_INTERFACE, Verb.UNASSIGN, Verb.DELETE_INTERFACE,
                        Verb.DESCRIBE_NODE).get(step.arg() % 5);
                Supplier<CloudException> fault = switch (step.pod() % 4) {
                    case 0 -> () -> new CloudException.Throttled("RequestLimitExceeded", "injected", Duration.ZERO);
                    case 1 -> () -> new CloudException.Conflict("IncorrectState", "injected");
                    case 2 -> () -> new CloudException.Fatal("InternalError", "injected", null, true);
                    default -> () -> new CloudException.CapacityExhausted("InsufficientFreeAddressesInSubnet",
                            "injected", CloudException.CapacityExhausted.Scope.SUBNET);
                };
                n.cloud.failNext(verb, 1 + step.arg() % 2, fault);
            }
            case TIME -> n.clock.advance(Duration.ofSeconds(5L * (step.arg() + 1)));
            case CRASH -> {
                n.cloud.clearFaults();
                n.crashAndRestart();
            }
            case STEAL -> {
                // the cloud loses a leased address behind ipamd's back (another tool, an operator)
                var leases = n.pool.status().leases();
                if (!leases.isEmpty()) {
                    Lease victim = leases.get(step.pod() % leases.size());
                    n.cloud.clearFaults();
                    try {
                        n.cloud.unassign(victim.interfaceId(), List.of(victim.address()), List.of());
                    } catch (CloudException.NotFound gone) {
                        // its interface is gone already
                    }
                    n.reconciler.requestResync(); // ipamd can only know from its next describe
                    n.reconciler.pass();
                }
            }
        }
    }

    private static void check(TestNode n, Map<LeaseKey, Ipv4Address> acknowledged, Step step) throws Exception {
        String at = "after " + step;
        var status = n.pool.status();
        Set<Ipv4Address> assigned = new HashSet<>();
        for (Lease l : status.leases()) {
            assertTrue(assigned.add(l.address()), at + ": address assigned twice: " + l.address());
        }
        Set<Ipv4Address> held = n.cloud.heldAddresses();
        Set<Ipv4Address> notHeld = new HashSet<>(assigned);
        notHeld.removeAll(held);
        assertTrue(notHeld.size() <= status.lost(), at + ": leased addresses not held by the node " + notHeld
                + " but only " + status.lost() + " known lost");
        Map<LeaseKey, Ipv4Address> live = status.leases().stream()
                .collect(Collectors.toMap(Lease::key, Lease::address));
        assertEquals(acknowledged, live, at + ": leases differ from what was acknowledged");

        NodeInfo cloud = n.cloud.peekNode();
        Limits limits = cloud.limits();
        assertTrue(cloud.interfaces().size() <= limits.maxInterfaces(), at + ": too many interfaces");
        int maxEni = n.settings.targets().maxInterfaces();
        if (maxEni > 0) {
            assertTrue(cloud.interfaces().size() <= Math.max(1, maxEni), at + ": above MAX_ENI");
        }
        for (NetworkInterface ni : cloud.interfaces()) {
            assertTrue(ni.usedSlots() <= limits.slotsPerInterface(), at + ": interface over its limit");
        }
        CheckpointState onDisk = n.checkpoint.load();
        Map<LeaseKey, Ipv4Address> durable = onDisk.leases().stream()
                .collect(Collectors.toMap(Lease::key, Lease::address));
        assertEquals(acknowledged, durable, at + ": checkpoint differs from the acknowledged leases");
    }
}
