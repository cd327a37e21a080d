package io.vpcipam.ipamd.simulate;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.sim.SimFleet;
import io.vpcipam.provider.sim.Verb;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs one {@link Scenario}: boots the fleet on one shared {@link SimFleet}, plays the workload (generated churn,
 * deployment bursts and scale steps, or a trace) through the nodes' real pools and reconcilers in virtual time,
 * samples idle addresses and subnet use, and returns the {@link Result}.
 *
 * <p>Randomness comes from the seed only, in separate streams: each node's engine jitter, each node's workload,
 * and the bursts'. The workload streams never depend on the engine's settings, so a sweep compares settings on
 * exactly the same pods.
 */
public final class Simulation {

    /** Virtual time starts here (any fixed instant: the engine stamps leases and tags with it). */
    static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");
    private static final long SECOND = 1_000_000_000L;
    private static final String ENGINE_LOGGERS = "io.vpcipam.ipamd";

    private final Scenario scenario;
    private final Scheduler scheduler = new Scheduler(EPOCH);
    private final SimFleet fleet;
    private final List<SimNode> nodes = new ArrayList<>();
    private final Map<String, SimNode> byName = new HashMap<>();
    private final Map<SimNode, SplittableRandom> workloadRandom = new HashMap<>();
    private final Map<SimNode, long[]> podCounter = new HashMap<>();
    private final SplittableRandom burstRandom;
    private final long start; // end of the warm-up
    private final long end;
    private final String[] typeCycle;
    private long[] waits = new long[1024];
    private int waitCount;
    private long waited;
    private long nodeFull;
    private long pastTimeout;
    private final long timeoutNanos;
    private final List<double[]> samples = new ArrayList<>(); // [seconds, idle, subnet use...]
    private long firstRefusalNanos = -1;
    private int launched;

    private Simulation(Scenario scenario) {
        this.scenario = scenario;
        SimFleet.Builder b = SimFleet.builder().clock(scheduler).sleeper(scheduler::sleep)
                .latency(scenario.latency());
        if (scenario.apiRate() > 0) {
            b.apiRate(scenario.apiRate()).apiBurst(scenario.apiBurst());
        }
        scenario.subnets().forEach(b::subnet);
        this.fleet = b.build();
        this.burstRandom = new SplittableRandom(mix(scenario.seed(), -1, 3));
        this.start = scenario.warmup().toNanos();
        this.end = start + scenario.duration().toNanos();
        this.timeoutNanos = scenario.engine().addTimeout().toNanos();
        List<String> cycle = new ArrayList<>();
        scenario.types().forEach((type, weight) -> {
            for (int i = 0; i < weight; i++) {
                cycle.add(type);
            }
        });
        this.typeCycle = cycle.toArray(String[]::new);
    }

    /** Runs the scenario to its end. */
    public static Result run(Scenario scenario) throws IOException, Trace.TraceException {
        quietEngine(true);
        try {
            return new Simulation(scenario).go();
        } finally {
            quietEngine(false);
        }
    }

    private static final Logger ENGINE = Logger.getLogger(ENGINE_LOGGERS); // held: the level must stick
    private static int running;
    private static Level levelBefore;

    /** A thousand nodes' decisions are the report's job, not the log's: the engine is quiet while any run runs. */
    private static synchronized void quietEngine(boolean starting) {
        if (starting && running++ == 0) {
            levelBefore = ENGINE.getLevel();
            ENGINE.setLevel(Level.OFF);
        } else if (!starting && --running == 0) {
            ENGINE.setLevel(levelBefore);
        }
    }

