package io.vpcipam.it.ops;

import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.it.IpamdProcess;
import io.vpcipam.it.IpamdProcess.Cli;
import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.vpcipam.it.IpamdProcess.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operator's view of a real ipamd on the simulated cloud: the CLI, health, metrics and its logs. */
class OpsIT {

    private static final String AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final String AZURE_SECRET = "Zx8Q~abcDEFghiJKLmnoPQRstuVWXyz0123456789";

    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Request add(int i) {
        return IpamdProcess.podAdd(i);
    }

    @Test
    void cli_healthMetricsAndLogs_againstARunningDaemon() throws Exception {
        int metricsPort = freePort();
        int introPort = freePort();
        String intro = "127.0.0.1:" + introPort;
        Map<String, String> env = Map.of("IPAMD_SIM_INSTANCE_TYPE", "m5.large", "WARM_IP_TARGET", "3",
                "IPAMD_METRICS_ADDRESS", "127.0.0.1:" + metricsPort, "IPAMD_INTROSPECTION_ADDRESS", intro,
                "IPAMD_LOG_FORMAT", "json", "IPAMD_LOG_LEVEL", "debug",
                "AWS_SECRET_ACCESS_KEY", AWS_SECRET, "AZURE_CLIENT_SECRET", AZURE_SECRET);
        try (IpamdProcess ipamd = IpamdProcess.start("sim", dir, env, Duration.ofSeconds(30))) {
            assertTrue(ipamd.call(add(1)).ok());
            assertTrue(ipamd.call(add(2)).ok());
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create("http://" + intro + "/readyz"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), ready.body());
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("vpc_ipam_addresses{state=\"assigned\"} 2.0"), metrics.body());
            assertTrue(metrics.body().contains("vpc_ipam_add_duration_seconds_count 2"), metrics.body());

            Cli status = cli("status", "--introspection", intro);
            assertEquals(0, status.exit(), status.err());
            assertTrue(status.out().contains("INTERFACE") && status.out().contains("default/pod-2"), status.out());
            Cli statusJson = cli("status", "--json", "--introspection", intro);
            assertEquals(2, Codec.decodeReply(statusJson.out().strip()).status().pool().assigned());

            Cli leases = cli("leases", "--introspection", intro);
            assertEquals(0, leases.exit(), leases.err());
            assertTrue(leases.out().contains("default/pod-1") && leases.out().contains("2 leases"), leases.out());
            List<?> leaseList = (List<?>) JSON.std.mapFrom(cli("leases", "--json", "--introspection", intro).out())
                    .get("leases");
            assertEquals(2, leaseList.size());

            Cli explain = cli("explain", "--introspection", intro);
            assertEquals(0, explain.exit(), explain.err());
            assertTrue(explain.out().contains("verdict   OK") && explain.out().contains("warm target"), explain.out());
            Map<String, Object> explainJson = JSON.std.mapFrom(cli("explain", "--json", "--introspection", intro).out());
            assertTrue(explainJson.get("verdict").toString().startsWith("OK"), explainJson.toString());
            assertFalse(((List<?>) explainJson.get("decisions")).isEmpty());

            // introspection unreachable: status and leases fall back to the socket, with a note on stderr
            String closed = "127.0.0.1:" + freePort();
            Cli fallback = cli("status", "--introspection", closed, "--socket", ipamd.socket().toString());
            assertEquals(0, fallback.exit(), fallback.err());
            assertTrue(fallback.out().contains("default/pod-1"), fallback.out());
            assertTrue(fallback.err().contains("asking the socket"), fallback.err());
            Cli leasesOff = cli("leases", "--introspection", "off", "--socket", ipamd.socket().toString());
            assertEquals(0, leasesOff.exit(), leasesOff.err());
            assertTrue(leasesOff.out().contains("2 leases"), leasesOff.out());
            Cli explainDown = cli("explain", "--introspection", closed);
            assertEquals(1, explainDown.exit());
            assertTrue(explainDown.err().contains("cannot reach"), explainDown.err());

            Cli completion = cli("generate-completion");
            assertEquals(0, completion.exit(), completion.err());
            assertTrue(completion.out().contains("explain") && completion.out().contains("leases"));

            ipamd.close();
            String log = ipamd.log();
            assertFalse(log.contains(AWS_SECRET) || log.contains("wJalrXUtnFEMI") || log.contains(AZURE_SECRET), log);
            int lines = 0;
            for (String line : log.split("\n")) {
                if (line.startsWith("WARNING: ") || line.startsWith("SLF4J(")) {
                    continue; // the JVM's start-up warnings and SLF4J's own bootstrap notice bypass logging
                }
                Map<String, Object> record = JSON.std.mapFrom(line); // every line of ours is one JSON object
                assertTrue(record.containsKey("level") && record.containsKey("msg"), line);
                lines++;
            }
            assertTrue(lines > 3, log);
            assertTrue(log.contains("effective configuration"), log);
        }
    }

    @Test
    void run_metricsPortTaken_exitsNamingTheVariable() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            ProcessBuilder pb = new ProcessBuilder(IpamdProcess.java(), "-jar", IpamdProcess.jar().toString(), "run",
                    "--provider", "sim", "--state-dir", dir.toString(), "--socket", dir.resolve("s").toString())
                    .redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("IPAMD_"));
            pb.environment().put("IPAMD_METRICS_ADDRESS", "127.0.0.1:" + taken.getLocalPort());
            pb.environment().put("IPAMD_INTROSPECTION_ADDRESS", "off");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), out);
            assertTrue(out.contains("IPAMD_METRICS_ADDRESS='127.0.0.1:" + taken.getLocalPort() + "'"), out);
        }
    }
}
