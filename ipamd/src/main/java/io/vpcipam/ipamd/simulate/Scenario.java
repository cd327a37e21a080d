package io.vpcipam.ipamd.simulate;

import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.config.ConfigException;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.EnvReader;
import io.vpcipam.provider.sim.SimFleet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One simulation's inputs: the engine's settings (ipamd's own environment names, read by {@link Config#fromEnv}
 * exactly as ipamd reads them) and the fleet's ({@code SIM_*} names: fleet, cloud, workload). Both come from one
 * map, usually a file of {@code NAME=value} lines; every bad value is reported at once, naming it.
 *
 * @param engine     ipamd's configuration (targets, cool-down, ADD timeout, intervals)
 * @param engineEnv  the engine settings as given (for the report)
 * @param nodes      SIM_NODES: nodes at the start
 * @param duration   SIM_DURATION: virtual time the workload runs, after the warm-up
 * @param warmup     SIM_WARMUP: nodes boot and warm their pools before the workload starts
 * @param seed       SIM_SEED: same seed, same run
 * @param types      SIM_INSTANCE_TYPES: instance type mix, type to weight
 * @param subnets    SIM_SUBNETS x SIM_SUBNET_SIZE: the VPC's subnets, nodes spread evenly over them
 * @param apiRate    SIM_API_RATE: account-wide calls per second (0 = unlimited)
 * @param apiBurst   SIM_API_BURST: the bucket's size
 * @param latency    SIM_LATENCY: latency of each mutating call
 * @param podsPerNode SIM_PODS_PER_NODE: pods per node in the steady churn (Poisson arrivals, exponential lives)
 * @param podLifetime SIM_POD_LIFETIME: mean life of a churning pod
 * @param burstEvery  SIM_BURST_EVERY: a deployment lands every this long (zero = never)
 * @param burstPods   SIM_BURST_PODS: pods per deployment, spread over the fleet's nodes
 * @param burstSpread SIM_BURST_SPREAD: its pods arrive within this window
 * @param burstLifetime SIM_BURST_LIFETIME: the deployment is scaled back to zero after this
 * @param scale       SIM_SCALE: node scale-ups and scale-downs, e.g. {@code 20m:+10,40m:-10}
 * @param trace       SIM_TRACE: a CSV trace (time,node,add|del,pod) instead of the generated workload; null = none
 * @param sample      SIM_SAMPLE: how often idle addresses and subnet use are sampled
 */