    private Result go() throws IOException, Trace.TraceException {
        long wallStart = System.nanoTime();
        if (scenario.trace() != null) {
            Trace trace = Trace.read(scenario.trace());
            for (String name : trace.nodes()) {
                launch(name, 0, false);
            }
            for (Trace.Event e : trace.events()) {
                scheduler.at(start + e.nanos(), () -> {
                    SimNode n = byName.get(e.node());
                    if (e.add()) {
                        arrive(n, e.pod());
                    } else {
                        n.del(e.pod());
                    }
                });
            }
        } else {
            for (int i = 0; i < scenario.nodes(); i++) {
                launch(null, 0, true);
            }
            long every = scenario.burstEvery().toNanos();
            if (every > 0 && scenario.burstPods() > 0) {
                for (long t = start + every; t < end; t += every) {
                    long at = t;
                    scheduler.at(at, this::burst);
                }
            }
            for (Scenario.ScaleStep step : scenario.scale()) {
                scheduler.at(start + step.at().toNanos(), () -> scale(step.delta()));
            }
        }
        long sampleEvery = scenario.sample().toNanos();
        for (long t = start; t <= end; t += sampleEvery) {
            scheduler.at(t, this::sample);
        }
        Map<Verb, Long> callsBefore = new LinkedHashMap<>();
        Map<Verb, Long> throttledBefore = new LinkedHashMap<>();
        long[] refusalsBefore = new long[1];
        long[] passesBefore = new long[1];
        scheduler.at(start, () -> {
            for (Verb v : Verb.values()) {
                callsBefore.put(v, fleet.calls(v));
                throttledBefore.put(v, fleet.throttledCalls(v));
            }
            refusalsBefore[0] = fleet.subnetRefusals();
            passesBefore[0] = nodes.stream().mapToLong(SimNode::passes).sum();
        });
        scheduler.runUntil(end);
        scheduler.close();

        long[] sorted = Arrays.copyOf(waits, waitCount);
        Arrays.sort(sorted);
        Map<String, Long> calls = new LinkedHashMap<>();
        Map<String, Long> throttled = new LinkedHashMap<>();
        for (Verb v : Verb.values()) {
            calls.put(label(v), fleet.calls(v) - callsBefore.getOrDefault(v, 0L));
            throttled.put(label(v), fleet.throttledCalls(v) - throttledBefore.getOrDefault(v, 0L));
        }
        double[] times = samples.stream().mapToDouble(s -> s[0]).toArray();
        double[] idle = samples.stream().mapToDouble(s -> s[1]).toArray();
        List<Result.SubnetStat> subnets = new ArrayList<>();
        List<SimFleet.SubnetUse> use = fleet.subnetUse();
        for (int i = 0; i < use.size(); i++) {
            int col = 2 + i;
            double[] series = samples.stream().mapToDouble(s -> s[col]).toArray();
            int peak = (int) Arrays.stream(series).max().orElse(0);
            subnets.add(new Result.SubnetStat(use.get(i).cidr().toString(), use.get(i).usable(), peak, series));
        }
        long stillWaiting = nodes.stream().filter(n -> !n.stopped()).mapToLong(SimNode::waiting).sum();
        return new Result(scenario, (int) nodes.stream().filter(n -> !n.stopped()).count(), waitCount, waited,
                pastTimeout, nodeFull, stillWaiting, percentile(sorted, 0.50), percentile(sorted, 0.99),
                Duration.ofNanos(sorted.length == 0 ? 0 : sorted[sorted.length - 1]),
                Arrays.stream(idle).average().orElse(0), (long) Arrays.stream(idle).max().orElse(0), times, idle,
                subnets, fleet.subnetRefusals() - refusalsBefore[0],
                firstRefusalNanos < 0 ? null : Duration.ofNanos(firstRefusalNanos - start), calls, throttled,
                nodes.stream().mapToLong(SimNode::passes).sum() - passesBefore[0], scheduler.events(),
                Duration.ofNanos(System.nanoTime() - wallStart), sorted);
    }

    /** The report's name of a verb: EC2's operation, the leak collector's describe told apart. */
    static String label(Verb v) {
        return v == Verb.FIND_ORPHANS ? v.ec2Name() + " (leaked)" : v.ec2Name();
    }

