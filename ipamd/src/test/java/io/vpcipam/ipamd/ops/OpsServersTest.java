package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.pool.DecisionView;
import io.vpcipam.ipamd.pool.LeaseView;
import io.vpcipam.ipamd.pool.PoolView;
import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.Daemon;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.sim.SimulatedCloud;
import io.vpcipam.provider.sim.Verb;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One daemon on the simulated cloud, with its metrics and introspection servers on loopback ports. */
class OpsServersTest extends OnOpsServers {

    final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(int port, String path, String method) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private Map<String, Object> json(String path, int expectStatus) throws Exception {
        HttpResponse<String> r = get(ops.introspectionPort(), path, "GET");
        assertEquals(expectStatus, r.statusCode(), path + ": " + r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        return JSON.std.mapFrom(r.body());
    }

    private Map<String, PromText.Family> scrape() throws Exception {
        HttpResponse<String> r = get(ops.metricsPort(), "/metrics", "GET");
        assertEquals(200, r.statusCode());
        return PromText.parse(r.body());
    }

    private void startOps() throws Exception {
        ops = OpsServers.start(OpsConfig.fromEnv(Map.of("IPAMD_METRICS_ADDRESS", "127.0.0.1:0",
                "IPAMD_INTROSPECTION_ADDRESS", "127.0.0.1:0")), InstantSource.system());
    }

    private void startDaemon(SimulatedCloud cloud) throws Exception {
        Config config = Config.fromEnv(Map.of("IPAMD_SOCKET", dir.resolve("ipamd.sock").toString(),
                "IPAMD_STATE_DIR", dir.toString(), "WARM_IP_TARGET", "2", "MAX_ENI", "1", "IP_COOLDOWN_PERIOD", "0",
                "IPAMD_ADD_TIMEOUT", "3s", "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        daemon = Daemon.start(config, cloud, InstantSource.system(), ops.metrics());
        ops.attach(daemon);
    }

    private static Request add(int i) {
        return Request.add("vpc-ipam", "container-" + i, "eth0", "/proc/1/ns/net", "default", "pod-" + i);
    }

    @Test
    void beforeTheDaemonStarts_liveButNotReady_withTheReason() throws Exception {
        startOps();
        Map<String, Object> health = json("/healthz", 200);
        assertEquals("starting", health.get("status"));
        Map<String, Object> ready = json("/readyz", 503);
        assertEquals(false, ready.get("ready"));
        assertTrue(ready.get("reason").toString().startsWith("starting"), ready.toString());
        assertTrue(json("/v1/pool", 503).get("error").toString().startsWith("starting"));
        assertEquals(0.0, PromText.value(scrape(), "vpc_ipam_ready", Map.of()));
    }

    @Test
    void cloudFailing_metricAndPoolSaySo_untilItAnswersAgain() throws Exception {
        startOps();
        SimulatedCloud cloud = SimulatedCloud.builder().instanceType("m5.large").listener(ops.metrics()).build();
        startDaemon(cloud);
        assertEquals(0.0, PromText.value(scrape(), "vpc_ipam_cloud_failing", Map.of()));
        cloud.failNext(Verb.DESCRIBE_NODE, 1000,
                () -> new CloudException.Fatal("InternalError", "injected", null, true));
        daemon.reconciler().requestResync();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!daemon.reconciler().cloudHealth().failing() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }

        assertEquals(1.0, PromText.value(scrape(), "vpc_ipam_cloud_failing", Map.of()));
        @SuppressWarnings("unchecked")
        Map<String, Object> engine = (Map<String, Object>) json("/v1/pool", 200).get("engine");
        assertEquals(true, engine.get("cloudFailing"), engine.toString());
        assertTrue(engine.get("cloudError").toString().contains("InternalError"), engine.toString());

        cloud.clearFaults();
        deadline = System.nanoTime() + 15_000_000_000L;
        while (daemon.reconciler().cloudHealth().failing() && System.nanoTime() < deadline) {
            daemon.reconciler().wake();
            Thread.sleep(50);
        }
        assertEquals(0.0, PromText.value(scrape(), "vpc_ipam_cloud_failing", Map.of()));
    }

    @Test
    void metrics_afterAddsAnErrorAndADel_countEverythingInAStrictlyValidExposition() throws Exception {
        List<String> failedAdds = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger serviceLog = java.util.logging.Logger.getLogger(
                io.vpcipam.ipamd.server.IpamService.class.getName());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                failedAdds.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        serviceLog.addHandler(capture);
        try {
            metricsAfterAddsAnErrorAndADel(failedAdds);
        } finally {
            serviceLog.removeHandler(capture);
        }
    }

    private void metricsAfterAddsAnErrorAndADel(List<String> failedAdds) throws Exception {
        startOps();
        SimulatedCloud cloud = SimulatedCloud.builder().instanceType("m5.large").listener(ops.metrics()).build();
        cloud.failNext(Verb.ASSIGN, new CloudException.Throttled("RequestLimitExceeded", "slow down", Duration.ZERO));
        startDaemon(cloud);
        for (int i = 0; i < 9; i++) { // m5.large holds 9 secondary addresses per ENI; MAX_ENI=1
            Reply r = daemon.service().handle(add(i));
            assertTrue(r.ok(), String.valueOf(r.error()));
        }
        Reply full = daemon.service().handle(add(9));
        assertFalse(full.ok());
        assertTrue(daemon.service().handle(Request.del("vpc-ipam", "container-0", "eth0")).ok());
        ops.metrics().onLimiterWait("AssignPrivateIpAddresses", Duration.ofMillis(250));

        Map<String, PromText.Family> m = scrape();
        assertEquals("gauge", m.get("vpc_ipam_addresses").type());
        assertEquals(8.0, PromText.value(m, "vpc_ipam_addresses", Map.of("state", "assigned")));
        double held = 0;
        for (String state : List.of("free", "assigned", "cooling", "pending", "releasing")) {
            held += PromText.value(m, "vpc_ipam_addresses", Map.of("state", state));
        }
        assertEquals(9.0, held, "MAX_ENI=1 on m5.large: nine addresses");
        assertEquals(1.0, PromText.value(m, "vpc_ipam_interfaces", Map.of()));
        assertEquals(9.0, PromText.value(m, "vpc_ipam_max_addresses", Map.of()));
        assertEquals(1.0, PromText.value(m, "vpc_ipam_ready", Map.of()));
        assertEquals("histogram", m.get("vpc_ipam_add_duration_seconds").type());
        assertEquals(10.0, PromText.value(m, "vpc_ipam_add_duration_seconds_count", Map.of()));
        assertTrue(PromText.value(m, "vpc_ipam_add_waits_total", Map.of()) >= 1, "ADDs outran the warm target");
        assertEquals(1.0, PromText.value(m, "vpc_ipam_add_errors_total", Map.of("code", full.error().code())));
        assertEquals(1.0, PromText.value(m, "vpc_ipam_requests_total", Map.of("op", "del", "code", "ok")));
        assertTrue(PromText.value(m, "vpc_ipam_cloud_calls_total",
                Map.of("verb", "AssignPrivateIpAddresses", "condition", "ok")) >= 1);
        assertEquals(1.0, PromText.value(m, "vpc_ipam_cloud_calls_total",
                Map.of("verb", "AssignPrivateIpAddresses", "condition", "throttled")));
        assertEquals(1.0, PromText.value(m, "vpc_ipam_cloud_throttles_total", Map.of("verb", "AssignPrivateIpAddresses")));
        assertEquals(0.25, PromText.value(m, "vpc_ipam_rate_limiter_wait_seconds_total",
                Map.of("verb", "AssignPrivateIpAddresses")), 1e-9);
        assertTrue(PromText.value(m, "vpc_ipam_cloud_call_duration_seconds_count",
                Map.of("verb", "DescribeNetworkInterfaces")) >= 1);
        assertTrue(PromText.value(m, "vpc_ipam_checkpoint_write_duration_seconds_count", Map.of()) >= 1);
        assertEquals(0.0, PromText.value(m, "vpc_ipam_leases_dropped_total", Map.of("reason", "gc")));
        assertEquals(0.0, PromText.value(m, "vpc_ipam_capacity_refusals_total", Map.of("reason", "InstanceAddressLimit")),
                "present at 0 so an alert on its rate works from the first scrape");
        assertNotNull(m.get("jvm_memory_used_bytes"), "JVM metrics ride along");
        assertEquals(1.0, PromText.value(m, "vpc_ipam_build_info", Map.of("version",
                System.getProperty("vpcipam.project.version"), "commit", io.vpcipam.ipamd.config.BuildInfo.current().commit(),
                "java", Runtime.version().toString())), "the build's own version, not \"dev\"");
        assertEquals(1.0, PromText.value(m, "vpc_ipam_max_interfaces", Map.of()), "MAX_ENI=1");
        assertEquals(9.0, PromText.value(m, "vpc_ipam_addresses_per_interface", Map.of()), "m5.large: 10 less the primary");
        double startup = PromText.value(m, "vpc_ipam_startup_duration_seconds", Map.of());
        assertTrue(startup > 0 && startup < 60, "start-up took " + startup + "s");
        assertTrue(failedAdds.stream().anyMatch(l -> l.contains("ADD failed for pod") && l.contains("container-9")
                && l.contains(full.error().code()) && l.contains(full.error().message())), failedAdds.toString());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (PromText.value(scrape(), "vpc_ipam_reconcile_duration_seconds_count", Map.of()) < 1) {
            assertTrue(System.nanoTime() < deadline, "no reconcile pass was timed");
            Thread.sleep(20);
        }
    }

    @Test
    void introspection_servesPoolLeasesDecisionsAndConfigAsJson() throws Exception {
        startOps();
        startDaemon(SimulatedCloud.builder().instanceType("m5.large").listener(ops.metrics()).build());
        for (int i = 0; i < 3; i++) {
            assertTrue(daemon.service().handle(add(i)).ok());
        }
        assertEquals(Map.of("status", "ok", "reconciler", "running"), json("/healthz", 200));
        assertEquals(Map.of("ready", true), json("/readyz", 200));

        Map<String, Object> pool = json("/v1/pool", 200);
        assertEquals(Set.of("provider", "instanceId", "instanceType", "zone", "prefixMode", "pool", "maxAddresses",
                "targets", "engine", "interfaces"), pool.keySet());
        assertEquals("m5.large", pool.get("instanceType"));
        Map<?, ?> counts = (Map<?, ?>) pool.get("pool");
        assertEquals(Set.of("total", "free", "assigned", "cooling", "unproven", "pending", "releasing", "waiting"),
                counts.keySet());
        assertEquals(3, counts.get("assigned"));
        Map<?, ?> iface = (Map<?, ?>) ((List<?>) pool.get("interfaces")).getFirst();
        assertEquals(Set.of("id", "deviceIndex", "subnetId", "primaryAddress", "addresses", "prefixes", "free",
                "assigned", "unmanaged", "mac", "linkName", "routeTable", "hostReady"), iface.keySet());
        assertEquals(0, iface.get("routeTable"));
        assertTrue(String.valueOf(iface.get("mac")).matches("02:51:4d:[0-9a-f:]{8}"), iface.toString());
        assertEquals(Set.of("lastGrow", "lastShrink", "growthPausedUntil", "reconcilerRunning", "provisioning",
                "cloudFailing", "cloudFailures", "cloudNextTry", "cloudError", "takeover", "lastCapacityRefusal"),
                ((Map<?, ?>) pool.get("engine")).keySet());
        assertNull(((Map<?, ?>) pool.get("engine")).get("lastCapacityRefusal"), "nothing was refused");
        assertEquals(2, ((Map<?, ?>) pool.get("targets")).get("warmIpTarget"));

        // the CLI reads the record the daemon served, and builds the same STATUS the socket answers with
        IntrospectionClient client = new IntrospectionClient(new OpsConfig.Endpoint("127.0.0.1",
                ops.introspectionPort()));
        PoolView view = client.pool();
        assertEquals(3, view.pool().assigned());
        assertEquals(2, view.targets().warmIpTarget());
        assertTrue(view.engine().reconcilerRunning());
        assertEquals(daemon.service().status().interfaces().stream().map(i -> i.id() + "/" + i.mac()).toList(),
                client.status().interfaces().stream().map(i -> i.id() + "/" + i.mac()).toList());
        assertEquals(daemon.service().status().leases(), client.status().leases());

        List<?> leases = (List<?>) json("/v1/leases", 200).get("leases");
        assertEquals(3, leases.size());
        Map<?, ?> lease = (Map<?, ?>) leases.getFirst();
        assertEquals(Set.of("network", "containerId", "ifName", "podNamespace", "podName", "address", "interfaceId",
                "netns", "assignedAt"), lease.keySet());
        assertEquals("default", lease.get("podNamespace"));

        List<?> decisions = (List<?>) json("/v1/decisions", 200).get("decisions");
        assertFalse(decisions.isEmpty());
        for (Object o : decisions) {
            assertEquals(Set.of("at", "plan", "reason", "outcome", "result"), ((Map<?, ?>) o).keySet());
        }
        assertTrue(decisions.stream().anyMatch(o -> ((Map<?, ?>) o).get("reason").toString().contains("warm target")),
                decisions.toString());
        // and the CLI reads both back into the records the daemon wrote
        assertEquals(daemon.pool().status().leases().stream().map(LeaseView::of).toList(), client.leases());
        List<DecisionView> typed = client.decisions();
        assertTrue(typed.size() >= decisions.size() && typed.stream().allMatch(d -> d.judged() != null),
                typed.toString());
        assertTrue(typed.stream().anyMatch(d -> d.reason().contains("warm target")), typed.toString());

        Map<String, Object> config = json("/v1/config", 200);
        assertEquals(2, config.get("WARM_IP_TARGET"));
        assertEquals("0s", config.get("IP_COOLDOWN_PERIOD"));
        assertTrue(config.get("IPAMD_INTROSPECTION_ADDRESS").toString().startsWith("127.0.0.1:"));
        assertFalse(config.containsKey("AWS_SECRET_ACCESS_KEY"));
        assertFalse(config.toString().contains("wJalrXUtnFEMI"));
    }

    @Test
    void introspection_unknownPathIs404_otherMethodsAre405() throws Exception {
        startOps();
        HttpResponse<String> missing = get(ops.introspectionPort(), "/v1/pool/extra", "GET");
        assertEquals(404, missing.statusCode());
        assertTrue(JSON.std.mapFrom(missing.body()).get("error").toString().contains("/v1/pool/extra"));
        HttpResponse<String> post = get(ops.introspectionPort(), "/v1/leases", "POST");
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
        assertTrue(JSON.std.mapFrom(post.body()).containsKey("error"));
    }

    @Test
    void afterShutdown_notReadyAndNotLive() throws Exception {
        startOps();
        startDaemon(SimulatedCloud.builder().instanceType("m5.large").build());
        daemon.close();
        Map<String, Object> ready = json("/readyz", 503);
        assertTrue(ready.get("reason").toString().contains("shutting down"), ready.toString());
        assertEquals("failing", json("/healthz", 503).get("status"));
        assertEquals(0.0, PromText.value(scrape(), "vpc_ipam_ready", Map.of()));
        daemon = null;
    }
}
