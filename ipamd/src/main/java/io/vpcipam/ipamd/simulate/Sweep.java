package io.vpcipam.ipamd.simulate;

import io.vpcipam.ipamd.config.ConfigException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * A sweep over one or two settings: every combination run on the same workload (same seed, and the workload's
 * random streams do not depend on the engine's settings), then the Pareto table of waste (idle addresses) against
 * p99 time-to-IP against cloud calls. Runs are independent, so they go in parallel; each is deterministic, so the
 * table does not depend on how many ran at once.
 */
final class Sweep {

    /** One swept setting and its values, from {@code NAME=v1,v2,...}. */
    record Axis(String name, List<String> values) {
        static Axis parse(String text) throws ConfigException {
            int eq = text.indexOf('=');
            List<String> values = new ArrayList<>();
            if (eq > 0) {
                for (String v : text.substring(eq + 1).split(",")) {
                    if (!v.isBlank()) {
                        values.add(v.strip());
                    }
                }
            }
            if (eq <= 0 || values.size() < 2) {
                throw new ConfigException(List.of("--sweep '" + text + "': expected NAME=v1,v2[,...] (two values or"
                        + " more)"));
            }
            return new Axis(text.substring(0, eq).strip(), List.copyOf(values));
        }
    }

    /** One combination and what it gave; {@code pareto}: no other point is at least as good on all three. */
    record Point(Map<String, String> values, Result result, boolean pareto) {
        String label() {
            return values.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(" "));
        }
    }

    private Sweep() {
    }

    /**
     * Checks every combination's settings first (so a bad value fails before anything runs), then runs them on
     * {@code threads} threads.
     */
    static List<Point> run(Map<String, String> base, List<Axis> axes, int threads) throws Exception {
        List<Map<String, String>> combos = new ArrayList<>();
        combos.add(new LinkedHashMap<>());
        for (Axis axis : axes) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> c : combos) {
                for (String v : axis.values()) {
                    Map<String, String> m = new LinkedHashMap<>(c);
                    m.put(axis.name(), v);
                    next.add(m);
                }
            }
            combos = next;
        }
        List<Scenario> scenarios = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Map<String, String> c : combos) {
            Map<String, String> settings = new LinkedHashMap<>(base);
            settings.putAll(c);
            try {
                scenarios.add(Scenario.of(settings));
            } catch (ConfigException e) {
                e.problems().stream().map(p -> c + ": " + p).forEach(problems::add);
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        List<Result> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads))) {
            List<Future<Result>> futures = new ArrayList<>();
            for (Scenario s : scenarios) {
                futures.add(pool.submit(() -> Simulation.run(s)));
            }
            for (Future<Result> f : futures) {
                try {
                    results.add(f.get());
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Exception cause) {
                        throw cause;
                    }
                    throw e;
                }
            }
        }
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < combos.size(); i++) {
            points.add(new Point(combos.get(i), results.get(i), paretoOptimal(results, i)));
        }
        return points;
    }

    /** Whether no other result is at least as good in waste, p99 and calls, and better in one. */
    static boolean paretoOptimal(List<Result> all, int i) {
        Result a = all.get(i);
        for (int j = 0; j < all.size(); j++) {
            Result b = all.get(j);
            if (j == i) {
                continue;
            }
            boolean noWorse = b.idleMean() <= a.idleMean() && b.p99().compareTo(a.p99()) <= 0
                    && b.totalCalls() <= a.totalCalls();
            boolean better = b.idleMean() < a.idleMean() || b.p99().compareTo(a.p99()) < 0
                    || b.totalCalls() < a.totalCalls();
            if (noWorse && better) {
                return false;
            }
        }
        return true;
    }

    /** The Pareto table: one line per combination, the front marked. */
    static String table(List<Point> points, List<Axis> axes) {
        Result first = points.getFirst().result();
        Scenario s = first.scenario();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "vpc-ipam simulate --sweep %s: %s, %s of workload, seed %d%n",
                axes.stream().map(Axis::name).collect(Collectors.joining(" x ")),
                s.trace() != null ? "trace " + s.trace().getFileName() : s.nodes() + " nodes",
                Report.human(s.duration()), s.seed()));
        b.append("  * = Pareto front: no other setting has fewer idle addresses, a lower p99 and fewer calls at once\n\n");
        StringBuilder header = new StringBuilder("  ");
        for (Axis a : axes) {
            header.append(String.format(Locale.ROOT, "%-" + Math.max(a.name().length(), 6) + "s  ", a.name()));
        }
        header.append(String.format(Locale.ROOT, "%12s %12s %12s %10s %10s %12s %10s  %s", "idle (mean)", "p99",
                "max", "waited", "past t/o", "calls", "throttled", ""));
        b.append(header.toString().stripTrailing()).append('\n');
        for (Point p : points) {
            StringBuilder line = new StringBuilder("  ");
            for (Axis a : axes) {
                line.append(String.format(Locale.ROOT, "%-" + Math.max(a.name().length(), 6) + "s  ",
                        p.values().get(a.name())));
            }
            Result r = p.result();
            line.append(String.format(Locale.ROOT, "%,12.0f %12s %12s %,10d %,10d %,12d %,10d  %s", r.idleMean(),
                    Report.ms(r.p99()), Report.ms(r.max()), r.waited(), r.pastTimeout(), r.totalCalls(),
                    r.totalThrottled(), p.pareto() ? "*" : ""));
            b.append(line.toString().stripTrailing()).append('\n');
        }
        return b.toString();
    }
}
