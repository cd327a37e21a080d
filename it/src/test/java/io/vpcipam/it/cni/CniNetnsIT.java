package io.vpcipam.it.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.cni.ScriptedIpamd;
import io.vpcipam.it.IpamdProcess;
import io.vpcipam.it.host.Host;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged plugin against a real ipamd on the simulated cloud, with real network namespaces:
 * pods are wired, ping each other through the (private) node namespace, and DEL leaves nothing.
 * Root only; every namespace is deleted at the end, pass or fail.
 */
class CniNetnsIT {

    @TempDir
    Path tmp;

    @BeforeEach
    void root() throws IOException {
        NodeNetns.assumeRoot();
    }

    String conf(IpamdProcess ipamd, String version) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"vitnet\",\"type\":\"vpc-ipam\",\"ipamdSocket\":\""
                + ipamd.socket() + "\",\"stateDir\":\"" + ipamd.stateDir() + "\",\"logFile\":\"" + tmp.resolve("cni.log")
                + "\"}";
    }

    static String withPrev(String conf, String result) {
        return conf.substring(0, conf.length() - 1) + ",\"prevResult\":" + result.strip() + "}";
    }

    static Map<String, Object> json(String s) throws IOException {
        return JSON.std.mapFrom(s);
    }

    static String address(String result) throws IOException {
        Map<?, ?> ip = (Map<?, ?>) ((List<?>) json(result).get("ips")).getFirst();
        String a = (String) ip.get("address");
        return a.substring(0, a.indexOf('/'));
    }

    static String hostVeth(String result) throws IOException {
        return (String) ((Map<?, ?>) ((List<?>) json(result).get("interfaces")).getFirst()).get("name");
    }

    @Test
    void twoPods_getDistinctAddresses_pingThroughTheNode_andDelLeavesNothing() throws Exception {
        try (IpamdProcess ipamd = IpamdProcess.start("sim", tmp.resolve("ipamd"), Map.of(), Duration.ofSeconds(60));
             NodeNetns n = NodeNetns.create()) {
            String conf = conf(ipamd, "1.1.0");
            String a = n.pod("a");
            String b = n.pod("b");
            NodeNetns.Result ra = n.cni("ADD", "ctr-a", "/run/netns/" + a, conf, Map.of(
                    "CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-a"));
            NodeNetns.Result rb = n.cni("ADD", "ctr-b", "/run/netns/" + b, conf, Map.of());
            assertEquals(0, ra.exit(), ra.stdout() + ra.stderr());
            assertEquals(0, rb.exit(), rb.stdout() + rb.stderr());
            String ipA = address(ra.stdout());
            String ipB = address(rb.stdout());
            assertNotEquals(ipA, ipB);
            assertTrue(ipA.startsWith("10.0."), ipA);

            String podRoutes = Host.sh("ip", "-n", a, "route");
            assertTrue(podRoutes.contains("default via 169.254.1.1 dev eth0"), podRoutes);
            String neigh = Host.sh("ip", "-n", a, "neigh", "show", "169.254.1.1");
            assertTrue(neigh.contains("PERMANENT"), neigh);
            assertTrue(n.ip("route").contains(ipA + " dev " + hostVeth(ra.stdout()) + " scope link"));

            assertEquals(0, Host.status("nsenter", "--net=/run/netns/" + a, "busybox", "ping", "-c", "2", "-W", "2", ipB),
                    "pod a cannot ping pod b");
            assertEquals(0, Host.status("nsenter", "--net=/run/netns/" + b, "busybox", "ping", "-c", "2", "-W", "2", ipA),
                    "pod b cannot ping pod a");

            NodeNetns.Result check = n.cni("CHECK", "ctr-a", "/run/netns/" + a, withPrev(conf, ra.stdout()), Map.of());
            assertEquals(0, check.exit(), check.stdout());

            // DEL as runtimes send it: a with prevResult, b with an empty CNI_NETNS and no prevResult.
            assertEquals(0, n.cni("DEL", "ctr-a", "/run/netns/" + a, withPrev(conf, ra.stdout()), Map.of()).exit());
            assertEquals(0, n.cni("DEL", "ctr-b", "", conf, Map.of()).exit());
            assertEquals(0, n.cni("DEL", "ctr-b", "", conf, Map.of()).exit(), "DEL must be idempotent");

            assertFalse(n.ip("link").contains("vpc"), n.ip("link"));
            assertEquals("", n.ip("route").strip());
            assertFalse(Host.sh("ip", "-n", a, "link").contains("eth0"));
            assertEquals(List.of(), ipamd.call(Request.status()).status().leases());
        }
    }

    @Test
    void secondaryInterface_getsPolicyRules_thatRouteThroughItsTable() throws Exception {
        // t3.medium: 6 addresses per interface, so a few pods in, ipamd hands out one on interface 1.
        try (IpamdProcess ipamd = IpamdProcess.start("sim", tmp.resolve("ipamd"),
                Map.of("IPAMD_SIM_INSTANCE_TYPE", "t3.medium", "WARM_IP_TARGET", "8"), Duration.ofSeconds(60));
             NodeNetns n = NodeNetns.create()) {
            String conf = conf(ipamd, "1.0.0");
            String secondaryPod = null;
            String result = null;
            LeaseInfo lease = null;
            for (int i = 0; i < 14 && secondaryPod == null; i++) {
                String pod = n.pod("s" + i);
                NodeNetns.Result r = n.cni("ADD", "ctr-s" + i, "/run/netns/" + pod, conf, Map.of());
                assertEquals(0, r.exit(), r.stdout() + r.stderr());
                Reply check = ipamd.call(Request.check("vitnet", "ctr-s" + i, "eth0"));
                if (check.lease().routeTable() != 0) {
                    secondaryPod = pod;
                    result = r.stdout();
                    lease = check.lease();
                } else {
                    String rules = n.ip("rule");
                    String ip = address(r.stdout());
                    // as the AWS CNI: the to-pod rule only, so secondary-interface pods reach it on the node
                    assertTrue(rules.contains("512:\tfrom all to " + ip + " lookup main"), rules);
                    assertFalse(rules.contains("from " + ip + " "), "a main-table pod gets no from-rule: " + rules);
                }
            }
            assertNotNull(secondaryPod, "ipamd never leased an address on a secondary interface");
            String ip = address(result);
            int table = lease.routeTable();
            String rules = n.ip("rule");
            assertTrue(rules.contains("512:\tfrom all to " + ip + " lookup main"), rules);
            // SNAT on (the default): only the VPC's blocks go through the interface's table
            assertTrue(rules.contains("1536:\tfrom " + ip + " to 10.0.0.0/16 lookup " + table), rules);
            assertFalse(rules.contains("1536:\tfrom " + ip + " lookup " + table), rules);

            for (int i = 0; i < 14; i++) {
                assertEquals(0, n.cni("DEL", "ctr-s" + i, "", conf, Map.of()).exit());
            }
            rules = n.ip("rule");
            assertFalse(rules.contains(ip), rules);
            assertFalse(rules.contains("lookup " + table), rules);
        }
    }

    /**
     * The shared scripted ipamd, leasing {@code address} on a secondary interface (route table 3) to every key: what
     * the real ipamd does when an address is released and handed to the next pod, without waiting for a cool-down
     * or hoping the pool picks the same address again.
     */
    private static ScriptedIpamd scripted(Path socket, String address) throws IOException {
        LeaseInfo lease = new LeaseInfo(address, 32, "eni-secondary", "02:00:00:00:00:aa", 1, 3, "10.0.0.1",
                List.of("10.0.0.0/16"), 1500);
        return new ScriptedIpamd(socket, n -> lease);
    }

    @Test
    void addressReusedByAnotherPod_aRetriedDelOfTheOldPod_leavesTheNewPodsRouteAndRules() throws Exception {
        // ipamd releases pod a's address and hands it to pod b; the runtime then retries a's DEL
        // (containerd repeats a DEL until every plugin of the chain succeeds) with a's prevResult.
        try (ScriptedIpamd ipamd = scripted(tmp.resolve("ipamd/ipamd.sock"), "10.0.7.9");
             NodeNetns n = NodeNetns.create()) {
            String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"vitnet\",\"type\":\"vpc-ipam\",\"ipamdSocket\":\""
                    + ipamd.socket() + "\",\"stateDir\":\"" + tmp.resolve("ipamd") + "\",\"logFile\":\""
                    + tmp.resolve("cni.log") + "\"}";
            String a = n.pod("ra");
            String b = n.pod("rb");
            NodeNetns.Result ra = n.cni("ADD", "ctr-ra", "/run/netns/" + a, conf, Map.of());
            assertEquals(0, ra.exit(), ra.stdout() + ra.stderr());
            assertEquals(0, n.cni("DEL", "ctr-ra", "/run/netns/" + a, withPrev(conf, ra.stdout()), Map.of()).exit());
            NodeNetns.Result rb = n.cni("ADD", "ctr-rb", "/run/netns/" + b, conf, Map.of());
            assertEquals(0, rb.exit(), rb.stdout() + rb.stderr());
            assertEquals("10.0.7.9", address(rb.stdout()));

            NodeNetns.Result again = n.cni("DEL", "ctr-ra", "/run/netns/" + a, withPrev(conf, ra.stdout()), Map.of());
            assertEquals(0, again.exit(), again.stdout());
            String rules = n.ip("rule");
            assertTrue(rules.contains("512:\tfrom all to 10.0.7.9 lookup main"), "pod b lost its to-pod rule: " + rules);
            assertTrue(rules.contains("1536:\tfrom 10.0.7.9 to 10.0.0.0/16 lookup 3"),
                    "pod b lost its from-pod rule: " + rules);
            assertTrue(n.ip("route").contains("10.0.7.9 dev " + hostVeth(rb.stdout()) + " scope link"), n.ip("route"));

            // Pod a is still wired when b gets the address (ipamd freed a's lease behind the runtime's back):
            // a's DEL takes a's veth and nothing of b's.
            NodeNetns.Result ra2 = n.cni("ADD", "ctr-ra", "/run/netns/" + a, conf, Map.of());
            assertEquals(0, ra2.exit(), ra2.stdout() + ra2.stderr());
            NodeNetns.Result rb2 = n.cni("ADD", "ctr-rb", "/run/netns/" + b, conf, Map.of());
            assertEquals(0, rb2.exit(), rb2.stdout() + rb2.stderr());
            assertEquals(0, n.cni("DEL", "ctr-ra", "/run/netns/" + a, withPrev(conf, ra2.stdout()), Map.of()).exit());
            assertFalse(n.ip("link").contains(hostVeth(ra2.stdout())), n.ip("link"));
            rules = n.ip("rule");
            assertTrue(rules.contains("512:\tfrom all to 10.0.7.9 lookup main"), "pod b lost its to-pod rule: " + rules);
            assertTrue(rules.contains("1536:\tfrom 10.0.7.9 to 10.0.0.0/16 lookup 3"),
                    "pod b lost its from-pod rule: " + rules);

            assertEquals(0, n.cni("DEL", "ctr-rb", "", withPrev(conf, rb2.stdout()), Map.of()).exit());
            assertFalse(n.ip("rule").contains("10.0.7.9"), n.ip("rule"));
            assertEquals("", n.ip("route").strip());
        }
    }

    @Test
    void podNetnsDiedWithoutDel_gcSweepsItsPolicyRules_andKeepsALivePodsRules() throws Exception {
        // Two scripted ipamds, one per address, so each pod gets its own secondary-interface address;
        // both configs name one lock file, as one node's plugin calls do.
        try (ScriptedIpamd dead = scripted(tmp.resolve("a/ipamd.sock"), "10.0.7.21");
             ScriptedIpamd live = scripted(tmp.resolve("b/ipamd.sock"), "10.0.7.22");
             NodeNetns n = NodeNetns.create()) {
            Path lock = tmp.resolve("run/cni.lock");
            String confDead = "{\"cniVersion\":\"1.1.0\",\"name\":\"vitnet\",\"type\":\"vpc-ipam\",\"ipamdSocket\":\""
                    + dead.socket() + "\",\"stateDir\":\"" + tmp.resolve("a") + "\",\"lockFile\":\"" + lock
                    + "\",\"logFile\":\"" + tmp.resolve("cni.log") + "\"}";
            String confLive = confDead.replace(dead.socket().toString(), live.socket().toString())
                    .replace(tmp.resolve("a") + "\"", tmp.resolve("b") + "\"");
            String d = n.pod("gd");
            String l = n.pod("gl");
            NodeNetns.Result rd = n.cni("ADD", "ctr-gd", "/run/netns/" + d, confDead, Map.of());
            assertEquals(0, rd.exit(), rd.stdout() + rd.stderr());
            NodeNetns.Result rl = n.cni("ADD", "ctr-gl", "/run/netns/" + l, confLive, Map.of());
            assertEquals(0, rl.exit(), rl.stdout() + rl.stderr());
            String rules = n.ip("rule");
            assertTrue(rules.contains("512:\tfrom all to 10.0.7.21 lookup main"), rules);
            assertTrue(rules.contains("512:\tfrom all to 10.0.7.22 lookup main"), rules);

            // The pod's netns dies and no DEL comes: the kernel takes the veth pair and the host route,
            // not the rules.
            n.deletePod(d);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (n.ip("route").contains("10.0.7.21") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertFalse(n.ip("route").contains("10.0.7.21"), "the dead pod's route outlived its netns: " + n.ip("route"));
            assertTrue(n.ip("rule").contains("10.0.7.21"), "precondition: the rules outlive the netns");

            NodeNetns.Result gc = n.cni("GC", "", "", confDead.substring(0, confDead.length() - 1)
                    + ",\"cni.dev/valid-attachments\":[{\"containerID\":\"ctr-gl\",\"ifname\":\"eth0\"}]}", Map.of());
            assertEquals(0, gc.exit(), gc.stdout() + gc.stderr());
            rules = n.ip("rule");
            assertFalse(rules.contains("10.0.7.21"), "GC left the dead pod's rules: " + rules);
            assertTrue(rules.contains("512:\tfrom all to 10.0.7.22 lookup main"), "GC took the live pod's rules: " + rules);
            assertTrue(rules.contains("1536:\tfrom 10.0.7.22 to 10.0.0.0/16 lookup 3"),
                    "GC took the live pod's rules: " + rules);
            assertTrue(n.ip("route").contains("10.0.7.22 dev " + hostVeth(rl.stdout())), n.ip("route"));
            assertTrue(Files.exists(lock), "the plugin did not lock " + lock);

            assertEquals(0, n.cni("DEL", "ctr-gl", "", withPrev(confLive, rl.stdout()), Map.of()).exit());
            assertFalse(n.ip("rule").contains("10.0.7."), n.ip("rule"));
        }
    }

    @Test
    void ipamdDown_addIsTryAgainLater_delSpools_andIpamdAppliesItOnStart() throws Exception {
        Path state = tmp.resolve("ipamd");
        try (NodeNetns n = NodeNetns.create()) {
            String pod = n.pod("d");
            String conf;
            NodeNetns.Result add;
            try (IpamdProcess ipamd = IpamdProcess.start("sim", state, Map.of(), Duration.ofSeconds(60))) {
                conf = conf(ipamd, "1.0.0");
                add = n.cni("ADD", "ctr-d", "/run/netns/" + pod, conf, Map.of());
                assertEquals(0, add.exit(), add.stdout() + add.stderr());
            }
            String linksBefore = n.ip("link");
            String other = n.pod("e");
            NodeNetns.Result again = n.cni("ADD", "ctr-e", "/run/netns/" + other, conf, Map.of());
            assertEquals(1, again.exit());
            assertEquals(11, json(again.stdout()).get("code"), again.stdout());
            assertEquals(linksBefore, n.ip("link"), "a failed ADD must not wire anything");
            assertFalse(Host.sh("ip", "-n", other, "link").contains("eth0"));

            NodeNetns.Result del = n.cni("DEL", "ctr-d", "", withPrev(conf, add.stdout()), Map.of());
            assertEquals(0, del.exit(), del.stdout() + del.stderr());
            assertFalse(n.ip("link").contains(hostVeth(add.stdout())));
            Path spool = state.resolve("release-spool");
            try (Stream<Path> files = Files.list(spool)) {
                assertEquals(1, files.filter(f -> f.toString().endsWith(".json")).count());
            }
            try (IpamdProcess ipamd = IpamdProcess.start("sim", state, Map.of(), Duration.ofSeconds(60))) {
                Reply r = ipamd.call(Request.check("vitnet", "ctr-d", "eth0"));
                assertFalse(r.ok(), "the spooled release was not applied");
                assertEquals("NOT_FOUND", r.error().code());
            }
        }
    }

    @Test
    void ipamdSlowerThanThePluginsTimeout_addIs11TimedOut_andNoLeaseIsLeftBehind() throws Exception {
        // An empty pool and a cloud that takes 3 s per call: ipamd's ADD waits longer than the plugin's 1 s.
        Map<String, String> slow = Map.of("IPAMD_SIM_LATENCY_MS", "3000", "WARM_ENI_TARGET", "0", "WARM_IP_TARGET", "0",
                "MINIMUM_IP_TARGET", "0");
        try (IpamdProcess ipamd = IpamdProcess.start("sim", tmp.resolve("ipamd"), slow, Duration.ofSeconds(60));
             NodeNetns n = NodeNetns.create()) {
            String conf = conf(ipamd, "1.0.0");
            conf = conf.substring(0, conf.length() - 1) + ",\"ipamdTimeoutSeconds\":1}";
            String pod = n.pod("t");
            NodeNetns.Result add = n.cni("ADD", "ctr-t", "/run/netns/" + pod, conf, Map.of());
            assertEquals(11, json(add.stdout()).get("code"), add.stdout());
            String msg = (String) json(add.stdout()).get("msg");
            assertTrue(msg.contains("timed out") && !msg.contains("unreachable"), msg);
            assertFalse(n.ip("link").contains("vpc"), "a failed ADD must not wire anything");
            // Long enough for the cloud to answer the allocation the ADD asked for.
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while ((ipamd.call(Request.status()).status().pool().total() == 0
                    || ipamd.call(Request.status()).status().pool().pending() > 0) && System.nanoTime() < until) {
                Thread.sleep(200);
            }
            Thread.sleep(500);
            assertTrue(ipamd.call(Request.status()).status().pool().total() > 0, "the pool never grew");
            assertEquals(List.of(), ipamd.call(Request.status()).status().leases(), "the timed-out ADD left a lease");
        }
    }

    @Test
    void podNetnsGone_delStillCleansTheHost_andAddToAMissingNetnsIs3() throws Exception {
        try (IpamdProcess ipamd = IpamdProcess.start("sim", tmp.resolve("ipamd"), Map.of(), Duration.ofSeconds(60));
             NodeNetns n = NodeNetns.create()) {
            String conf = conf(ipamd, "1.1.0");
            String pod = n.pod("g");
            NodeNetns.Result add = n.cni("ADD", "ctr-g", "/run/netns/" + pod, conf, Map.of());
            assertEquals(0, add.exit(), add.stdout());
            n.deletePod(pod);
            NodeNetns.Result del = n.cni("DEL", "ctr-g", "/run/netns/" + pod, withPrev(conf, add.stdout()), Map.of());
            assertEquals(0, del.exit(), del.stdout());
            assertEquals("", n.ip("route").strip());
            assertFalse(ipamd.call(Request.check("vitnet", "ctr-g", "eth0")).ok());

            NodeNetns.Result missing = n.cni("ADD", "ctr-h", "/run/netns/" + pod, conf, Map.of());
            assertEquals(3, json(missing.stdout()).get("code"), missing.stdout());
            assertTrue(missing.stderr().isEmpty(), missing.stderr());
        }
    }

    @Test
    void chainedTuningAndBandwidth_runAfterUs_withOurPrevResult() throws Exception {
        Path tuning = Path.of("/usr/lib/cni/tuning");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(tuning), "containernetworking-plugins missing");
        try (IpamdProcess ipamd = IpamdProcess.start("sim", tmp.resolve("ipamd"), Map.of(), Duration.ofSeconds(60));
             NodeNetns n = NodeNetns.create()) {
            String conf = conf(ipamd, "1.0.0");
            String pod = n.pod("t");
            NodeNetns.Result add = n.cni("ADD", "ctr-t", "/run/netns/" + pod, conf, Map.of());
            assertEquals(0, add.exit(), add.stdout());
            // What a runtime does next in a conflist: tuning gets our result as prevResult.
            String tuningConf = "{\"cniVersion\":\"1.0.0\",\"name\":\"vitnet\",\"type\":\"tuning\","
                    + "\"sysctl\":{\"net.ipv4.conf.eth0.rp_filter\":\"2\"},\"prevResult\":" + add.stdout().strip() + "}";
            ProcessBuilder pb = new ProcessBuilder("nsenter", "--net=/run/netns/" + n.node, tuning.toString());
            pb.environment().putAll(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "ctr-t", "CNI_NETNS",
                    "/run/netns/" + pod, "CNI_IFNAME", "eth0", "CNI_PATH", "/usr/lib/cni"));
            Process p = pb.start();
            p.getOutputStream().write(tuningConf.getBytes());
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), out + new String(p.getErrorStream().readAllBytes()));
            assertEquals(address(add.stdout()), address(out), "tuning passes our result on");
            String rp = Host.sh("nsenter", "--net=/run/netns/" + pod, "cat", "/proc/sys/net/ipv4/conf/eth0/rp_filter");
            assertEquals("2", rp.strip());
            assertEquals(0, n.cni("DEL", "ctr-t", "/run/netns/" + pod, withPrev(conf, out), Map.of()).exit());
        }
    }
}
