package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.pool.DecisionView;
import io.vpcipam.ipamd.pool.PoolView;
import io.vpcipam.ipamd.pool.Reconciler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ipamd explain}: the pool, a one-line verdict, and the reconciler's latest decisions with reasons. */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Explain what the pool engine is doing and why: counts, targets, a verdict, and its latest"
                + " decisions with their reasons (reads the introspection endpoint)."})
public final class Explain implements Callable<Integer> {
    @Mixin
    OpsCommands.IntrospectionOption from;
    @Option(names = "--last", paramLabel = "N", description = "how many decisions to show (default 20)")
    int last = 20;
    @Option(names = "--json", description = "print pool, verdict and decisions as JSON")
    boolean json;

    @Override
    public Integer call() throws IOException {
        OpsCommands.Source source = from.resolve("ipamd explain", null, System.err);
        if (source == null) {
            return 2;
        }
        if (source.introspection() == null) {
            System.err.println("ipamd explain: introspection is off (IPAMD_INTROSPECTION_ADDRESS=off); the"
                    + " decisions are only served there. Try 'ipamd status' for counts.");
            return 1;
        }
        PoolView pool;
        List<DecisionView> decisions;
        try {
            IntrospectionClient client = new IntrospectionClient(source.introspection());
            pool = client.pool();
            decisions = client.decisions();
        } catch (IOException e) {
            System.err.println("ipamd explain: " + e.getMessage());
            return 1;
        }
        List<DecisionView> newestFirst = new ArrayList<>(decisions.reversed());
        if (newestFirst.size() > Math.max(0, last)) {
            newestFirst = newestFirst.subList(0, Math.max(0, last));
        }
        String verdict = verdict(pool, decisions, InstantSource.system().instant());
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("verdict", verdict);
            m.put("pool", pool);
            m.put("decisions", newestFirst);
            System.out.println(OpsCommands.PRETTY.asString(m));
        } else {
            printExplain(pool, verdict, newestFirst, System.out);
        }
        return 0;
    }

    /**
     * One sentence for the operator: why pods are (or are not) getting addresses, from counts and the decisions.
     * Checked in order of what blocks pods first.
     */
    static String verdict(PoolView pool, List<DecisionView> decisions, Instant now) {
        PoolView.Counts c = pool.pool();
        int free = c.free();
        int total = c.total();
        int waiting = c.waiting();
        int cooling = c.cooling();
        int pending = c.pending();
        int max = pool.maxAddresses();
        PoolView.Engine engine = pool.engine() == null
                ? new PoolView.Engine(null, null, null, true, false, 0, null, null, null, null, true)
                : pool.engine();
        Instant paused = OpsCommands.parse(engine.growthPausedUntil() == null ? "" : engine.growthPausedUntil());
        DecisionView lastAction = null;
        for (DecisionView d : decisions.reversed()) {
            if (d.judged() != Reconciler.Result.IDLE) {
                lastAction = d;
                break;
            }
        }
        Reconciler.Result lastResult = lastAction == null ? null : lastAction.judged();
        String failed = lastResult == null || lastResult.ok() ? null
                : lastAction.plan() + " (" + lastAction.reason() + ") -> " + lastAction.outcome();
        if (!engine.reconcilerRunning()) {
            return "BROKEN: the reconciler is not running; the pool cannot grow. Restart ipamd and read its log.";
        }
        String cloud = engine.cloudFailing()
                ? "the cloud is failing (" + engine.cloudFailures() + " failures in a row, last: " + engine.cloudError()
                        + "); the reconciler waits and calls it again at " + engine.cloudNextTry()
                : null;
        if (waiting > 0 || free == 0) {
            String who = waiting > 0 ? waiting + " ADD(s) waiting, " : "";
            if (!engine.provisioning()) {
                return "STARVED: " + who + "no free address; DISABLE_NETWORK_RESOURCE_PROVISIONING=true, so ipamd"
                        + " asks the cloud for nothing: pods get only the " + total + " address(es) already on the"
                        + " node.";
            }
            if (paused != null && paused.isAfter(now)) {
                PoolView.Refusal refusal = engine.lastCapacityRefusal();
                String which = refusal == null || refusal.reason() == null ? ""
                        : " (" + refusal.reason() + ", " + refusal.code() + ", " + refusal.inARow() + " in a row)";
                return "STARVED: " + who + "no free address; growth is paused until " + paused
                        + " because the cloud refused the last allocation for capacity" + which + ": the subnet ran"
                        + " out of addresses (IPAMD_SUBNET_BACKOFF), or an interface or instance limit ipamd did not"
                        + " know of (a backoff up to 5 minutes)" + (failed == null ? "." : "; last: " + failed);
            }
            if (max > 0 && total >= max && pending == 0) {
                return "FULL: " + who + "no free address; the node holds " + total + " of at most " + max
                        + " addresses (its cloud limits): schedule fewer pods here or use prefix delegation.";
            }
            if (cloud != null) {
                return "STARVED: " + who + "no free address; " + cloud + ".";
            }
            if (failed != null) {
                return "STARVED: " + who + "no free address; the last cloud action failed: " + failed;
            }
            if (cooling > 0 || pending > 0) {
                return "TIGHT: " + who + "no free address right now; " + pending + " pending from the cloud and "
                        + cooling + " cooling down (IP_COOLDOWN_PERIOD) will become free.";
            }
            return "TIGHT: " + who + "no free address right now; the reconciler is asking the cloud for more.";
        }
        if (cloud != null) {
            return "OK, with trouble: " + free + " free address(es), but " + cloud + ".";
        }
        if (failed != null) {
            return "OK, with trouble: " + free + " free address(es), but the last cloud action failed: " + failed;
        }
        return "OK: " + free + " free address(es) ready for new pods; nothing is waiting.";
    }

    static void printExplain(PoolView pool, String verdict, List<DecisionView> newestFirst, PrintStream out) {
        PoolView.Counts c = pool.pool();
        PoolView.TargetsView t = pool.targets();
        PoolView.Engine e = pool.engine();
        out.printf("node      %s (%s, %s) provider=%s%s%n", pool.instanceId(), pool.instanceType(), pool.zone(),
                pool.provider(), pool.prefixMode() ? " prefix-mode" : "");
        out.printf("pool      total=%s free=%s assigned=%s cooling=%s pending=%s releasing=%s waiting=%s max=%s"
                        + " interfaces=%d%n", c.total(), c.free(), c.assigned(), c.cooling(), c.pending(), c.releasing(),
                c.waiting(), pool.maxAddresses(), pool.interfaces().size());
        if (t != null) {
            out.printf("targets   WARM_IP_TARGET=%s MINIMUM_IP_TARGET=%s WARM_ENI_TARGET=%s WARM_PREFIX_TARGET=%s"
                            + " MAX_ENI=%s%n", t.warmIpTarget(), t.minimumIpTarget(), t.warmEniTarget(),
                    t.warmPrefixTarget(), t.maxEni());
        }
        if (e != null) {
            out.printf("engine    last grow %s, last shrink %s%s%s%n", orNever(e.lastGrow()), orNever(e.lastShrink()),
                    e.growthPausedUntil() == null ? "" : ", growth paused until " + e.growthPausedUntil(),
                    e.cloudFailing() ? ", cloud failing, next call at " + e.cloudNextTry() : "");
        }
        List<String> unmanaged = new ArrayList<>();
        for (PoolView.Iface i : pool.interfaces()) {
            if (i.unmanaged() != null) {
                unmanaged.add(i.id() + " (" + i.unmanaged() + ")");
            }
        }
        if (!unmanaged.isEmpty()) {
            out.println("unmanaged " + String.join(", ", unmanaged) + ": never used, shrunk or released");
        }
        if (c.unproven() > 0 && e != null) {
            out.println("takeover  " + e.takeover());
        }
        out.println();
        out.println("verdict   " + verdict);
        out.println();
        out.printf("%-30s %-16s %-16s %s%n", "AT", "PLAN", "OUTCOME", "REASON");
        for (DecisionView d : newestFirst) {
            out.printf("%-30s %-16s %-16s %s%n", d.at(), d.plan(), d.outcome(), d.reason());
        }
    }

    private static String orNever(Object o) {
        return o == null ? "never" : o.toString();
    }
}