    private static Duration percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Duration.ZERO;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return Duration.ofNanos(sorted[Math.max(0, Math.min(sorted.length - 1, i))]);
    }

    /** Launches a node at {@code at} (booting within 10 s); with {@code churn}, it gets pods and churns. */
    private SimNode launch(String name, long at, boolean churn) {
        int index = launched++;
        String type = typeCycle[index % typeCycle.length];
        String subnet = fleet.subnetIds().get(index % fleet.subnetIds().size());
        SimFleet.Node cloud;
        try {
            cloud = fleet.launch(type, subnet);
        } catch (CloudException e) {
            throw new IllegalStateException("cannot launch node " + index + ": " + e.getMessage()
                    + " (the subnet has no address left for its primary interface; use a larger SIM_SUBNET_SIZE or"
                    + " more SIM_SUBNETS)", e);
        }
        String nodeName = name != null ? name : "node-" + index;
        SimNode node = new SimNode(nodeName, scheduler, cloud, scenario.engine(),
                new SplittableRandom(mix(scenario.seed(), index, 1)), new SimNode.Listener() {
                    @Override
                    public void served(long arrivedAt, long waitNanos) {
                        record(arrivedAt, waitNanos);
                    }

                    @Override
                    public void nodeFull(long arrivedAt) {
                        if (arrivedAt >= start) {
                            nodeFull++;
                        }
                    }
                });
        nodes.add(node);
        byName.put(nodeName, node);
        SplittableRandom random = new SplittableRandom(mix(scenario.seed(), index, 2));
        workloadRandom.put(node, random);
        podCounter.put(node, new long[1]);
        long boot = at + (long) (random.nextDouble() * Math.min(10 * SECOND, Math.max(SECOND, start)));
        scheduler.at(boot, node::boot);
        if (churn && scenario.podsPerNode() > 0) {
            // the node's share of running pods lands in its first minute (the fleet's start, or pods a
            // scale-up was made for), then arrivals are Poisson and lives exponential: the count stays around
            // SIM_PODS_PER_NODE
            int initial = poisson(random, scenario.podsPerNode());
            long window = at == 0 ? Math.max(SECOND, start - 20 * SECOND) : 60 * SECOND;
            for (int i = 0; i < initial; i++) {
                long t = boot + 5 * SECOND + (long) (random.nextDouble() * window);
                scheduler.at(t, () -> arriveChurn(node));
            }
            scheduler.at(Math.max(start, boot), () -> nextArrival(node));
        }
        return node;
    }

    private void nextArrival(SimNode node) {
        SplittableRandom random = workloadRandom.get(node);
        double rate = scenario.podsPerNode() / (scenario.podLifetime().toNanos() / 1e9); // pods per second
        long gap = (long) (-Math.log(1 - random.nextDouble()) / rate * 1e9);
        scheduler.at(scheduler.nanos() + gap, () -> {
            if (!node.stopped()) {
                arriveChurn(node);
                nextArrival(node);
            }
        });
    }

    private void arriveChurn(SimNode node) {
        if (node.stopped()) {
            return;
        }
        SplittableRandom random = workloadRandom.get(node);
        String pod = podName(node);
        long life = (long) (-Math.log(1 - random.nextDouble()) * scenario.podLifetime().toNanos());
        arrive(node, pod);
        scheduler.at(scheduler.nanos() + life, () -> node.del(pod));
    }

    private String podName(SimNode node) {
        return node.name() + "-pod-" + (podCounter.get(node)[0]++);
    }

    private void arrive(SimNode node, String pod) {
        node.add(pod);
    }

    /** A deployment lands: its pods spread over the running nodes, each within the spread window. */
    private void burst() {
        List<SimNode> live = nodes.stream().filter(n -> !n.stopped()).toList();
        if (live.isEmpty()) {
            return;
        }
        long spread = scenario.burstSpread().toNanos();
        long now = scheduler.nanos();
        for (int i = 0; i < scenario.burstPods(); i++) {
            SimNode node = live.get(burstRandom.nextInt(live.size()));
            long at = now + (spread == 0 ? 0 : (long) (burstRandom.nextDouble() * spread));
            String pod = podName(node);
            scheduler.at(at, () -> arrive(node, pod));
            scheduler.at(at + scenario.burstLifetime().toNanos(), () -> node.del(pod));
        }
    }

    /** Launches {@code delta} nodes, or terminates the {@code -delta} newest running ones. */
    private void scale(int delta) {
        if (delta > 0) {
            for (int i = 0; i < delta; i++) {
                launch(null, scheduler.nanos(), true);
            }
            return;
        }
        int left = -delta;
        for (int i = nodes.size() - 1; i >= 0 && left > 0; i--) {
            SimNode n = nodes.get(i);
            if (!n.stopped()) {
                n.stop();
                fleet.terminate(n.cloud());
                left--;
            }
        }
    }

    private void record(long arrivedAt, long waitNanos) {
        if (arrivedAt < start) {
            return;
        }
        if (waitCount == waits.length) {
            waits = Arrays.copyOf(waits, waits.length * 2);
        }
        waits[waitCount++] = waitNanos;
        if (waitNanos > 0) {
            waited++;
        }
        if (waitNanos > timeoutNanos) {
            pastTimeout++;
        }
    }

    private void sample() {
        long idle = 0;
        for (SimNode n : nodes) {
            if (!n.stopped()) {
                idle += Math.max(0, n.cloud().heldAddresses() - n.assigned());
            }
        }
        List<SimFleet.SubnetUse> use = fleet.subnetUse();
        double[] row = new double[2 + use.size()];
        row[0] = (scheduler.nanos() - start) / 1e9;
        row[1] = idle;
        for (int i = 0; i < use.size(); i++) {
            row[2 + i] = use.get(i).used();
        }
        samples.add(row);
        if (firstRefusalNanos < 0 && fleet.subnetRefusals() > 0) {
            firstRefusalNanos = scheduler.nanos();
        }
    }

    private static int poisson(SplittableRandom random, double mean) {
        // Knuth's method for small means, a rounded normal beyond (pods per node is tens at most)
        if (mean > 50) {
            return (int) Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(random)));
        }
        double limit = Math.exp(-mean);
        double p = 1;
        int k = 0;
        do {
            k++;
            p *= random.nextDouble();
        } while (p > limit);
        return k - 1;
    }

    private static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble();
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** A seed for one stream: the run's seed, a node index, and which stream. */
    private static long mix(long seed, long index, long stream) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + stream * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
