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
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random sequences of ADD, DEL, GC, reconcile passes, cloud faults, time passing and crash-restarts against the
 * simulated cloud (with its state on disk), and the cloud losing leased addresses behind ipamd's back. After every
 * step: no address is assigned twice, every assigned address is held by the node in the cloud or known lost, the node
 * is within its limits, the checkpoint is readable and holds exactly the acknowledged leases, and a lease survives
 * restarts unchanged unless it was released. TAKEOVER loses ipamd's state dir while its pods keep running and another
 * CNI's pods hold more addresses (as on a node taken over from aws-node): those pods' addresses are then never leased
 * nor released until PROVE (a pod gone, the evidence handed to the pool) says they are free. A failure is shrunk ({@link SequenceShrinker}) to the shortest step
 * sequence that still fails, and reported with the seed that replays it.
 */
class PoolStatefulPropertyTest {

    enum Kind { ADD, DEL, GC, RECONCILE, FAULT, TIME, CRASH, STEAL, TAKEOVER, PROVE }

    record Step(Kind kind, int pod, int arg) {
    }

    /** Tries per run; each try is one generated sequence of 10 to 60 steps on a fresh node. */
    static final int TRIES = 60;
    /** Re-runs the shrinker may spend on one failure. */
    static final int SHRINK_RUNS = 400;
    /** Weights of the step kinds, in {@link Kind} order. */
    private static final int[] WEIGHTS = {30, 15, 3, 20, 6, 8, 4, 2, 2, 4};

    /**
     * A seeded loop rather than a property library: every try's seed is printed on failure together with the
     * shortest failing step sequence the shrinker found, and {@code -Dvpcipam.seed=N} (or {@code VPCIPAM_SEED=N})
     * replays exactly that try.
     */
    @Test
    void randomSequences_anyStepMix_keepEveryInvariant() throws Exception {
        Long fixed = fixedSeed();
        SplittableRandom seeds = new SplittableRandom();
        int tries = fixed == null ? TRIES : 1;
        for (int t = 0; t < tries; t++) {
            long seed = fixed == null ? seeds.nextLong() : fixed;
            SplittableRandom random = new SplittableRandom(seed);
            Targets targets = targets(random);
            List<Step> steps = steps(random);
            Throwable failure = run(targets, steps);
            if (failure != null) {
                throw shrunk(seed, t, tries, targets, steps, failure);
            }
        }
    }

    /** The seed to replay, from -Dvpcipam.seed or VPCIPAM_SEED; null for a fresh random run. */
    static Long fixedSeed() {
        String fixed = Objects.requireNonNullElse(System.getProperty("vpcipam.seed"), Objects.requireNonNullElse(
                System.getenv("VPCIPAM_SEED"), "")).strip();
        if (fixed.isEmpty()) {
            return null;
        }
        try {
            return Long.parseLong(fixed);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("vpcipam.seed / VPCIPAM_SEED must be a seed printed by a failed run "
                    + "(a 64-bit integer), was '" + fixed + "'", e);
        }
    }

        static Targets targets(SplittableRandom r) {
        return switch (r.nextInt(5)) {
            case 0 -> new Targets(r.nextInt(0, 7), 0, 0, 0, false, 0);
            case 1 -> new Targets(1, r.nextInt(1, 13), 0, 0, false, 0);
            case 2 -> new Targets(0, 0, 1, 0, false, 0);
            case 3 -> new Targets(0, 0, 0, r.nextInt(1, 3), true, 0);
            default -> new Targets(2, 0, 0, 0, false, 2);
        };
    }

