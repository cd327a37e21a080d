package io.vpcipam.ipamd.ops;

import com.fasterxml.jackson.jr.ob.JSON;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.pool.CapacityRefusal;
import io.vpcipam.ipamd.pool.PoolStatus;
import io.vpcipam.ipamd.pool.Reconciler;
import io.vpcipam.ipamd.pool.Snapshot;
import io.vpcipam.ipamd.pool.Targets;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Health and introspection over HTTP (JDK HttpServer), loopback by default: it shows pod names and leases.
 *
 * <p>It starts before the daemon, so a slow start is visible: {@code /healthz} is 200 while starting (failing
 * liveness then would restart ipamd in a loop while the cloud is throttling it, the AWS CNI's "waiting for IPAM-D"
 * trap) and 503 only once the reconciler thread has died; {@code /readyz} is 503 with the reason (and the last
 * failed cloud call) until the daemon serves its socket with an initialised pool, and again from shutdown.
 *
 * <p>Every answer is JSON; an unknown path is 404, a method other than GET or HEAD is 405. Two threads serve it:
 * enough for probes and an operator, and a flood of requests cannot take threads from the pool engine.
 */
public final class IntrospectionServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(IntrospectionServer.class.getName());
    /** Paths served, for the 404 answer. */
    static final List<String> PATHS = List.of("/healthz", "/readyz", "/v1/pool", "/v1/leases", "/v1/decisions",
            "/v1/config", "/v1/logs");

    /** Keys with null values are written (a missing key and "never" read differently). */
    private static final JSON JSON_NULLS = JSON.builder().enable(JSON.Feature.WRITE_NULL_PROPERTIES).build();

    private final HttpServer server;
    private final ExecutorService executor;
    private final OpsConfig ops;
    private final Metrics metrics;
    private volatile Introspected daemon;

    private record Answer(int status, Object body) {
    }

    private IntrospectionServer(HttpServer server, ExecutorService executor, OpsConfig ops, Metrics metrics) {
        this.server = server;
        this.executor = executor;
        this.ops = ops;
        this.metrics = metrics;
    }

    /** Binds {@code endpoint} (port 0 picks a free one) and starts serving; the daemon is attached later. */
    public static IntrospectionServer start(OpsConfig.Endpoint endpoint, OpsConfig ops, Metrics metrics)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(endpoint.host(), endpoint.port()), 32);
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "introspection");
            t.setDaemon(true);
            return t;
        });
        IntrospectionServer s = new IntrospectionServer(server, executor, ops, metrics);
        server.createContext("/", s::handle);
        server.setExecutor(executor);
        server.start();
        return s;
    }

    /** The daemon is up: from now on the pool, leases and decisions are served. */
    public void attach(Introspected d) {
        this.daemon = d;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            Function<Introspected, Answer> route = switch (path) {
                case "/healthz" -> d -> health(d);
                case "/readyz" -> d -> readiness(d);
                case "/v1/pool" -> d -> d == null ? starting() : new Answer(200, pool(d));
                case "/v1/leases" -> d -> d == null ? starting() : new Answer(200, leases(d));
                case "/v1/decisions" -> d -> d == null ? starting() : new Answer(200, decisions(d));
                case "/v1/config" -> d -> d == null ? starting()
                        : new Answer(200, ConfigView.of(d.config(), ops));
                case "/v1/logs" -> d -> new Answer(200, logs()); // while starting too: that is when they matter
                default -> null;
            };
            Answer answer;
            if (route == null) {
                answer = new Answer(404, error("no such path: " + path + " (try " + String.join(", ", PATHS) + ")"));
            } else if (!method.equals("GET") && !method.equals("HEAD")) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                answer = new Answer(405, error("method " + method + " not allowed on " + path + "; use GET"));
            } else {
                answer = route.apply(daemon);
            }
            send(ex, answer, method.equals("HEAD"));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "introspection request failed", e);
        }
    }

    private static void send(HttpExchange ex, Answer a, boolean head) throws IOException {
        byte[] body = (JSON_NULLS.asString(a.body()) + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(a.status(), head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static Map<String, Object> error(String message) {
        return Map.of("error", message);
    }

    private Answer starting() {
        return new Answer(503, error(startingReason()));
    }

    private String startingReason() {
        Metrics.CloudError e = metrics.lastCloudError();
        return "starting: reading the node from the cloud and restoring leases"
                + (e == null ? "" : "; last failed cloud call: " + e.verb() + " " + e.condition() + " at " + e.at());
    }

    private static Answer health(Introspected d) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (d == null) {
            m.put("status", "starting");
            return new Answer(200, m);
        }
        boolean alive = d.reconciler().alive();
        m.put("status", alive ? "ok" : "failing");
        m.put("reconciler", alive ? "running" : "stopped");
        return new Answer(alive ? 200 : 503, m);
    }

    private Answer readiness(Introspected d) {
        Map<String, Object> m = new LinkedHashMap<>();
        String reason = null;
        if (d == null) {
            reason = startingReason();
        } else if (!d.serving()) {
            reason = "not serving " + d.config().socket() + " (shutting down)";
        } else if (d.pool().node() == null) {
            reason = "the pool has not read the node yet";
        } else if (d.hostProblem() != null) {
            reason = d.hostProblem();
        }
        m.put("ready", reason == null);
        if (reason != null) {
            m.put("reason", reason);
        }
        return new Answer(reason == null ? 200 : 503, m);
    }

    static Map<String, Object> pool(Introspected d) {
        PoolStatus s = d.pool().status();
        Snapshot snap = d.pool().snapshot();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("provider", d.provider().name());
        m.put("instanceId", s.instanceId());
        m.put("instanceType", s.instanceType());
        m.put("zone", s.zone());
        m.put("prefixMode", d.prefixMode());
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("total", s.total());
        counts.put("free", s.free());
        counts.put("assigned", s.assigned());
        counts.put("cooling", s.cooling());
        counts.put("unproven", s.unproven());
        counts.put("pending", s.pending());
        counts.put("releasing", s.releasing());
        counts.put("waiting", s.waiting());
        m.put("pool", counts);
        m.put("maxAddresses", s.capacity());
        Targets t = d.config().targets();
        Map<String, Object> targets = new LinkedHashMap<>();
        targets.put("warmIpTarget", t.warmIp());
        targets.put("minimumIpTarget", t.minimumIp());
        targets.put("warmEniTarget", t.warmEni());
        targets.put("warmPrefixTarget", t.warmPrefix());
        targets.put("maxEni", t.maxInterfaces() == 0 ? -1 : t.maxInterfaces());
        m.put("targets", targets);
        Map<String, Object> engine = new LinkedHashMap<>();
        engine.put("lastGrow", instant(snap.lastGrow()));
        engine.put("lastShrink", instant(snap.lastShrink()));
        engine.put("growthPausedUntil", instant(snap.growPausedUntil()));
        engine.put("reconcilerRunning", d.reconciler().alive());
        Reconciler.CloudHealth cloud = d.reconciler().cloudHealth();
        engine.put("cloudFailing", cloud.failing());
        engine.put("cloudFailures", cloud.failures());
        engine.put("cloudNextTry", cloud.failing() ? cloud.nextTry().toString() : null);
        engine.put("cloudError", cloud.failing() ? cloud.lastError() : null);
        engine.put("takeover", d.adoption() == null ? "nothing to prove" : d.adoption().reason());
        CapacityRefusal refusal = d.reconciler().lastCapacityRefusal();
        if (refusal != null) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("at", refusal.at().toString());
            r.put("reason", refusal.reason());
            r.put("code", refusal.code());
            r.put("message", refusal.message());
            r.put("interfaceId", refusal.interfaceId());
            r.put("inARow", refusal.inARow());
            r.put("growthPausedUntil", refusal.growthPausedUntil().toString());
            engine.put("lastCapacityRefusal", r);
        } else {
            engine.put("lastCapacityRefusal", null);
        }
        m.put("engine", engine);
        List<Object> ifaces = new ArrayList<>();
        for (PoolStatus.InterfaceStatus i : s.interfaces()) {
            Map<String, Object> im = new LinkedHashMap<>();
            im.put("id", i.id());
            im.put("deviceIndex", i.deviceIndex());
            im.put("subnetId", i.subnetId());
            im.put("primaryAddress", i.primaryAddress() == null ? null : i.primaryAddress().toString());
            im.put("addresses", i.addresses().stream().map(Ipv4Address::toString).toList());
            im.put("prefixes", i.prefixes().stream().map(Cidr::toString).toList());
            im.put("free", i.free());
            im.put("assigned", i.assigned());
            if (i.unmanaged() != null) {
                im.put("unmanaged", i.unmanaged());
            }
            im.put("mac", i.mac());
            im.put("linkName", i.linkName());
            im.put("routeTable", i.routeTable());
            im.put("hostReady", i.hostReady());
            ifaces.add(im);
        }
        m.put("interfaces", ifaces);
        return m;
    }

    static Map<String, Object> leases(Introspected d) {
        List<Object> out = new ArrayList<>();
        for (Lease l : d.pool().status().leases()) {
            Map<String, Object> lm = new LinkedHashMap<>();
            lm.put("network", l.key().network());
            lm.put("containerId", l.key().containerId());
            lm.put("ifName", l.key().ifName());
            lm.put("podNamespace", l.podNamespace());
            lm.put("podName", l.podName());
            lm.put("address", l.address().toString());
            lm.put("interfaceId", l.interfaceId());
            lm.put("netns", l.netns());
            lm.put("assignedAt", l.assignedAt().toString());
            out.add(lm);
        }
        return Map.of("leases", out);
    }

    static Map<String, Object> decisions(Introspected d) {
        List<Object> out = new ArrayList<>();
        for (Reconciler.Decision dec : d.reconciler().decisions()) {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("at", dec.at().toString());
            dm.put("plan", dec.plan());
            dm.put("reason", dec.reason());
            dm.put("outcome", dec.outcome());
            dm.put("result", dec.result().name());
            out.add(dm);
        }
        return Map.of("decisions", out);
    }

    /** The recent log lines as printed (redacted), oldest first, and how many older ones were dropped. */
    static Map<String, Object> logs() {
        RecentLogs.Contents c = RecentLogs.shared().contents();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lines", c.lines());
        m.put("dropped", c.dropped());
        m.put("maxLines", RecentLogs.MAX_LINES);
        return m;
    }

    private static String instant(Instant i) {
        return i == null || i.equals(Instant.MIN) ? null : i.toString();
    }

    /** Stops serving at once (probes fail from now on, which is right: the daemon is stopping). */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
