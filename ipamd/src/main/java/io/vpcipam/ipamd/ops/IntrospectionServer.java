package io.vpcipam.ipamd.ops;

import com.fasterxml.jackson.jr.ob.JSON;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vpcipam.ipamd.pool.DecisionView;
import io.vpcipam.ipamd.pool.LeaseView;
import io.vpcipam.ipamd.pool.PoolView;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
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

    static PoolView pool(Introspected d) {
        return PoolView.of(d.provider().name(), d.prefixMode(), d.pool().status(),
                PoolView.targets(d.config().targets()), PoolView.engine(d.pool().snapshot(), d.reconciler().alive(),
                        d.reconciler().cloudHealth(), d.adoption() == null ? "nothing to prove" : d.adoption().reason(),
                        d.reconciler().lastCapacityRefusal(), d.config().provisioning()));
    }

    static LeaseView.All leases(Introspected d) {
        return new LeaseView.All(d.pool().status().leases().stream().map(LeaseView::of).toList());
    }

    static DecisionView.All decisions(Introspected d) {
        return new DecisionView.All(d.reconciler().decisions().stream().map(DecisionView::of).toList());
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

    /** Stops serving at once (probes fail from now on, which is right: the daemon is stopping). */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
