package io.vpcipam.it.cni;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.it.IpamdProcess;
import io.vpcipam.it.host.Host;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.protocol.StatusInfo;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.protocol.StatusInfo.LeaseStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A node brought up from the container image with containerd, as a kubelet would (see {@link ImageNode}): the
 * chart's host-sysctl, install-cni, ipamd and conflist containers from {@code helm template}, run as rendered, on a
 * node whose interfaces a hypervisor outside ipamd plugs into a VPC fabric ({@link OutsideHypervisor},
 * {@link VpcFabric}); then pods through {@code ctr run --cni} with the installed plugin and the written conflist, on
 * the primary interface and on interface 2, reaching each other, the VPC as themselves and the internet through
 * SNAT to the node's primary address; then an ipamd roll.
 */
class ImageNodeIT {

    private static final String BUSYBOX = "docker.io/library/vit-busybox:1";
    private static final String INSTANCE_TYPE = "t3.medium";

    @Test
    void chartContainersFromTheImage_podsOnBothInterfacesGetVpcAddressesPingAndReachTheInternetThroughSnat_ipamdRollKeepsLeasesAndAppliesTheSpooledDel()
            throws Exception {
        ImageNode.assumeReady();
        Path w = Files.createTempDirectory(Path.of("/tmp"), "vit-image");
        List<Process> pods = new ArrayList<>();
        try (VpcFabric fabric = VpcFabric.create(); ImageNode node = ImageNode.start(w)) {
            Path run = w.resolve("host/run"), state = w.resolve("host/state"), log = w.resolve("host/log");
            Path values = w.resolve("values.yaml");
            // The chart's defaults but the simulated cloud as a t3.medium (6 addresses per interface: the 6th pod is
            // on interface 2) with at most 2 interfaces, no cool-down (pod c reuses pod b's address), host dirs under
            // the work dir, no API server (the Kubernetes side is tested against a real one elsewhere) and the node
            // data path on (the sim turns it off by default, as it plugs no interfaces without a fabric).
            Files.writeString(values, """
                    provider: sim
                    sim: {instanceType: %s}
                    warmPool: {maxEni: 2, cooldown: 0s}
                    host: {runDir: %s, stateDir: %s, logDir: %s}
                    extraEnv:
                      - {name: IPAMD_KUBERNETES, value: "false"}
                      - {name: IPAMD_HOST_NETWORK, value: "true"}
                    """.formatted(INSTANCE_TYPE, run, state, log));
            ImageNode.Rendered chart = ImageNode.Rendered.of(ImageNode.chart(), values);
            String image = chart.container("ipamd").getImage();
            String conflistName = conflistName(chart);

            List<String> images = node.importImage(ImageNode.imageTar());
            assertTrue(images.contains(image), "the chart's image " + image + " is what the build made: " + images);

            // the instance is launched: its primary interface is plugged into the node and the VPC fabric, and the
            // node's OS gives it its address and the default route via the subnet's router
            try (OutsideHypervisor hypervisor = OutsideHypervisor.launch(state, INSTANCE_TYPE, node.netns(),
                    fabric.fabric)) {
                NetworkInterface eth0 = hypervisor.node().primaryInterface();
                String primary = eth0.primaryAddress().toString();
                String primaryLink = linkWithMac(node, eth0.mac());
                node.hostIp("addr", "add", primary + "/20", "dev", primaryLink);
                node.hostIp("route", "add", "default", "via", "10.0.0.1", "dev", primaryLink);
                fabric.allowOut(primary);
                fabric.count(fabric.internet, primary);

                // privileged init step: loose rp_filter on the interface holding the default route (the primary)
                String other = "vo" + suffix();
                node.hostIp("link", "add", other, "type", "veth", "peer", "name", other + "p");
                node.inHostNet("sh", "-c", "echo 1 > /proc/sys/net/ipv4/conf/" + primaryLink + "/rp_filter; "
                        + "echo 1 > /proc/sys/net/ipv4/conf/" + other + "/rp_filter");
                node.run(chart, "host-sysctl", false);
                assertEquals(0, node.inHostNet("grep", "-qx", "2", "/proc/sys/net/ipv4/conf/" + primaryLink
                        + "/rp_filter"), "host-sysctl set the primary's rp_filter to loose");
                assertEquals(0, node.inHostNet("grep", "-qx", "1", "/proc/sys/net/ipv4/conf/" + other + "/rp_filter"),
                        "host-sysctl left the other interfaces alone");

                // init container: the plugin into the host's CNI bin dir, no conflist yet
                // The image carries no AOT cache (its digest must not depend on the build machine): install-cni
                // trains one on the node, and reuses it when it runs again for the same plugin (a pod restart)
                long t0 = System.nanoTime();
                String install = node.run(chart, "install-cni", false);
                System.out.printf("install-cni with the AOT training: %d ms%n",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                assertTrue(node.log(install).contains("training the plugin's AOT cache"), node.log(install));
                assertTrue(Files.isExecutable(node.cniBinDir().resolve("vpc-ipam")));
                Path aot = node.cniBinDir().resolve("vpc-ipam.d/vpc-ipam.aot");
                byte[] trained = Files.readAllBytes(aot);
                String again = node.run(chart, "install-cni", false);
                assertFalse(node.log(again).contains("training"), node.log(again));
                assertArrayEquals(trained, Files.readAllBytes(aot), "the cache of the same plugin is kept (a new"
                        + " training run never gives the same bytes)");
                try (Stream<Path> left = Files.list(node.cniBinDir())) {
                    assertEquals(List.of("vpc-ipam", "vpc-ipam.d"), left.map(p -> p.getFileName().toString()).sorted()
                            .toList(), "nothing else is left in the CNI bin dir");
                }
                assertTrue(isEmpty(node.cniConfDir()), "no conflist before ipamd is ready");
                // the installed plugin runs on the host with its AOT cache valid (a stale one makes the JVM warn)
                NodeNetns.Result version = versionOf(node.cniBinDir().resolve("vpc-ipam"));
                assertEquals(0, version.exit(), version.stderr());
                assertTrue(version.stdout().contains("supportedVersions"), version.stdout());
                assertEquals("", version.stderr(), "the plugin's JVM said something: is the AOT cache stale?");

                // ipamd sets up the node's data path with only NET_ADMIN and NET_RAW (readiness waits for it)
                String ipamd = startIpamd(node, chart);
                String ipamdStatus = node.ctr("task", "exec", "--exec-id", "caps", ipamd, "cat", "/proc/1/status");
                assertTrue(ipamdStatus.contains("CapEff:\t0000000000003000"), "ipamd has NET_ADMIN and NET_RAW only:\n"
                        + ipamdStatus.lines().filter(l -> l.startsWith("Cap")).toList());

                node.run(chart, "conflist", true);
                Path conflist = node.cniConfDir().resolve(conflistName);
                waitFor(() -> Files.exists(conflist), 60, "the conflist container writes " + conflist);
                Map<String, Object> conf = JSON.std.mapFrom(Files.readString(conflist));
                Map<?, ?> first = (Map<?, ?>) ((List<?>) conf.get("plugins")).getFirst();
                assertEquals("vpc-ipam", first.get("type"));
                assertEquals(run.resolve("ipamd.sock").toString(), first.get("ipamdSocket"));
                String network = (String) conf.get("name");

                // pod a takes the primary interface's first address; other pods (leases through the socket) fill it
                // up, so pod b gets the 6th slot: interface 2
                Host.sh("sh", "-c", String.join(" ", node.ctrCommand("images", "import",
                        ContainerdIT.buildImage(Files.createDirectories(w.resolve("busybox"))).toString())));
                Path sock = run.resolve("ipamd.sock");
                String a = "pod-a-" + suffix(), b = "pod-b-" + suffix();
                pods.add(startPod(node, a));
                String ipA = waitForLease(node, sock, a);
                List<String> fillers = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    String id = "filler-" + i + "-" + suffix();
                    Reply r = IpamdProcess.call(sock, Request.add(network, id, "eth0", "/run/netns/none", "default", id));
                    assertTrue(r.ok(), "filler lease " + i + ": " + r);
                    fillers.add(id);
                }
                pods.add(startPod(node, b));
                String ipB = waitForLease(node, sock, b);
                assertTrue(ipA.startsWith("10.0.") && ipB.startsWith("10.0."), ipA + " " + ipB + " in the sim's VPC");
                assertNotEquals(ipA, ipB);
                assertEquals(0, routeTableOf(sock, a), "pod a is on the primary interface");
                assertEquals(2, routeTableOf(sock, b), "pod b is on interface 2 (device index 1, table 2)");
                // the chart README's check: ipamd's status, run in its container as kubectl exec does, shows the pods
                String status = node.ctr("task", "exec", "--exec-id", "status" + suffix(), ipamd, "/bin/sh", "-c",
                        readmeStatusCommand());
                assertTrue(status.contains(ipA) && status.contains(ipB), status);
                String podEth0 = podExec(node, a, "ip -4 addr show eth0");
                assertTrue(podEth0.contains("inet " + ipA + "/32"), podEth0);
                assertPings(node, a, ipB);
                assertPings(node, b, ipA);

                // both reach the VPC as themselves, and the internet only through SNAT to the primary address
                fabric.count(fabric.vpcHost, ipB);
                fabric.count(fabric.internet, ipA);
                fabric.count(fabric.internet, ipB);
                assertPings(node, b, VpcFabric.VPC_HOST);
                assertTrue(fabric.packetsFrom(fabric.vpcHost, ipB) >= 2, "pod b reaches the VPC host as itself");
                assertPings(node, a, VpcFabric.INTERNET_HOST);
                assertPings(node, b, VpcFabric.INTERNET_HOST);
                assertTrue(fabric.packetsFrom(fabric.internet, primary) >= 4,
                        "the internet host sees the node's primary address: "
                                + fabric.packetsFrom(fabric.internet, primary));
                assertEquals(0, fabric.packetsFrom(fabric.internet, ipA), "no packet from pod a's own address");
                assertEquals(0, fabric.packetsFrom(fabric.internet, ipB), "no packet from pod b's own address");
                for (String id : fillers) {
                    assertTrue(IpamdProcess.call(sock, Request.del(network, id, "eth0")).ok());
                }

                // roll ipamd: stop it; pod b goes while it is down (its DEL is spooled); a new ipamd from the image
                node.stop(ipamd, 10);
                node.ctr("task", "kill", "-s", "SIGKILL", b);
                Process podB = pods.get(1);
                assertTrue(podB.waitFor(60, TimeUnit.SECONDS), "ctr run --rm of pod b ends after its DEL");
                Path spool = state.resolve("release-spool");
                assertEquals(1, count(spool), "pod b's DEL waits in the spool while ipamd is down");
                String ipamd2 = startIpamd(node, chart);
                waitFor(() -> count(spool) == 0, 60, "the new ipamd applies the spooled DEL");
                List<LeaseStatus> leases = leases(sock);
                assertEquals(List.of("default-" + a), leases.stream().map(LeaseStatus::containerId).toList());
                assertEquals(ipA, leases.getFirst().address(), "pod a keeps its address across the roll");

                // the new ipamd serves: pod c gets an address and reaches pod a and the internet
                String c = "pod-c-" + suffix();
                pods.add(startPod(node, c));
                String ipC = waitForLease(node, sock, c);
                assertPings(node, c, ipA);
                assertPings(node, a, VpcFabric.INTERNET_HOST);
                for (String p : List.of(a, c)) {
                    node.ctr("task", "kill", "-s", "SIGKILL", p);
                }
                for (Process p : pods) {
                    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                }
                waitFor(() -> leases(sock).isEmpty(), 30, "every pod's DEL released its lease");
                assertNotEquals("", ipC);
                node.stop(ipamd2, 10);
            }

            // the chart README's uninstall step, from the image with the node's root at /host (kubectl debug node)
            node.runWithHostRoot(image, "/bin/sh", "-c", "/opt/vpc-ipam/cni/install.sh --uninstall"
                    + " --bin-dir /host/opt/cni/bin --conf-dir /host/etc/cni/net.d --conf-file " + conflistName
                    + " && rm -rf /host" + state + " /host" + log + " /host" + run);
            assertTrue(isEmpty(node.cniBinDir()), "the plugin is gone from the host's CNI bin dir");
            assertTrue(isEmpty(node.cniConfDir()), "the conflist is gone");
            for (Path p : List.of(state, log, run)) {
                assertTrue(Files.notExists(p), p + " is gone");
            }
            // and its data-path step, exactly as the README has it, as kubectl debug --profile=netadmin runs it
            String show = "ip rule; ip route show table all; iptables-save";
            String before = node.runNetadminWithHostRoot(image, "/bin/sh", "-c", show);
            assertTrue(before.contains("proto 117") && before.contains("VPC-IPAM-SNAT")
                    && before.contains("VPC-IPAM-CONNMARK"), "ipamd's data path stays until removed:\n" + before);
            node.runNetadminWithHostRoot(image, "/bin/sh", "-c", readmeDataPathCleanup());
            String after = node.runNetadminWithHostRoot(image, "/bin/sh", "-c", show);
            assertFalse(after.contains("proto 117") || after.contains("VPC-IPAM"), "ipamd's data path is gone:\n"
                    + after);
        } finally {
            for (Process p : pods) {
                p.destroyForcibly();
            }
            // the containers' and the plugin's logs, for a failure's report
            Path keep = Path.of(System.getProperty("java.io.tmpdir"), "image-node-logs");
            Host.status("rm", "-rf", keep.toString());
            Host.status("mkdir", "-p", keep.toString());
            Host.status("sh", "-c", "cp -r " + w.resolve("logs") + " " + w.resolve("host/log") + " " + keep
                    + " 2>/dev/null; cp " + w.resolve("host/state") + "/*.log " + keep + " 2>/dev/null; true");
            Host.status("rm", "-rf", w.toString());
        }
    }

