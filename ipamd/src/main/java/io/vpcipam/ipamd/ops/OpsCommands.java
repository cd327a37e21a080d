package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.pool.PoolView;
import io.vpcipam.ipamd.pool.Reconciler;
import io.vpcipam.protocol.Layout;
import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.protocol.StatusInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The operator's read-only commands ({@code ipamd leases}, {@code ipamd explain}) and what {@code ipamd status}
 * shares with them: where to read from, and the socket fallback for when introspection is off or unreachable.
 */
public final class OpsCommands {

    private static final JSON PRETTY = JSON.builder().enable(JSON.Feature.PRETTY_PRINT_OUTPUT)
            .enable(JSON.Feature.WRITE_NULL_PROPERTIES).build();

    private OpsCommands() {
    }

    /**
     * Where a command reads: introspection first (null when off, or when the operator named only a socket: then
     * they meant that daemon), the socket as the fallback.
     */
    public record Source(OpsConfig.Endpoint introspection, Path socket) {

        /** Resolves flags, then the environment, then the defaults. */
        public static Source resolve(String introspectionFlag, Path socketFlag, Map<String, String> env) {
            Path socket = socketFlag != null ? socketFlag : Path.of(value(env, "IPAMD_SOCKET", Layout.DEFAULT_SOCKET));
            if (introspectionFlag == null && socketFlag != null) {
                return new Source(null, socket);
            }
            String text = introspectionFlag != null ? introspectionFlag
                    : value(env, "IPAMD_INTROSPECTION_ADDRESS", OpsConfig.DEFAULT_INTROSPECTION);
            if (text.equalsIgnoreCase("off")) {
                return new Source(null, socket);
            }
            try {
                return new Source(OpsConfig.Endpoint.parse(text), socket);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--introspection '" + text + "': must be host:port or off");
            }
        }

        private static String value(Map<String, String> env, String name, String fallback) {
            String v = env.get(name);
            return v == null || v.isBlank() ? fallback : v.trim();
        }
    }

    /**
     * The daemon's status: from introspection if it answers, else over the socket (STATUS op).
     *
     * @param err where a note goes when the fallback is taken
     * @throws IOException if neither answers
     */
    public static StatusInfo status(Source source, PrintStream err) throws IOException {
        if (source.introspection() != null) {
            try {
                return new IntrospectionClient(source.introspection()).status();
            } catch (IOException e) {
                err.println("ipamd: introspection at " + source.introspection() + " did not answer (" + e.getMessage()
                        + "); asking the socket " + source.socket());
            }
        }
        return socketStatus(source.socket());
    }