public record Scenario(Config engine, Map<String, String> engineEnv, int nodes, Duration duration, Duration warmup,
                       long seed, Map<String, Integer> types, List<Cidr> subnets, double apiRate, double apiBurst,
                       Duration latency, double podsPerNode, Duration podLifetime, Duration burstEvery, int burstPods,
                       Duration burstSpread, Duration burstLifetime, List<ScaleStep> scale, Path trace,
                       Duration sample) {

    /** A change of fleet size at a time: {@code +n} launches n nodes, {@code -n} terminates the n newest. */
    public record ScaleStep(Duration at, int delta) {
    }

    /** The simulator's own settings with their defaults (the engine's defaults are ipamd's). */
    public static final Map<String, String> DEFAULTS;

    static {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("SIM_NODES", "100");
        d.put("SIM_DURATION", "1h");
        d.put("SIM_WARMUP", "1m");
        d.put("SIM_SEED", "1");
        d.put("SIM_INSTANCE_TYPES", "c5.4xlarge");
        d.put("SIM_SUBNETS", "1");
        d.put("SIM_SUBNET_SIZE", "/19");
        d.put("SIM_API_RATE", "20");
        d.put("SIM_API_BURST", "100");
        d.put("SIM_LATENCY", "300ms");
        d.put("SIM_PODS_PER_NODE", "20");
        d.put("SIM_POD_LIFETIME", "10m");
        d.put("SIM_BURST_EVERY", "15m");
        d.put("SIM_BURST_PODS", "5 per node");
        d.put("SIM_BURST_SPREAD", "5s");
        d.put("SIM_BURST_LIFETIME", "10m");
        d.put("SIM_SCALE", "");
        d.put("SIM_TRACE", "");
        d.put("SIM_SAMPLE", "10s");
        DEFAULTS = java.util.Collections.unmodifiableMap(d);
    }

    /** Reads a settings file: {@code NAME=value} lines, {@code #} comments and blank lines ignored. */
    public static Map<String, String> readFile(Path file) throws IOException, ConfigException {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            if (t.startsWith("export ")) {
                t = t.substring(7).strip();
            }
            int eq = t.indexOf('=');
            if (eq <= 0) {
                problems.add(file + ":" + n + ": '" + line + "' is not NAME=value");
                continue;
            }
            String value = t.substring(eq + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                    || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            out.put(t.substring(0, eq).strip(), value);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return out;
    }

    /**
     * Builds a scenario from settings: {@code SIM_*} names are the simulator's, every other name is ipamd's (checked
     * by ipamd's own configuration reader). Throws with every problem, one per line.
     */
    public static Scenario of(Map<String, String> settings) throws ConfigException {
        Map<String, String> sim = new LinkedHashMap<>(DEFAULTS);
        Map<String, String> engineEnv = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            if (e.getKey().startsWith("SIM_")) {
                if (!DEFAULTS.containsKey(e.getKey())) {
                    problems.add(e.getKey() + ": not a simulator setting (they are " + String.join(", ",
                            DEFAULTS.keySet()) + ")");
                } else {
                    sim.put(e.getKey(), e.getValue());
                }
            } else {
                engineEnv.put(e.getKey(), e.getValue());
            }
        }
        Config engine = null;
        try {
            engine = Config.fromEnv(engineEnv);
        } catch (ConfigException e) {
            problems.addAll(e.problems());
        }
        Reader r = new Reader(sim, problems);
        int nodes = r.integer("SIM_NODES", 1, 100_000);
        Duration duration = r.duration("SIM_DURATION", false);
        Duration warmup = r.duration("SIM_WARMUP", true);
        long seed = r.longValue("SIM_SEED");
        Map<String, Integer> types = r.types("SIM_INSTANCE_TYPES");
        int subnetCount = r.integer("SIM_SUBNETS", 1, 256);
        int size = r.prefixLength("SIM_SUBNET_SIZE");
        List<Cidr> subnets = new ArrayList<>();
        if (size > 0) {
            long block = 1L << (32 - size);
            if (subnetCount * block > (1L << 24)) {
                problems.add("SIM_SUBNETS='" + subnetCount + "' x SIM_SUBNET_SIZE='/" + size
                        + "': more than the VPC 10.0.0.0/8 holds");
            } else {
                Cidr vpc = Cidr.parse("10.0.0.0/8");
                for (int i = 0; i < subnetCount; i++) {
                    subnets.add(new Cidr(vpc.address(i * block), size));
                }
            }
        }
        double apiRate = r.rate("SIM_API_RATE");
        double apiBurst = r.decimal("SIM_API_BURST", 1);
        Duration latency = r.duration("SIM_LATENCY", true);
        double podsPerNode = r.decimal("SIM_PODS_PER_NODE", 0);
        Duration podLifetime = r.duration("SIM_POD_LIFETIME", false);
        Duration burstEvery = r.duration("SIM_BURST_EVERY", true);
        String burstText = sim.get("SIM_BURST_PODS").strip();
        int burstPods;
        if (burstText.endsWith("per node")) {
            burstPods = (int) Math.round(r.number("SIM_BURST_PODS", burstText.substring(0, burstText.length() - 8))
                    * nodes);
        } else {
            burstPods = (int) r.number("SIM_BURST_PODS", burstText);
        }
        if (burstPods < 0) {
            problems.add("SIM_BURST_PODS='" + burstText + "': must be >= 0 (a count, or 'N per node')");
        }
        Duration burstSpread = r.duration("SIM_BURST_SPREAD", true);
        Duration burstLifetime = r.duration("SIM_BURST_LIFETIME", false);
        List<ScaleStep> scale = r.scale("SIM_SCALE");
        String traceText = sim.get("SIM_TRACE").strip();
        Path trace = null;
        if (!traceText.isEmpty()) {
            trace = Path.of(traceText);
            if (!Files.isReadable(trace)) {
                problems.add("SIM_TRACE='" + traceText + "': no such readable file");
            }
        }
        Duration sample = r.duration("SIM_SAMPLE", false);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new Scenario(engine, engineEnv, nodes, duration, warmup, seed, types, subnets, apiRate, apiBurst,
                latency, podsPerNode, podLifetime, burstEvery, burstPods, burstSpread, burstLifetime, scale, trace,
                sample);
    }

    /** Collects problems so a user sees all of them in one run. */
    private record Reader(Map<String, String> sim, List<String> problems) {

        String text(String name) {
            return sim.get(name).strip();
        }

        void problem(String name, String why) {
            problems.add(name + "='" + sim.get(name) + "': " + why);
        }

        int integer(String name, int min, int max) {
            try {
                int v = Integer.parseInt(text(name));
                if (v < min || v > max) {
                    problem(name, "must be " + min + " to " + max);
                }
                return v;
            } catch (NumberFormatException e) {
                problem(name, "must be a whole number");
                return min;
            }
        }

        long longValue(String name) {
            try {
                return Long.parseLong(text(name));
            } catch (NumberFormatException e) {
                problem(name, "must be a whole number");
                return 0;
            }
        }

        double number(String name, String text) {
            try {
                double v = Double.parseDouble(text.strip());
                if (!Double.isFinite(v)) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException e) {
                problem(name, "must be a number");
                return 0;
            }
        }

        double decimal(String name, double min) {
            double v = number(name, text(name));
            if (v < min) {
                problem(name, "must be >= " + min);
            }
            return v;
        }

        double rate(String name) {
            String t = text(name);
            if (t.equalsIgnoreCase("unlimited")) {
                return 0;
            }
            double v = number(name, t);
            if (!(v > 0)) {
                problem(name, "must be calls per second > 0, or 'unlimited'");
            }
            return v;
        }

        Duration duration(String name, boolean zeroAllowed) {
            try {
                Duration d = EnvReader.parseDuration(text(name));
                if (d.isZero() && !zeroAllowed) {
                    problem(name, "must be more than zero");
                }
                return d;
            } catch (IllegalArgumentException e) {
                problem(name, "must be a duration such as 500ms, 30s, 10m or 1h");
                return Duration.ZERO;
            }
        }

        int prefixLength(String name) {
            String t = text(name);
            t = t.startsWith("/") ? t.substring(1) : t;
            try {
                int v = Integer.parseInt(t);
                if (v < 16 || v > 28) {
                    problem(name, "must be a prefix length /16 to /28 (EC2's subnet sizes)");
                    return 0;
                }
                return v;
            } catch (NumberFormatException e) {
                problem(name, "must be a prefix length such as /19");
                return 0;
            }
        }

        Map<String, Integer> types(String name) {
            Map<String, Integer> out = new LinkedHashMap<>();
            for (String part : text(name).split(",")) {
                String p = part.strip();
                if (p.isEmpty()) {
                    continue;
                }
                String type = p;
                int weight = 1;
                int colon = p.indexOf(':');
                if (colon > 0) {
                    type = p.substring(0, colon).strip();
                    try {
                        weight = Integer.parseInt(p.substring(colon + 1).strip());
                    } catch (NumberFormatException e) {
                        weight = -1;
                    }
                    if (weight < 1) {
                        problem(name, "'" + p + "': the weight after ':' must be a whole number >= 1");
                        continue;
                    }
                }
                try {
                    SimFleet.checkInstanceType(type);
                    out.merge(type, weight, Integer::sum);
                } catch (IllegalArgumentException e) {
                    problem(name, e.getMessage());
                }
            }
            if (out.isEmpty() && problems.stream().noneMatch(p -> p.startsWith(name))) {
                problem(name, "names no instance type (e.g. c5.4xlarge, or m5.large:3,c5.4xlarge:1)");
            }
            return out;
        }

        List<ScaleStep> scale(String name) {
            List<ScaleStep> out = new ArrayList<>();
            for (String part : text(name).split(",")) {
                String p = part.strip();
                if (p.isEmpty()) {
                    continue;
                }
                int colon = p.indexOf(':');
                try {
                    if (colon <= 0) {
                        throw new IllegalArgumentException();
                    }
                    Duration at = EnvReader.parseDuration(p.substring(0, colon));
                    String delta = p.substring(colon + 1).strip().toLowerCase(Locale.ROOT);
                    if (!delta.startsWith("+") && !delta.startsWith("-")) {
                        throw new IllegalArgumentException();
                    }
                    int n = Integer.parseInt(delta);
                    if (n == 0) {
                        throw new IllegalArgumentException();
                    }
                    out.add(new ScaleStep(at, n));
                } catch (IllegalArgumentException e) {
                    problem(name, "'" + p + "' is not TIME:+N or TIME:-N (e.g. 20m:+10,40m:-10)");
                }
            }
            out.sort(java.util.Comparator.comparing(ScaleStep::at));
            return out;
        }
    }
}