    private static String linkWithMac(ImageNode node, String mac) throws Exception {
        for (int i = 0; i < 100; i++) {
            for (String line : node.hostIp("-o", "link").split("\n")) {
                if (line.contains("link/ether " + mac)) {
                    return line.split(":\\s+")[1].split("@")[0];
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no link with " + mac + " on the node:\n" + node.hostIp("link"));
    }

    /** The command the chart README runs in the ipamd container ({@code kubectl exec ... -- COMMAND}) for its status. */
    private static String readmeStatusCommand() throws IOException {
        String readme = Files.readString(ImageNode.chart().resolve("README.md"));
        int at = readme.indexOf("exec ds/vpc-ipam -c ipamd -- ");
        assertTrue(at > 0, "the chart README shows ipamd's status");
        int start = at + "exec ds/vpc-ipam -c ipamd -- ".length();
        return readme.substring(start, readme.indexOf("   #", start)).strip();
    }

    /** The chart README's data-path uninstall script (the {@code kubectl debug --profile=netadmin} one). */
    private static String readmeDataPathCleanup() throws IOException {
        String readme = Files.readString(ImageNode.chart().resolve("README.md"));
        int at = readme.indexOf("--profile=netadmin --image=");
        assertTrue(at > 0, "the chart README has the data-path uninstall step");
        int start = readme.indexOf("-c '", at) + 4;
        return readme.substring(start, readme.indexOf("'\n", start));
    }

    private static int routeTableOf(Path sock, String pod) throws IOException {
        StatusInfo status = IpamdProcess.call(sock, Request.status()).status();
        String iface = status.leases().stream().filter(l -> l.containerId().equals("default-" + pod)).findFirst()
                .orElseThrow().interfaceId();
        return status.interfaces().stream().filter(i -> i.id().equals(iface)).findFirst().orElseThrow().routeTable();
    }

    /** Starts the chart's ipamd container and waits for /readyz on the node's loopback; prints how long it took. */
    static String startIpamd(ImageNode node, ImageNode.Rendered chart) throws Exception {
        int port = chart.container("ipamd").getReadinessProbe().getHttpGet().getPort().getIntVal();
        long t0 = System.nanoTime();
        String id = node.run(chart, "ipamd", true);
        long end = t0 + TimeUnit.SECONDS.toNanos(120);
        while (!node.httpOk(port, "/readyz")) {
            if (System.nanoTime() > end) {
                fail("ipamd not ready in 120 s:\n" + node.log(id));
            }
            Thread.sleep(20);
        }
        System.out.printf("ipamd container %s: start to /readyz %d ms%n", id,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return id;
    }

    private static String conflistName(ImageNode.Rendered chart) {
        String script = chart.configMaps().values().stream().flatMap(cm -> cm.getData().values().stream())
                .filter(s -> s.contains("--conf-file")).findFirst().orElseThrow();
        String after = script.substring(script.indexOf("--conf-file") + "--conf-file".length()).strip();
        return after.substring(0, after.indexOf(' '));
    }

    private static Process startPod(ImageNode node, String id) throws IOException {
        List<String> cmd = node.ctrCommand("run", "--rm", "--cni", BUSYBOX, id, "/bin/sh", "-c", "sleep 600");
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static void assertPings(ImageNode node, String pod, String ip) throws IOException, InterruptedException {
        String out = podExec(node, pod, "ping -c 2 -W 5 " + ip + " 2>&1; true");
        if (!out.contains("2 packets received")) {
            fail(pod + " does not reach " + ip + ":\n" + out + "\nnode rules:\n" + node.hostIp("rule")
                    + "\nnode routes:\n" + node.hostIp("route", "show", "table", "all") + "\n" + pod + ":\n"
                    + podExec(node, pod, "ip addr; ip route; ip neigh"));
        }
    }

    private static String podExec(ImageNode node, String pod, String sh) throws IOException, InterruptedException {
        return node.ctr("task", "exec", "--exec-id", "x" + suffix(), pod, "/bin/sh", "-c", sh);
    }

    /** Pod {@code pod}'s address once it runs (its network wired: see {@link ImageNode#awaitRunning}). */
    private static String waitForLease(ImageNode node, Path sock, String pod) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            Optional<LeaseStatus> l = leases(sock).stream().filter(x -> x.containerId().equals("default-" + pod))
                    .findFirst();
            if (l.isPresent()) {
                node.awaitRunning(pod, Duration.ofNanos(end - System.nanoTime()));
                return l.get().address();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no lease for " + pod + ": " + leases(sock));
    }

    private static List<LeaseStatus> leases(Path sock) throws IOException {
        return IpamdProcess.call(sock, Request.status()).status().leases();
    }

    private static NodeNetns.Result versionOf(Path plugin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(plugin.toString());
        pb.environment().put("CNI_COMMAND", "VERSION");
        Process p = pb.start();
        p.getOutputStream().write("{\"cniVersion\":\"1.0.0\"}".getBytes());
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        p.waitFor(60, TimeUnit.SECONDS);
        return new NodeNetns.Result(p.exitValue(), out, err);
    }

    private static boolean isEmpty(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return true;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static long count(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void waitFor(Check check, int seconds, String what) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!check.ok()) {
            if (System.nanoTime() > end) {
                fail("timed out after " + seconds + " s: " + what);
            }
            Thread.sleep(100);
        }
    }

    private static String suffix() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xfffffL);
    }
}
