package io.vpcipam.it.cni;

import static io.vpcipam.it.host.Host.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vpcipam.it.IpamdProcess;
import io.vpcipam.it.host.Host;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.Request;
import io.vpcipam.protocol.StatusInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node data path end to end on the real kernel: ipamd runs with {@code --provider sim} inside a node
 * namespace, the simulated cloud plugs each interface it attaches into a VPC fabric ({@link VpcFabric}), and pods
 * are wired by the real plugin. What ipamd programs (links, route tables, rules, SNAT, NodePort) is proven by
 * traffic: the fabric drops any packet whose source another interface holds, the internet gateway forwards only
 * the node's primary address. Nothing here reaches beyond the namespaces the test makes.
 */
class DataPathIT {

    @TempDir
    Path tmp;

    @BeforeEach
    void root() throws IOException {
        NodeNetns.assumeRoot();
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/iptables-restore")),
                "iptables is missing: bin/ci-packages.sh installs it");
    }

    /** A pod the plugin wired, and ipamd's lease for it. */
    record Pod(String netns, String containerId, String address, LeaseInfo lease) {
    }

    static Map<String, String> env(VpcFabric f, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of(
                "IPAMD_SIM_INSTANCE_TYPE", "t3.medium", // 3 interfaces x 6 addresses: the 6th pod is on interface 2
                "IPAMD_SIM_FABRIC_NETNS", f.fabric,
                "WARM_IP_TARGET", "8",
                "IPAMD_RECONCILE_INTERVAL", "1s",
                "IP_COOLDOWN_PERIOD", "0",
                "IPAMD_ADD_TIMEOUT", "20s"));
        env.putAll(extra);
        return env;
    }

    static IpamdProcess start(NodeNetns n, Path state, Map<String, String> env) throws Exception {
        return IpamdProcess.start("sim", state, env, Duration.ofSeconds(60), List.of("-Xmx128m"),
                List.of("nsenter", "--net=/run/netns/" + n.node));
    }

    /** What the node's operating system does with its primary interface: its address and default route. */
    static String bootPrimary(NodeNetns n, IpamdProcess ipamd) throws Exception {
        StatusInfo.InterfaceStatus primary = ipamd.call(Request.status()).status().interfaces().stream()
                .filter(i -> i.deviceIndex() == 0).findFirst().orElseThrow();
        assertNotNull(primary.linkName(), "ipamd did not find the primary interface's link: " + primary);
        assertEquals(linkWithMac(n, primary.mac()), primary.linkName());
        n.ip("addr", "add", primary.primaryAddress() + "/20", "dev", primary.linkName());
        n.ip("route", "add", "default", "via", "10.0.0.1", "dev", primary.linkName());
        return primary.primaryAddress();
    }

    static String linkWithMac(NodeNetns n, String mac) throws Exception {
        for (String line : n.ip("-o", "link").split("\n")) {
            if (line.contains("link/ether " + mac)) {
                return line.split(":\\s+")[1].split("@")[0];
            }
        }
        return null;
    }

    static String conf(IpamdProcess ipamd, Path tmp) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"vitnet\",\"type\":\"vpc-ipam\",\"ipamdSocket\":\""
                + ipamd.socket() + "\",\"stateDir\":\"" + ipamd.stateDir() + "\",\"logFile\":\"" + tmp.resolve("cni.log")
                + "\"}";
    }

    /** Wires pods until one is on a secondary interface; returns every pod wired, that one last. */
    static List<Pod> podsUntilSecondary(NodeNetns n, IpamdProcess ipamd, Path tmp, String tag) throws Exception {
        List<Pod> pods = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String ns = n.pod(tag + i);
            String cid = "ctr-" + tag + i;
            NodeNetns.Result r = n.cni("ADD", cid, "/run/netns/" + ns, conf(ipamd, tmp), Map.of());
            assertEquals(0, r.exit(), r.stdout() + r.stderr() + "\n" + ipamd.log());
            LeaseInfo lease = ipamd.call(Request.check("vitnet", cid, "eth0")).lease();
            pods.add(new Pod(ns, cid, CniNetnsIT.address(r.stdout()), lease));
            if (lease.routeTable() != 0) {
                return pods;
            }
        }
        throw new AssertionError("no pod landed on a secondary interface:\n" + ipamd.log());
    }

    static boolean ping(Pod p, String host) throws Exception {
        return Host.status("nsenter", "--net=/run/netns/" + p.netns(), "busybox", "ping", "-c", "2", "-W", "2",
                host) == 0;
    }

    /** Our part of the node: rules, routes (protocol 117), chains, the secondary links' addresses; sorted. */
    static List<String> hostSet(NodeNetns n) throws Exception {
        List<String> out = new ArrayList<>();
        for (String l : n.ip("rule").split("\n")) {
            if (l.contains("proto 117")) {
                out.add("rule " + l.strip());
            }
        }
        for (String l : n.ip("route", "show", "table", "all", "proto", "117").split("\n")) {
            if (!l.isBlank()) {
                out.add("route " + l.strip());
            }
        }
        for (String table : List.of("nat", "mangle")) {
            for (String l : sh("ip", "netns", "exec", n.node, "iptables-save", "-t", table).split("\n")) {
                if (l.contains("VPC-IPAM")) {
                    out.add(table + " " + l.strip());
                }
            }
        }
        for (String l : n.ip("-o", "-4", "addr").split("\n")) {
            if (l.contains(" ens") && !l.contains(" ens5 ")) {
                out.add("addr " + l.replaceAll("\\s+", " ").replaceAll("valid_lft.*", "").strip());
            }
        }
        out.sort(null);
        return out;
    }

    static void await(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(200);
        }
    }

    static String quiet(NodeNetns n, String... args) {
        try {
            return n.ip(args);
        } catch (Exception e) {
            return e.toString();
        }
    }

    @Test
    void podOnSecondInterface_reachesTheVpcAsItself_andTheInternetThroughSnat_nodePortRepliesLeaveViaThePrimary_restartKeepsTheSameSet_detachRemovesItsTable()
            throws Exception {
        Path state = tmp.resolve("ipamd");
        try (NodeNetns n = NodeNetns.create(); VpcFabric f = VpcFabric.create()) {
            List<Pod> pods;
            Pod second;
            String primary;
            List<String> before;
            try (IpamdProcess ipamd = start(n, state, env(f, Map.of()))) {
                primary = bootPrimary(n, ipamd);
                f.allowOut(primary);
                pods = podsUntilSecondary(n, ipamd, tmp, "a");
                second = pods.getLast();
                assertEquals(2, second.lease().routeTable(), "device index 1 is table 2: " + second.lease());

                // status shows each interface's MAC, link and table
                StatusInfo.InterfaceStatus eni = ipamd.call(Request.status()).status().interfaces().stream()
                        .filter(i -> i.id().equals(second.lease().interfaceId())).findFirst().orElseThrow();
                assertEquals(2, eni.routeTable());
                assertEquals(linkWithMac(n, eni.mac()), eni.linkName());
                String link = eni.linkName();
                assertTrue(n.ip("-o", "-4", "addr", "show", "dev", link).contains(eni.primaryAddress() + "/20"),
                        n.ip("addr", "show", "dev", link));
                assertTrue(n.ip("link", "show", "dev", link).contains("mtu 9001"), n.ip("link", "show", "dev", link));
                String table2 = n.ip("route", "show", "table", "2");
                assertTrue(table2.contains("default via 10.0.0.1 dev " + link), table2);
                assertTrue(table2.contains("10.0.0.1 dev " + link + " proto 117 scope link"), table2);
                assertFalse(n.ip("route", "show", "table", "main").contains("dev " + link),
                        "the subnet stays routed via the primary in main: " + n.ip("route"));
                String rules = n.ip("rule");
                assertTrue(rules.contains("from " + second.address() + " to 10.0.0.0/16 lookup 2"), rules);
                assertTrue(rules.contains("1024:\tfrom all fwmark 0x80/0x80 lookup main proto 117"), rules);
                assertTrue(rules.contains("32765:\tfrom " + eni.primaryAddress() + " lookup 2 proto 117"), rules);

                // the VPC host sees the pod's own address; the internet host sees the node's primary
                f.count(f.vpcHost, second.address());
                f.count(f.internet, primary);
                f.count(f.internet, second.address());
                assertTrue(ping(second, VpcFabric.VPC_HOST), "pod on interface 2 cannot reach the VPC host\n"
                        + ipamd.log());
                assertTrue(f.packetsFrom(f.vpcHost, second.address()) >= 2, "the VPC host saw no packet from "
                        + second.address());
                assertTrue(ping(second, VpcFabric.INTERNET_HOST), "pod on interface 2 cannot reach the internet\n"
                        + sh("ip", "netns", "exec", n.node, "iptables-save", "-t", "nat"));
                assertTrue(f.packetsFrom(f.internet, primary) >= 2, "the internet host saw nothing from " + primary);
                assertEquals(0, f.packetsFrom(f.internet, second.address()), "a pod address left the VPC");
                assertTrue(ping(pods.getFirst(), VpcFabric.INTERNET_HOST), "pod on the primary cannot reach the internet");

                // NodePort-style: the VPC host connects to the node's primary address, kube-proxy's DNAT sends it
                // to the pod on interface 2; the reply must leave through the primary (else the fabric drops it)
                nodePortReply(n, f, second, primary, true);

                before = hostSet(n);
                ipamd.kill(); // kill -9
            }
            int logBefore = Files.readString(state.resolve("ipamd.log")).length();
            try (IpamdProcess again = start(n, state, env(f, Map.of()))) {
                List<String> after = hostSet(n);
                assertEquals(before, after, "a restart after kill -9 changed what is on the host");
                assertEquals(after.size(), new HashSet<>(after).size(), "duplicates: " + after);
                String restartLog = again.log().substring(logBefore);
                assertTrue(restartLog.lines().noneMatch(l -> l.contains("host data path: applying")),
                        "a restart re-applied what was there:\n" + restartLog);
                assertTrue(ping(second, VpcFabric.VPC_HOST), "the pod lost the VPC across the restart");
                for (Pod p : pods) {
                    assertEquals(0, n.cni("DEL", p.containerId(), "", conf(again, tmp), Map.of()).exit());
                }
            }
            // the pool shrinks: the idle interface ipamd created is detached and deleted
            try (IpamdProcess shrink = start(n, state, env(f, Map.of("WARM_IP_TARGET", "1",
                    "IPAMD_SHRINK_DELAY", "0")))) {
                await(() -> !quiet(n, "rule").contains("lookup 2"), Duration.ofSeconds(60),
                        "interface 2's rules to go:\n" + quiet(n, "rule") + "\n" + shrink.log());
                assertEquals("", n.ip("route", "show", "table", "2").strip());
                assertFalse(n.ip("rule").contains(second.address()), n.ip("rule"));
                assertTrue(n.ip("rule").contains("fwmark 0x80/0x80 lookup main"), "the node-wide rule stays");
            }
        }
    }

    /** Serves HTTP in the pod, DNATs the primary's port 30080 to it (as kube-proxy does), fetches from the VPC host. */
    static void nodePortReply(NodeNetns n, VpcFabric f, Pod pod, String primary, boolean expectReply)
            throws Exception {
        Path www = Files.createTempDirectory("vit-www");
        Files.writeString(www.resolve("index.html"), "hello from " + pod.address() + "\n");
        Process httpd = new ProcessBuilder("nsenter", "--net=/run/netns/" + pod.netns(), "busybox", "httpd", "-f",
                "-p", "8080", "-h", www.toString()).redirectErrorStream(true).start();
        try {
            sh("ip", "netns", "exec", n.node, "iptables", "-t", "nat", "-A", "PREROUTING", "-d", primary, "-p", "tcp",
                    "--dport", "30080", "-j", "DNAT", "--to-destination", pod.address() + ":8080");
            Thread.sleep(300); // httpd binds
            // bash's /dev/tcp: a plain TCP client (busybox's static wget crashes on some hosts)
            Process get = new ProcessBuilder("ip", "netns", "exec", f.vpcHost, "timeout", "5", "bash", "-c",
                    "exec 3<>/dev/tcp/" + primary + "/30080; printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3")
                    .redirectErrorStream(true).start();
            String body = new String(get.getInputStream().readAllBytes());
            assertTrue(get.waitFor(20, TimeUnit.SECONDS));
            if (expectReply) {
                assertTrue(body.endsWith("\r\n\r\nhello from " + pod.address() + "\n"),
                        "the NodePort reply did not come back: " + body);
            } else {
                assertFalse(body.contains("hello from"), "a reply came back: " + body);
                assertNotEquals(0, get.exitValue(), body);
            }
        } finally {
            httpd.destroyForcibly();
            httpd.waitFor(5, TimeUnit.SECONDS);
            sh("ip", "netns", "exec", n.node, "iptables", "-t", "nat", "-D", "PREROUTING", "-d", primary, "-p", "tcp",
                    "--dport", "30080", "-j", "DNAT", "--to-destination", pod.address() + ":8080");
        }
    }

    @Test
    void externalSnat_podOnSecondInterfaceReachesTheVpcButNotTheInternet_andWithoutNodePortSupportTheReplyIsLost()
            throws Exception {
        try (NodeNetns n = NodeNetns.create(); VpcFabric f = VpcFabric.create();
             IpamdProcess ipamd = start(n, tmp.resolve("ipamd"), env(f, Map.of(
                     "AWS_VPC_K8S_CNI_EXTERNALSNAT", "true", "AWS_VPC_CNI_NODE_PORT_SUPPORT", "false")))) {
            String primary = bootPrimary(n, ipamd);
            f.allowOut(primary);
            List<Pod> pods = podsUntilSecondary(n, ipamd, tmp, "x");
            Pod second = pods.getLast();
            String rules = n.ip("rule");
            assertTrue(rules.contains("1536:\tfrom " + second.address() + " lookup 2"), rules);
            assertFalse(rules.contains("fwmark"), rules);
            assertEquals(List.of(), second.lease().vpcCidrs());
            String nat = sh("ip", "netns", "exec", n.node, "iptables-save", "-t", "nat");
            assertFalse(nat.contains("-j SNAT"), nat);
            assertTrue(ping(second, VpcFabric.VPC_HOST), "pod on interface 2 cannot reach the VPC host");
            assertFalse(ping(second, VpcFabric.INTERNET_HOST), "with external SNAT the pod reached the internet");
            nodePortReply(n, f, second, primary, false);
            for (Pod p : pods) {
                assertEquals(0, n.cni("DEL", p.containerId(), "", conf(ipamd, tmp), Map.of()).exit());
            }
        }
    }

    @Test
    void linkNeverAppears_itsAddressesAreNotHandedOut_loggedAndCounted_podsOnThePrimaryServed() throws Exception {
        try (NodeNetns n = NodeNetns.create(); VpcFabric f = VpcFabric.create()) {
            // the name the hypervisor gives interface 2 is taken: its plug fails, as a broken attach would
            n.ip("link", "add", "ens6", "type", "veth", "peer", "name", "vitblock");
            try (IpamdProcess ipamd = start(n, tmp.resolve("ipamd"), env(f, Map.of("IPAMD_HOST_LINK_WAIT", "1s",
                    "IPAMD_ADD_TIMEOUT", "3s", "IPAMD_METRICS_ADDRESS", "127.0.0.1:61678", "MAX_ENI", "2")))) {
                bootPrimary(n, ipamd);
                await(() -> ipamd.log().contains("has no link on this host"), Duration.ofSeconds(30),
                        "the missing link to be logged:\n" + ipamd.log());
                StatusInfo status = ipamd.call(Request.status()).status();
                StatusInfo.InterfaceStatus eni = status.interfaces().stream().filter(i -> i.deviceIndex() == 1)
                        .findFirst().orElseThrow();
                assertEquals(null, eni.linkName() == null || eni.linkName().isEmpty() ? null : eni.linkName());
                assertTrue(eni.free() > 0, "precondition: interface 2 holds free addresses: " + eni);
                String conf = conf(ipamd, tmp);
                int wired = 0;
                for (int i = 0; i < 8; i++) {
                    String ns = n.pod("m" + i);
                    NodeNetns.Result r = n.cni("ADD", "ctr-m" + i, "/run/netns/" + ns, conf, Map.of());
                    if (r.exit() != 0) {
                        assertTrue(r.stdout().contains("\"code\":11"), "a retryable try-again-later: " + r.stdout());
                        break;
                    }
                    LeaseInfo lease = ipamd.call(Request.check("vitnet", "ctr-m" + i, "eth0")).lease();
                    assertEquals(0, lease.deviceIndex(), "an address of the link-less interface was handed out");
                    wired++;
                }
                assertEquals(5, wired, "the primary's 5 addresses are served, nothing else (MAX_ENI=2)");
                assertEquals(0, ipamd.call(Request.status()).status().interfaces().stream()
                        .filter(i -> i.deviceIndex() == 1).findFirst().orElseThrow().assigned());
                String metrics = metrics(n);
                assertTrue(Arrays.stream(metrics.split("\n")).anyMatch(l -> l.equals("vpc_ipam_host_links_missing 1.0")),
                        metrics);
            }
        }
    }

    @Test
    void iptablesMissing_readinessSaysSo_podsAreStillServed_andARestartWithItSetsUpTheRestLosingNoLease()
            throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("ip"), Path.of("/usr/sbin/ip")); // ip, but no iptables
        Path state = tmp.resolve("ipamd");
        try (NodeNetns n = NodeNetns.create(); VpcFabric f = VpcFabric.create()) {
            Map<String, String> broken = env(f, Map.of("PATH", bin.toString(),
                    "IPAMD_INTROSPECTION_ADDRESS", "127.0.0.1:61679"));
            Pod pod;
            try (IpamdProcess ipamd = IpamdProcess.start("sim", state, broken, Duration.ofSeconds(60),
                    List.of("-Xmx128m"), List.of("/usr/bin/nsenter", "--net=/run/netns/" + n.node))) {
                bootPrimary(n, ipamd);
                String ready = get(n, "/readyz");
                assertTrue(ready.startsWith("HTTP/1.1 503"), ready);
                assertTrue(ready.contains("iptables"), ready);
                assertTrue(ipamd.log().contains("ipamd needs iproute2 and iptables"), ipamd.log());
                pod = podsUntilSecondary(n, ipamd, tmp, "i").getLast();
                assertEquals(2, pod.lease().routeTable(), "links and tables are set up without iptables");
                assertTrue(ping(pod, VpcFabric.VPC_HOST), "the VPC does not need SNAT");
            }
            try (IpamdProcess fixed = start(n, state, env(f, Map.of("IPAMD_INTROSPECTION_ADDRESS", "127.0.0.1:61679")))) {
                assertTrue(get(n, "/readyz").startsWith("HTTP/1.1 200"), get(n, "/readyz"));
                assertTrue(fixed.call(Request.status()).status().leases().stream()
                        .anyMatch(l -> l.address().equals(pod.address())), "a lease was lost");
                assertTrue(sh("ip", "netns", "exec", n.node, "iptables-save", "-t", "nat").contains("-j VPC-IPAM-SNAT"));
                assertTrue(ping(pod, VpcFabric.VPC_HOST));
            }
        }
    }

    /** An HTTP GET to ipamd's introspection port inside the node namespace; status line, headers and body. */
    static String get(NodeNetns n, String path) throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", n.node, "timeout", "5", "bash", "-c",
                "exec 3<>/dev/tcp/127.0.0.1/61679; printf 'GET " + path + " HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    /** The metrics page, from inside the node namespace (private: a fixed port collides with nothing). */
    static String metrics(NodeNetns n) throws Exception {
        return sh("nsenter", "--net=/run/netns/" + n.node, "busybox", "wget", "-q", "-O", "-",
                "http://127.0.0.1:61678/metrics");
    }
}
