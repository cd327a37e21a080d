package io.vpcipam.ipamd.simulate;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The simulator's text output: one run's table. */
final class Report {

    private Report() {
    }

    /** The table for one run. */
    static String table(Result r) {
        Scenario s = r.scenario();
        StringBuilder b = new StringBuilder();
        String settings = s.engineEnv().isEmpty() ? "ipamd's defaults"
                : s.engineEnv().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                        .collect(Collectors.joining(" "));
        b.append(String.format(Locale.ROOT, "vpc-ipam simulate: %s, %s of workload after a %s warm-up, seed %d%n",
                s.trace() != null ? "trace " + s.trace().getFileName() + " (" + r.nodesAtEnd() + " nodes)"
                        : s.nodes() + " nodes (" + types(s) + ")",
                human(s.duration()), human(s.warmup()), s.seed()));
        b.append("  settings: ").append(settings).append('\n');
        b.append(String.format(Locale.ROOT, "  cloud: %d subnet%s of /%d, API %s, %s per mutating call%n",
                s.subnets().size(), s.subnets().size() == 1 ? "" : "s", s.subnets().getFirst().length(),
                s.apiRate() > 0 ? fmt(s.apiRate()) + " calls/s (burst " + fmt(s.apiBurst()) + ")" : "unlimited",
                human(s.latency())));
        if (s.trace() == null) {
            b.append(String.format(Locale.ROOT, "  workload: %s pods/node churning (mean life %s)%s%s%n",
                    fmt(s.podsPerNode()), human(s.podLifetime()),
                    s.burstEvery().isZero() || s.burstPods() == 0 ? ""
                            : String.format(Locale.ROOT, ", a %d-pod deployment every %s (lives %s)", s.burstPods(),
                            human(s.burstEvery()), human(s.burstLifetime())),
                    s.scale().isEmpty() ? "" : ", scale " + s.scale().stream()
                            .map(x -> human(x.at()) + ":" + (x.delta() > 0 ? "+" : "") + x.delta())
                            .collect(Collectors.joining(","))));
        }
        b.append('\n');
        row(b, "time-to-IP", String.format(Locale.ROOT, "p50 %s  p99 %s  max %s", ms(r.p50()), ms(r.p99()),
                ms(r.max())));
        row(b, "ADDs", String.format(Locale.ROOT, "%,d served, %,d waited for the cloud, %,d past the %s ADD timeout"
                        + ", %,d node full%s", r.adds(), r.waited(), r.pastTimeout(), human(s.engine().addTimeout()),
                r.nodeFull(), r.stillWaiting() > 0 ? ", " + r.stillWaiting() + " still waiting at the end" : ""));
        row(b, "idle addresses", String.format(Locale.ROOT, "mean %,.0f  peak %,d  (%.1f per node)", r.idleMean(),
                r.idlePeak(), r.idleMean() / Math.max(1, r.nodesAtEnd())));
        for (Result.SubnetStat sub : r.subnets()) {
            row(b, "subnet " + sub.cidr(), String.format(Locale.ROOT, "peak %,d of %,d usable (%.0f%%)", sub.peak(),
                    sub.usable(), 100 * sub.peakShare()));
        }
        row(b, "exhaustion", r.subnetRefusals() == 0 ? "none"
                : String.format(Locale.ROOT, "%,d growth calls refused for want of subnet addresses, first at %s",
                r.subnetRefusals(), human(r.firstRefusal())));
        row(b, "cloud calls", String.format(Locale.ROOT, "%,d (%,d throttled)", r.totalCalls(), r.totalThrottled()));
        for (Map.Entry<String, Long> e : r.calls().entrySet()) {
            if (e.getValue() > 0) {
                long t = r.throttled().getOrDefault(e.getKey(), 0L);
                row(b, "  " + e.getKey(), String.format(Locale.ROOT, "%,d%s", e.getValue(),
                        t > 0 ? String.format(Locale.ROOT, " (%,d throttled)", t) : ""));
            }
        }
        row(b, "run", String.format(Locale.ROOT, "%,d reconciler passes, %,d events in %.1f s", r.passes(),
                r.events(), r.wall().toMillis() / 1000.0));
        return b.toString();
    }

    private static String types(Scenario s) {
        return s.types().entrySet().stream().map(e -> s.types().size() == 1 ? e.getKey() : e.getKey() + ":"
                + e.getValue()).collect(Collectors.joining(","));
    }

    private static void row(StringBuilder b, String name, String value) {
        b.append(String.format(Locale.ROOT, "  %-38s %s%n", name, value));
    }

    static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.format(Locale.ROOT, "%.2f", d);
    }

    /** A duration as ms below ten seconds, else seconds. */
    static String ms(Duration d) {
        long ms = d.toMillis();
        return ms < 10_000 ? ms + " ms" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    /** A duration as people write it: 1h, 15m, 30s, 300ms. */
    static String human(Duration d) {
        if (d == null) {
            return "-";
        }
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms < 1000 ? ms + "ms" : String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
}
