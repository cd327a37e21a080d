package io.vpcipam.ipamd.simulate;

import io.vpcipam.ipamd.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code ipamd simulate}: the fleet what-if simulator. Wires the settings into a {@link Scenario}, runs it (or a
 * sweep of it) and prints the table; nothing else.
 */
@Command(name = "simulate", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Simulate a fleet of nodes running ipamd's own pool engine against one simulated cloud, in "
                + "virtual time (no cloud, no root), and report time-to-IP, idle addresses, subnet use and cloud "
                + "calls.",
                "Settings are ipamd's environment names (WARM_IP_TARGET, MINIMUM_IP_TARGET, WARM_ENI_TARGET, "
                        + "WARM_PREFIX_TARGET, ENABLE_PREFIX_DELEGATION, IP_COOLDOWN_PERIOD, ...) and the "
                        + "simulator's SIM_* names; see docs/simulate.md."},
        footer = {"", "Simulator settings and their defaults:",
                "  SIM_NODES=100  SIM_DURATION=1h  SIM_WARMUP=1m  SIM_SEED=1",
                "  SIM_INSTANCE_TYPES=c5.4xlarge (a mix: m5.large:3,c5.4xlarge:1)",
                "  SIM_SUBNETS=1  SIM_SUBNET_SIZE=/19  SIM_LATENCY=300ms",
                "  SIM_API_RATE=20 (calls/s, or unlimited)  SIM_API_BURST=100",
                "  SIM_PODS_PER_NODE=20  SIM_POD_LIFETIME=10m",
                "  SIM_BURST_EVERY=15m  SIM_BURST_PODS='5 per node'  SIM_BURST_SPREAD=5s",
                "  SIM_BURST_LIFETIME=10m  SIM_SAMPLE=10s",
                "  SIM_SCALE= (e.g. 20m:+10,40m:-10)",
                "  SIM_TRACE= (a CSV file: time,node,add|del,pod)"})
public final class SimulateCommand implements Callable<Integer> {

    @Option(names = "--settings", paramLabel = "FILE",
            description = "a file of NAME=value lines (ipamd's variables and SIM_* ones)")
    Path settingsFile;

    @Option(names = {"-s", "--set"}, paramLabel = "NAME=VALUE",
            description = "one setting, after the file (repeatable)")
    List<String> set = List.of();

    @Option(names = "--nodes", description = "fleet size (SIM_NODES)")
    Integer nodes;

    @Option(names = "--duration", description = "virtual time of workload (SIM_DURATION), e.g. 1h")
    String duration;

    @Option(names = "--seed", description = "random seed (SIM_SEED): same seed, same result")
    Long seed;

    @Option(names = "--trace", paramLabel = "CSV", description = "play this trace (SIM_TRACE)")
    Path trace;

    @Option(names = "--sweep", paramLabel = "NAME=v1,v2,...",
            description = "run every value of a setting (give two --sweep for every combination of two) and print"
                    + " the Pareto table of idle addresses vs p99 time-to-IP vs cloud calls")
    List<String> sweep = List.of();

    @Option(names = "--chart", paramLabel = "FILE.svg",
            description = "with --sweep: write the trade-off and idle addresses over time as a self-contained SVG")
    Path chart;

    @Option(names = "--parallel", description = "with --sweep: runs at once (default: the processors)")
    Integer parallel;

    private final PrintStream out;
    private final PrintStream err;

    /** For picocli. */
    public SimulateCommand() {
        this(System.out, System.err);
    }

    SimulateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> settings;
        try {
            settings = settings();
        } catch (ConfigException e) {
            e.problems().forEach(p -> err.println("simulate: " + p));
            return 2;
        }
        if (!sweep.isEmpty()) {
            return sweep(settings);
        }
        List<String> problems = new java.util.ArrayList<>();
        if (chart != null) {
            problems.add("--chart needs --sweep (the chart compares settings)");
        }
        Scenario scenario = null;
        try {
            scenario = Scenario.of(settings);
        } catch (ConfigException e) {
            problems.addAll(e.problems());
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> err.println("simulate: " + p));
            return 2;
        }
        Result r;
        try {
            r = Simulation.run(scenario);
        } catch (Trace.TraceException e) {
            e.problems().forEach(p -> err.println("simulate: " + p));
            return 2;
        }
        out.print(Report.table(r));
        return 0;
    }

    private int sweep(Map<String, String> settings) throws Exception {
        List<Sweep.Axis> axes = new java.util.ArrayList<>();
        List<Sweep.Point> points;
        try {
            if (sweep.size() > 2) {
                throw new ConfigException(List.of("--sweep: at most two settings at once (every combination runs)"));
            }
            for (String s : sweep) {
                axes.add(Sweep.Axis.parse(s));
            }
            if (axes.size() == 2 && axes.get(0).name().equals(axes.get(1).name())) {
                throw new ConfigException(List.of("--sweep: " + axes.get(0).name() + " is swept twice"));
            }
            points = Sweep.run(settings, axes, parallel != null ? parallel
                    : Runtime.getRuntime().availableProcessors());
        } catch (ConfigException e) {
            e.problems().forEach(p -> err.println("simulate: " + p));
            return 2;
        } catch (Trace.TraceException e) {
            e.problems().forEach(p -> err.println("simulate: " + p));
            return 2;
        }
        out.print(Sweep.table(points, axes));
        if (chart != null) {
            Scenario s = points.getFirst().result().scenario();
            String title = "ipamd simulate: " + (s.trace() != null ? "trace " + s.trace().getFileName()
                    : s.nodes() + " nodes") + ", " + Report.human(s.duration()) + ", seed " + s.seed();
            java.nio.file.Files.writeString(chart, Chart.svg(points, title));
            out.println("\nchart: " + chart);
        }
        return 0;
    }

    /** The settings file, then --set, then the shortcut flags. */
    Map<String, String> settings() throws IOException, ConfigException {
        Map<String, String> settings = new LinkedHashMap<>();
        if (settingsFile != null) {
            settings.putAll(Scenario.readFile(settingsFile));
        }
        for (String kv : set) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException(List.of("--set '" + kv + "': expected NAME=VALUE"));
            }
            settings.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
        }
        if (nodes != null) {
            settings.put("SIM_NODES", String.valueOf(nodes));
        }
        if (duration != null) {
            settings.put("SIM_DURATION", duration);
        }
        if (seed != null) {
            settings.put("SIM_SEED", String.valueOf(seed));
        }
        if (trace != null) {
            settings.put("SIM_TRACE", trace.toString());
        }
        return settings;
    }
}
