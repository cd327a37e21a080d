package io.vpcipam.ipamd.ops;

import com.fasterxml.jackson.jr.ob.JSON;
import com.sun.net.httpserver.HttpServer;
import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.ipamd.pool.DecisionView;
import io.vpcipam.ipamd.pool.LeaseView;
import io.vpcipam.ipamd.pool.PoolView;
import io.vpcipam.ipamd.pool.Reconciler;
import io.vpcipam.protocol.StatusInfo;
import io.vpcipam.provider.Ipv4Address;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /v1/leases} and {@code /v1/decisions} both ways: what the daemon's records write (the wire keys operators and
 * scripts read), and what the CLI reads back from them, also from an ipamd older (a key missing) or newer (a key
 * added) than itself, served over HTTP as a real daemon would.
 */
class IntrospectionViewsTest {

    private static final Instant AT = Instant.parse("2025-01-31T11:58:00Z");
    private static final Instant NOW = Instant.parse("2025-01-31T12:00:00Z");

    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static Lease lease() {
        return new Lease(new LeaseKey("aws-cni", "c0ffee0123456789", "eth0"), Ipv4Address.parse("10.0.1.7"), "eni-1",
                "default", "web-0", "/var/run/netns/cni-1", AT, AT);
    }

    private static Map<String, Object> written(Object body) throws IOException {
        return JSON.std.mapFrom(JSON.std.asString(body));
    }

    @Test
    void leases_written_keepTheWireKeys_andReadBackEqual() throws IOException {
        LeaseView.All served = new LeaseView.All(List.of(LeaseView.of(lease())));

        Map<?, ?> lease = (Map<?, ?>) ((List<?>) written(served).get("leases")).getFirst();
        assertEquals(Set.of("network", "containerId", "ifName", "podNamespace", "podName", "address", "interfaceId",
                "netns", "assignedAt"), lease.keySet());
        assertEquals("10.0.1.7", lease.get("address"));
        assertEquals("/var/run/netns/cni-1", lease.get("netns"));
        assertEquals(AT.toString(), lease.get("assignedAt"));

        assertEquals(served, IntrospectionClient.parse(JSON.std.asString(served), LeaseView.All.class));
    }

    @Test
    void leases_theSocketsStatusAndIntrospection_listTheSameLease() {
        StatusInfo.LeaseStatus viaSocket = PoolView.leases(List.of(lease())).getFirst();
        assertEquals(viaSocket, LeaseView.of(lease()).status());
        assertEquals(new LeaseView("aws-cni", "c0ffee0123456789", "eth0", "default", "web-0", "10.0.1.7", "eni-1",
                null, AT.toString()), LeaseView.of(viaSocket));
    }

    @Test
    void decisions_written_keepTheWireKeys_andReadBackEqual() throws IOException {
        DecisionView.All served = new DecisionView.All(List.of(DecisionView.of(new Reconciler.Decision(AT, "Allocate",
                "warm target 2", "done", Reconciler.Result.DONE))));

        Map<?, ?> decision = (Map<?, ?>) ((List<?>) written(served).get("decisions")).getFirst();
        assertEquals(Map.of("at", AT.toString(), "plan", "Allocate", "reason", "warm target 2", "outcome", "done",
                "result", "DONE"), decision);

        DecisionView read = IntrospectionClient.parse(JSON.std.asString(served), DecisionView.All.class)
                .decisions().getFirst();
        assertEquals(served.decisions().getFirst(), read);
        assertEquals(Reconciler.Result.DONE, read.judged());
    }

    @Test
    void anOlderIpamd_aKeyMissing_readsAsNull_andTheCommandsStillWork() throws IOException {
        serve(Map.of(
                "/v1/leases", """
                        {"leases":[{"network":"aws-cni","containerId":"c0ffee0123456789abcdef","ifName":"eth0",
                          "podNamespace":"default","podName":"web-0","address":"10.0.1.7","interfaceId":"eni-1",
                          "assignedAt":"2025-01-31T11:58:00Z"}]}""",
                "/v1/decisions", """
                        {"decisions":[{"at":"2025-01-31T11:59:00Z","plan":"Allocate","reason":"warm target 2",
                          "outcome":"failed: InternalError"}]}"""));
        IntrospectionClient client = client();

        LeaseView lease = client.leases().getFirst();
        assertNull(lease.netns(), "an older ipamd did not send it");
        assertEquals("10.0.1.7", lease.status().address());
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        OpsCommands.printLeases(client.leases(), NOW, new PrintStream(printed, true, StandardCharsets.UTF_8));
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains(
                "10.0.1.7        eni-1                    default/web-0                            eth0     "
                        + "c0ffee012345   2m0s"), printed.toString(StandardCharsets.UTF_8));

        DecisionView decision = client.decisions().getFirst();
        assertEquals("failed: InternalError", decision.outcome());
        assertNull(decision.judged(), "no result key: nothing to judge by");
        assertTrue(Explain.verdict(pool(4), client.decisions(), NOW).startsWith("OK: 4 free"));
    }

    @Test
    void aNewerIpamd_anExtraKeyAndAResultUnknownHere_areSkipped() throws IOException {
        serve(Map.of(
                "/v1/leases", """
                        {"leases":[{"network":"aws-cni","containerId":"c1","ifName":"eth0","podNamespace":"default",
                          "podName":"web-1","address":"10.0.1.8","interfaceId":"eni-1","netns":"/var/run/netns/x",
                          "assignedAt":"2025-01-31T11:59:00Z","qosClass":"Burstable","labels":{"app":"web"}}],
                         "generation":7}""",
                "/v1/decisions", """
                        {"decisions":[
                          {"at":"2025-01-31T11:58:00Z","plan":"Allocate","reason":"warm target 2",
                           "outcome":"capacity: InsufficientFreeAddressesInSubnet","result":"CAPACITY","pass":41},
                          {"at":"2025-01-31T11:59:00Z","plan":"Migrate","reason":"rebalance","outcome":"deferred",
                           "result":"DEFERRED","pass":42}]}"""));
        IntrospectionClient client = client();

        assertEquals(new LeaseView("aws-cni", "c1", "eth0", "default", "web-1", "10.0.1.8", "eni-1",
                "/var/run/netns/x", "2025-01-31T11:59:00Z"), client.leases().getFirst());

        List<DecisionView> decisions = client.decisions();
        assertEquals(Reconciler.Result.CAPACITY, decisions.getFirst().judged());
        assertNull(decisions.getLast().judged(), "a result this build does not know");
        assertEquals("DEFERRED", decisions.getLast().result());
        // the newest action's result is unknown here: it is not called a failure (nor is the older one behind it)
        String verdict = Explain.verdict(pool(0), decisions, NOW);
        assertEquals("TIGHT: no free address right now; the reconciler is asking the cloud for more.", verdict);
    }

    private static PoolView pool(int free) {
        return new PoolView("sim", "i-0sim", "m5.large", "us-east-1a", false,
                new PoolView.Counts(10, free, 10 - free, 0, 0, 0, 0, 0), 27, null,
                new PoolView.Engine(null, null, null, true, false, 0, null, null, null, null, true), List.of());
    }

    private void serve(Map<String, String> bodies) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        server.createContext("/", ex -> {
            try (ex) {
                String body = bodies.get(ex.getRequestURI().getPath());
                byte[] bytes = (body == null ? "{\"error\":\"no such path\"}" : body)
                        .getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(bytes);
                }
            }
        });
        server.start();
    }

    private IntrospectionClient client() {
        return new IntrospectionClient(new OpsConfig.Endpoint("127.0.0.1", server.getAddress().getPort()));
    }
}
