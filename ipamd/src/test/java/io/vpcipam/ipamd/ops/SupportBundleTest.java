package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.Daemon;
import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.provider.sim.SimulatedCloud;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bundle from a running daemon on the simulated cloud, and with ipamd down; read back with the real tar. */
class SupportBundleTest extends OnOpsServers {

    // planted secrets: none of them may appear anywhere in the archive
    static final String AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzPLANTED1";
    static final String AWS_KEY_ID = "AKIAPLANTEDKEY123456";
    static final String SESSION = "FwoGZXIvYXdzEPLANTEDsessionTOKEN";
    static final String AZURE_SECRET = "azure~client.secret-PLANTED";
    static final String PLUGIN_BEARER = "opaque-plugin-token-PLANTED";
    static final String CONFLIST_TOKEN = "conflist-kube-token-PLANTED";
    static final String LOGGED_PASSWORD = "logged-password-PLANTED";
    static final List<String> SECRETS = List.of(AWS_SECRET, AWS_KEY_ID, SESSION, AZURE_SECRET, PLUGIN_BEARER,
            CONFLIST_TOKEN, LOGGED_PASSWORD);

    private Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("IPAMD_STATE_DIR", dir.resolve("state").toString());
        env.put("IPAMD_SOCKET", dir.resolve("ipamd.sock").toString());
        env.put("WARM_IP_TARGET", "2");
        env.put("MAX_ENI", "1");
        env.put("AWS_SECRET_ACCESS_KEY", AWS_SECRET);
        env.put("AWS_ACCESS_KEY_ID", AWS_KEY_ID);
        env.put("AWS_SESSION_TOKEN", SESSION);
        env.put("AZURE_CLIENT_SECRET", AZURE_SECRET);
        env.put("IPAMD_AWS_NODE_CHECKPOINT", "off");
        return env;
    }

    private void plantPluginFiles() throws Exception {
        Files.writeString(dir.resolve("05-vpc-ipam.conflist"), "{\"cniVersion\":\"1.0.0\",\"name\":\"vpc-ipam\","
                + "\"plugins\":[{\"type\":\"vpc-ipam\",\"token\":\"" + CONFLIST_TOKEN + "\"}]}\n");
        Files.writeString(dir.resolve("cni.log"), "2026-01-01T00:00:00Z ADD ok\n"
                + "2026-01-01T00:00:01Z debug request header Authorization: Bearer " + PLUGIN_BEARER + "\n");
    }

    private SupportBundleCommand command(String introspection, String metrics) {
        SupportBundleCommand c = new SupportBundleCommand();
        c.output = dir.resolve("bundle.tar.gz").toString();
        c.introspection = introspection;
        c.metrics = metrics;
        c.conflist = dir.resolve("05-vpc-ipam.conflist");
        c.pluginLog = dir.resolve("cni.log");
        return c;
    }

    /** Unpacks with the system's tar and returns file name (under the bundle's top dir) to content. */
    private Map<String, String> unpack() throws Exception {
        Path out = Files.createDirectory(dir.resolve("unpacked"));
        Process p = new ProcessBuilder("tar", "-xzf", dir.resolve("bundle.tar.gz").toString(), "-C", out.toString())
                .redirectErrorStream(true).start();
        String tarSays = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "tar: " + tarSays);
        List<Path> tops;
        try (Stream<Path> s = Files.list(out)) {
            tops = s.toList();
        }
        assertEquals(1, tops.size(), "one top directory: " + tops);
        assertTrue(tops.getFirst().getFileName().toString().startsWith("vpc-ipam-support-"), tops.toString());
        Map<String, String> files = new HashMap<>();
        try (Stream<Path> s = Files.walk(tops.getFirst())) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                files.put(tops.getFirst().relativize(f).toString(), Files.readString(f));
                assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(f)), f + " is for the operator only");
            }
        }
        return files;
    }

    private static void assertNoPlantedSecret(Map<String, String> files) {
        for (Map.Entry<String, String> f : files.entrySet()) {
            for (String secret : SECRETS) {
                assertFalse(f.getValue().contains(secret), "planted secret " + secret + " in " + f.getKey() + ":\n"
                        + f.getValue());
            }
        }
    }

    private static Reply call(Path socket, Request r) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            new FrameWriter(Channels.newOutputStream(ch)).write(r);
            return new FrameReader(Channels.newInputStream(ch), FrameReader.MAX_REPLY_FRAME_BYTES).readReply();
        }
    }

    @Test
    void runningDaemon_bundleHasConfigPoolLeasesDecisionsLogsHostAndStateWithoutAnyPlantedSecret() throws Exception {
        LogSetup.configure(OpsConfig.LogFormat.PLAIN, OpsConfig.LogLevel.INFO, new ByteArrayOutputStream());
        Logger.getLogger("io.vpcipam.ipamd.ops.SupportBundleTest").warning("a careless line: password="
                + LOGGED_PASSWORD + " key " + AWS_KEY_ID + " and the marker bundle-log-marker");
        ops = OpsServers.start(OpsConfig.fromEnv(Map.of("IPAMD_METRICS_ADDRESS", "127.0.0.1:0",
                "IPAMD_INTROSPECTION_ADDRESS", "127.0.0.1:0")), InstantSource.system());
        Map<String, String> env = env();
        daemon = Daemon.start(Config.fromEnv(env), SimulatedCloud.builder().instanceType("m5.large").build(),
                InstantSource.system(), ops.metrics());
        ops.attach(daemon);
        Reply add = call(dir.resolve("ipamd.sock"), Request.add("vpc-ipam", "container-1", "eth0", "/proc/1/ns/net",
                "default", "bundle-pod"));
        assertTrue(add.ok(), add.toString());
        String address = add.lease().address();
        plantPluginFiles();

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = command("127.0.0.1:" + ops.introspectionPort(), "127.0.0.1:" + ops.metricsPort())
                .run(env, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err), InstantSource.system());
        assertEquals(0, code, err.toString());
        Map<String, String> files = unpack();

        assertTrue(files.get("ipamd/config.json").contains("\"WARM_IP_TARGET\":2"), files.get("ipamd/config.json"));
        assertTrue(files.get("ipamd/pool.json").contains("\"instanceType\":\"m5.large\""));
        assertTrue(files.get("ipamd/leases.json").contains(address) && files.get("ipamd/leases.json")
                .contains("bundle-pod"));
        assertTrue(files.get("ipamd/decisions.json").contains("\"plan\""), files.get("ipamd/decisions.json"));
        assertTrue(files.get("ipamd/recent.log").contains("bundle-log-marker"), files.get("ipamd/recent.log"));
        assertTrue(files.get("ipamd/recent.log").contains("password=<redacted>"), files.get("ipamd/recent.log"));
        assertTrue(files.get("ipamd/readyz.json").contains("\"ready\":true"), files.get("ipamd/readyz.json"));
        assertTrue(files.get("ipamd/metrics.txt").contains("vpc_ipam_build_info"));
        assertTrue(files.get("host/ip-addr.txt").contains("$ ip -d addr show") && files.get("host/ip-addr.txt")
                .contains("127.0.0.1"), files.get("host/ip-addr.txt"));
        assertTrue(files.get("host/ip-rule.txt").contains("lookup main"), files.get("host/ip-rule.txt"));
        assertTrue(files.get("host/ip-route.txt").contains("table local"), files.get("host/ip-route.txt"));
        assertTrue(files.containsKey("host/iptables-nat.txt") && files.containsKey("host/iptables-mangle-vpc-ipam.txt"));
        assertTrue(files.get("host/sysctl.txt").contains("net.ipv4.conf.lo.rp_filter = "), files.get("host/sysctl.txt"));
        assertTrue(files.get("state/checkpoint.json").contains(address), files.get("state/checkpoint.json"));
        assertTrue(files.get("state/listing.txt").contains("checkpoint.json"));
        assertTrue(files.get("cni/05-vpc-ipam.conflist").contains("\"type\":\"vpc-ipam\""));
        assertTrue(files.get("cni/plugin.log").contains("ADD ok"));
        assertTrue(files.get("environment.txt").contains("IPAMD_STATE_DIR=" + dir.resolve("state"))
                && files.get("environment.txt").contains("AWS_SECRET_ACCESS_KEY=<redacted>"), files.get("environment.txt"));
        assertTrue(files.get("version.txt").startsWith("ipamd " + io.vpcipam.ipamd.config.BuildInfo.current().describe()));
        assertTrue(files.get("summary.txt").contains("ipamd/pool.json"), files.get("summary.txt"));
        assertFalse(files.get("summary.txt").contains("ipamd/pool.json: "), "pool was collected: "
                + files.get("summary.txt"));
        assertNoPlantedSecret(files);
        assertTrue(err.toString().contains("wrote " + dir.resolve("bundle.tar.gz")), err.toString());
    }

    @Test
    void ipamdDown_bundleHasTheNodeAndTheStateAndSaysWhatIsMissing() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Path state = Files.createDirectories(dir.resolve("state"));
        Files.writeString(state.resolve("checkpoint.json"), "{\"version\":1,\"leases\":[{\"address\":\"10.0.0.77\"}]}");
        Files.createDirectories(state.resolve("release-spool"));
        Files.writeString(state.resolve("release-spool/1700000000000-c1.json"), "{\"containerId\":\"c1\"}");
        plantPluginFiles();

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = command("127.0.0.1:" + closedPort, "off").run(env(), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err), InstantSource.system());
        assertEquals(0, code, "a bundle is written with ipamd down: " + err);
        Map<String, String> files = unpack();

        assertFalse(files.containsKey("ipamd/pool.json"), files.keySet().toString());
        String summary = files.get("summary.txt");
        assertTrue(summary.contains("ipamd/ (config, pool, leases, decisions, recent logs, readiness): cannot reach"
                + " http://127.0.0.1:" + closedPort + " (connection refused): ipamd is down"), summary);
        assertTrue(summary.contains("ipamd/metrics.txt: metrics are off"), summary);
        assertTrue(err.toString().contains("ipamd/ (config, pool"), "the summary is printed: " + err);
        assertTrue(files.get("state/checkpoint.json").contains("10.0.0.77"));
        assertTrue(files.get("state/release-spool/1700000000000-c1.json").contains("c1"));
        assertTrue(files.get("host/ip-addr.txt").contains("127.0.0.1"));
        assertNoPlantedSecret(files);
    }

    @Test
    void outputToStdout_isTheArchiveAlone() throws Exception {
        SupportBundleCommand c = command("off", "off");
        c.output = "-";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, c.run(env(), new PrintStream(out), new PrintStream(err), InstantSource.system()));
        Files.write(dir.resolve("bundle.tar.gz"), out.toByteArray());
        Map<String, String> files = unpack();
        assertTrue(files.get("summary.txt").contains("introspection is off"), files.get("summary.txt"));
        assertTrue(err.toString().contains("missing:"), err.toString());
    }

    @Test
    void badIntrospectionAddress_isExit2NamingIt() {
        SupportBundleCommand c = command("nonsense", "off");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, c.run(env(), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err),
                InstantSource.system()));
        assertTrue(err.toString().contains("--introspection 'nonsense'"), err.toString());
    }
}