    static List<Step> steps(SplittableRandom r) {
        int total = Arrays.stream(WEIGHTS).sum();
        int n = r.nextInt(10, 61);
        List<Step> steps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int pick = r.nextInt(total);
            int k = 0;
            while (pick >= WEIGHTS[k]) {
                pick -= WEIGHTS[k++];
            }
            steps.add(new Step(Kind.values()[k], r.nextInt(0, 25), r.nextInt(0, 6)));
        }
        return steps;
    }

    /** Runs one sequence on a fresh node; the first broken invariant (or unexpected exception), or null. */
    static Throwable run(Targets targets, List<Step> steps) throws Exception {
        Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "stateful");
        try (TestNode node = new TestNode(dir, "t3.medium", targets, Duration.ofSeconds(10))) {
            Map<LeaseKey, Ipv4Address> acknowledged = new HashMap<>();
            Set<Ipv4Address> foreign = new HashSet<>(); // held by running pods ipamd has no record of
            for (Step step : steps) {
                apply(node, step, acknowledged, foreign);
                check(node, acknowledged, foreign, step);
            }
            return null;
        } catch (Exception | AssertionError e) {
            return e;
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static AssertionError shrunk(long seed, int attempt, int tries, Targets targets, List<Step> steps,
                                         Throwable failure) {
        Throwable[] last = {failure};
        var result = SequenceShrinker.shrink(steps, candidate -> {
            try {
                Throwable f = run(targets, candidate);
                if (f != null) {
                    last[0] = f;
                }
                return f != null;
            } catch (Exception setup) {
                return false;
            }
        }, PoolStatefulPropertyTest::simpler, PoolStatefulPropertyTest::renamed, SHRINK_RUNS);
        StringBuilder report = new StringBuilder()
                .append("seed ").append(seed).append(" (try ").append(attempt + 1).append(" of ").append(tries)
                .append(") broke an invariant with ").append(targets).append('\n')
                .append("shortest failing sequence (").append(result.sequence().size()).append(" of ")
                .append(steps.size()).append(" steps, ").append(result.runs()).append(" shrink runs):\n");
        for (int i = 0; i < result.sequence().size(); i++) {
            report.append("  ").append(i + 1).append(". ").append(result.sequence().get(i)).append('\n');
        }
        report.append("failure: ").append(last[0]).append('\n')
                .append("replay with -Dvpcipam.seed=").append(seed).append(" (or VPCIPAM_SEED=").append(seed).append(')');
        return new AssertionError(report.toString(), last[0]);
    }

    /** Each pod of the sequence renamed to a lower one everywhere (an ADD and its DEL must change together). */
    private static List<List<Step>> renamed(List<Step> steps) {
        List<Integer> pods = steps.stream().map(Step::pod).distinct().sorted().toList();
        List<List<Step>> out = new ArrayList<>();
        for (int i = 0; i < pods.size(); i++) {
            int from = pods.get(i);
            if (from != i) {
                int to = i;
                out.add(steps.stream().map(s -> s.pod() == from ? new Step(s.kind(), to, s.arg())
                        : s.pod() == to ? new Step(s.kind(), from, s.arg()) : s).toList());
            }
        }
        return out;
    }

    /** Simpler forms of one step, tried by the shrinker: the lowest pod and argument. */
    private static List<Step> simpler(Step s) {
        List<Step> out = new ArrayList<>();
        if (s.pod() != 0) {
            out.add(new Step(s.kind(), 0, s.arg()));
        }
        if (s.arg() != 0) {
            out.add(new Step(s.kind(), s.pod(), 0));
        }
        return out;
    }

    private static LeaseKey key(int pod) {
        return new LeaseKey("vpc-ipam", "container-" + pod, "eth0");
    }

    private static void apply(TestNode n, Step step, Map<LeaseKey, Ipv4Address> acknowledged,
                              Set<Ipv4Address> foreign) throws Exception {
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
                    n.clock.advance(Reconciler.MAX_CLOUD_BACKOFF); // after any hold an earlier cloud failure set
                    n.reconciler.pass();
                }
            }
            case TAKEOVER -> {
                // the state dir is lost; ipamd's pods keep running (now unknown to it), and another CNI's pods
                // hold addresses it assigned behind ipamd's back (aws-node before the switch)
                n.cloud.clearFaults();
                Set<Ipv4Address> stillHeld = n.cloud.heldAddresses(); // a lost one may be anyone's by now
                acknowledged.values().stream().filter(stillHeld::contains).forEach(foreign::add);
                acknowledged.clear();
                try {
                    foreign.addAll(n.cloud.assign(n.cloud.peekNode().primaryInterface().id(), 1 + step.arg() % 3, 0)
                            .addresses());
                } catch (CloudException.CapacityExhausted full) {
                    // the primary is full: only ipamd's old pods are foreign now
                }
                n.commit.close();
                Files.deleteIfExists(n.dir.resolve("checkpoint.json"));
                n.crashAndRestart();
            }
            case PROVE -> {
                // a foreign pod may be gone; the evidence (every address no foreign pod holds) reaches the pool
                if (!foreign.isEmpty() && step.arg() % 2 == 0) {
                    foreign.remove(foreign.stream().sorted().toList().get(step.pod() % foreign.size()));
                }
                Set<Ipv4Address> free = new HashSet<>(n.pool.unproven());
                free.removeAll(foreign);
                n.pool.prove(free);
            }
        }
    }

    private static void check(TestNode n, Map<LeaseKey, Ipv4Address> acknowledged, Set<Ipv4Address> foreign,
                              Step step) throws Exception {
        String at = "after " + step;
        var status = n.pool.status();
        Set<Ipv4Address> assigned = new HashSet<>();
        for (Lease l : status.leases()) {
            assertTrue(assigned.add(l.address()), at + ": address assigned twice: " + l.address());
            assertTrue(!foreign.contains(l.address()), at + ": leased a running foreign pod's " + l.address());
        }
        Set<Ipv4Address> held = n.cloud.heldAddresses();
        assertTrue(held.containsAll(foreign), at + ": released a running foreign pod's address");
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