    /** STATUS over the Unix socket. */
    public static StatusInfo socketStatus(Path socket) throws IOException {
        Reply reply;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            new FrameWriter(Channels.newOutputStream(ch)).write(Request.status());
            reply = new FrameReader(Channels.newInputStream(ch), FrameReader.MAX_REPLY_FRAME_BYTES).readReply();
        } catch (IOException e) {
            throw new IOException("cannot reach ipamd at " + socket + ": " + e.getMessage(), e);
        }
        if (reply == null || !reply.ok()) {
            throw new IOException(reply == null ? "no reply from " + socket
                    : reply.error().code() + ": " + reply.error().message());
        }
        return reply.status();
    }

    /** {@code ipamd leases}: every lease, who holds it and for how long. */
    @Command(name = "leases", mixinStandardHelpOptions = true,
            description = "List the leases of the running daemon (introspection, else the socket).")
    public static final class Leases implements Callable<Integer> {
        @Option(names = "--introspection", paramLabel = "HOST:PORT",
                description = "introspection address (IPAMD_INTROSPECTION_ADDRESS; default "
                        + OpsConfig.DEFAULT_INTROSPECTION + ")")
        String introspection;
        @Option(names = "--socket", description = "socket to ask when introspection is off or unreachable"
                + " (IPAMD_SOCKET; default " + Layout.DEFAULT_SOCKET + ")")
        Path socket;
        @Option(names = "--json", description = "print the leases as JSON")
        boolean json;

        @Override
        public Integer call() throws IOException {
            Source source;
            try {
                source = Source.resolve(introspection, socket, System.getenv());
            } catch (IllegalArgumentException e) {
                System.err.println("ipamd leases: " + e.getMessage());
                return 2;
            }
            List<Map<String, Object>> leases;
            try {
                leases = fetchLeases(source, System.err);
            } catch (IOException e) {
                System.err.println("ipamd leases: " + e.getMessage());
                return 1;
            }
            if (json) {
                System.out.println(PRETTY.asString(Map.of("leases", leases)));
            } else {
                printLeases(leases, InstantSource.system().instant(), System.out);
            }
            return 0;
        }
    }

    static List<Map<String, Object>> fetchLeases(Source source, PrintStream err) throws IOException {
        if (source.introspection() != null) {
            try {
                Map<String, Object> body = new IntrospectionClient(source.introspection()).get("/v1/leases");
                List<Map<String, Object>> out = new ArrayList<>();
                IntrospectionClient.list(body.get("leases")).forEach(o -> out.add(IntrospectionClient.map(o)));
                return out;
            } catch (IOException e) {
                err.println("ipamd: introspection at " + source.introspection() + " did not answer (" + e.getMessage()
                        + "); asking the socket " + source.socket());
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (StatusInfo.LeaseStatus l : socketStatus(source.socket()).leases()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("network", l.network());
            m.put("containerId", l.containerId());
            m.put("ifName", l.ifName());
            m.put("podNamespace", l.podNamespace());
            m.put("podName", l.podName());
            m.put("address", l.address());
            m.put("interfaceId", l.interfaceId());
            m.put("assignedAt", l.assignedAt());
            out.add(m);
        }
        return out;
    }

    static void printLeases(List<Map<String, Object>> leases, Instant now, PrintStream out) {
        out.printf("%-15s %-24s %-40s %-8s %-14s %s%n", "ADDRESS", "INTERFACE", "POD", "IFNAME", "CONTAINER", "AGE");
        for (Map<String, Object> l : leases) {
            String ns = IntrospectionClient.str(l.get("podNamespace"));
            String name = IntrospectionClient.str(l.get("podName"));
            String cid = IntrospectionClient.str(l.get("containerId"));
            out.printf("%-15s %-24s %-40s %-8s %-14s %s%n", l.get("address"), l.get("interfaceId"),
                    name.isEmpty() ? "-" : ns + "/" + name, l.get("ifName"),
                    cid.length() > 12 ? cid.substring(0, 12) : cid, age(IntrospectionClient.str(l.get("assignedAt")), now));
        }
        out.printf("%d leases%n", leases.size());
    }

    /** {@code ipamd explain}: the pool, a one-line verdict, and the reconciler's latest decisions with reasons. */
    @Command(name = "explain", mixinStandardHelpOptions = true,
            description = {"Explain what the pool engine is doing and why: counts, targets, a verdict, and its latest"
                    + " decisions with their reasons (reads the introspection endpoint)."})
    public static final class Explain implements Callable<Integer> {
        @Option(names = "--introspection", paramLabel = "HOST:PORT",
                description = "introspection address (IPAMD_INTROSPECTION_ADDRESS; default "
                        + OpsConfig.DEFAULT_INTROSPECTION + ")")
        String introspection;
        @Option(names = "--last", paramLabel = "N", description = "how many decisions to show (default 20)")
        int last = 20;
        @Option(names = "--json", description = "print pool, verdict and decisions as JSON")
        boolean json;

        @Override
        public Integer call() throws IOException {
            Source source;
            try {
                source = Source.resolve(introspection, null, System.getenv());
            } catch (IllegalArgumentException e) {
                System.err.println("ipamd explain: " + e.getMessage());
                return 2;
            }
            if (source.introspection() == null) {
                System.err.println("ipamd explain: introspection is off (IPAMD_INTROSPECTION_ADDRESS=off); the"
                        + " decisions are only served there. Try 'ipamd status' for counts.");
                return 1;
            }
            PoolView pool;
            List<Map<String, Object>> decisions = new ArrayList<>();
            try {
                IntrospectionClient client = new IntrospectionClient(source.introspection());
                pool = client.pool();
                IntrospectionClient.list(client.get("/v1/decisions").get("decisions"))
                        .forEach(o -> decisions.add(IntrospectionClient.map(o)));
            } catch (IOException e) {
                System.err.println("ipamd explain: " + e.getMessage());
                return 1;
            }
            List<Map<String, Object>> newestFirst = new ArrayList<>(decisions.reversed());
            if (newestFirst.size() > Math.max(0, last)) {
                newestFirst = newestFirst.subList(0, Math.max(0, last));
            }
            String verdict = verdict(pool, decisions, InstantSource.system().instant());
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("verdict", verdict);
                m.put("pool", pool);
                m.put("decisions", newestFirst);
                System.out.println(PRETTY.asString(m));
            } else {
                printExplain(pool, verdict, newestFirst, System.out);
            }
            return 0;
        }
    }

    /**
     * One sentence for the operator: why pods are (or are not) getting addresses, from counts and the decisions.
     * Checked in order of what blocks pods first.
     */
    static String verdict(PoolView pool, List<Map<String, Object>> decisions, Instant now) {
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
        Instant paused = parse(engine.growthPausedUntil() == null ? "" : engine.growthPausedUntil());
        Map<String, Object> lastAction = null;
        for (Map<String, Object> d : decisions.reversed()) {
            if (result(d) != Reconciler.Result.IDLE) {
                lastAction = d;
                break;
            }
        }
        Reconciler.Result lastResult = lastAction == null ? null : result(lastAction);
        String failed = lastResult == null || lastResult.ok() ? null
                : lastAction.get("plan") + " (" + lastAction.get("reason") + ") -> " + lastAction.get("outcome");
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

    /** A decision's typed result; null when the daemon did not say (an older one). */
    private static Reconciler.Result result(Map<String, Object> decision) {
        String r = IntrospectionClient.str(decision.get("result"));
        try {
            return r.isEmpty() ? null : Reconciler.Result.valueOf(r);
        } catch (IllegalArgumentException e) {
            return null; // a newer daemon's result: not one this command can judge
        }
    }

    static void printExplain(PoolView pool, String verdict, List<Map<String, Object>> newestFirst,
                             PrintStream out) {
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
        for (Map<String, Object> d : newestFirst) {
            out.printf("%-30s %-16s %-16s %s%n", d.get("at"), d.get("plan"), d.get("outcome"), d.get("reason"));
        }
    }

    private static String orNever(Object o) {
        return o == null ? "never" : o.toString();
    }

    private static Instant parse(String text) {
        if (text.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** A short age such as {@code 42s}, {@code 5m3s}, {@code 2h10m} or {@code 3d4h}; {@code -} if unknown. */
    static String age(String since, Instant now) {
        Instant at = parse(since);
        if (at == null) {
            return "-";
        }
        Duration d = Duration.between(at, now);
        if (d.isNegative()) {
            return "0s";
        }
        long s = d.toSeconds();
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + s % 60 + "s";
        }
        if (s < 86_400) {
            return s / 3600 + "h" + s % 3600 / 60 + "m";
        }
        return s / 86_400 + "d" + s % 86_400 / 3600 + "h";
    }
}
