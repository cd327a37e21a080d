package io.vpcipam.it.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.it.IpamdProcess;
import io.vpcipam.protocol.Request;
import io.vpcipam.protocol.StatusInfo.LeaseStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * chart's install-cni, ipamd and conflist containers from {@code helm template}, then pods through
 * {@code ctr run --cni} with the installed plugin and the written conflist, then an ipamd roll.
 */
class ImageNodeIT {

    private static final String BUSYBOX = "docker.io/library/vit-busybox:1";

    @Test
    void chartContainersFromTheImage_podsGetVpcAddressesAndPing_ipamdRollKeepsLeasesAndAppliesTheSpooledDel()
            throws Exception {
        ImageNode.assumeReady();
        Path w = Files.createTempDirectory(Path.of("/tmp"), "vit-image");
        List<Process> pods = new ArrayList<>();
        try (ImageNode node = ImageNode.start(w)) {
            Path run = w.resolve("host/run"), state = w.resolve("host/state"), log = w.resolve("host/log");
            Path values = w.resolve("values.yaml");
            // the chart's defaults but the simulated cloud, host dirs under the work dir, and no API server (the
            // Kubernetes side is tested against a real one elsewhere)
            Files.writeString(values, """
                    provider: sim
                    host: {runDir: %s, stateDir: %s, logDir: %s}
                    extraEnv:
                      - {name: IPAMD_KUBERNETES, value: "false"}
                    """.formatted(run, state, log));
            ImageNode.Rendered chart = ImageNode.Rendered.of(ImageNode.chart(), values);
            String image = chart.container("ipamd").getImage();
            String conflistName = conflistName(chart);

            List<String> images = node.importImage(ImageNode.imageTar());
            assertTrue(images.contains(image), "the chart's image " + image + " is what the build made: " + images);

            // privileged init step: loose rp_filter on the interface holding the default route (the node's primary)
            node.hostIp("link", "add", "vprim0", "type", "veth", "peer", "name", "vprim1");
            node.hostIp("link", "set", "vprim0", "up");
            node.hostIp("addr", "add", "192.0.2.2/24", "dev", "vprim0");
            node.hostIp("route", "add", "default", "via", "192.0.2.1", "dev", "vprim0");
            node.inHostNet("sh", "-c", "echo 1 > /proc/sys/net/ipv4/conf/vprim0/rp_filter; "
                    + "echo 1 > /proc/sys/net/ipv4/conf/vprim1/rp_filter");
            node.run(chart, "host-sysctl", false);
            assertEquals(0, node.inHostNet("grep", "-qx", "2", "/proc/sys/net/ipv4/conf/vprim0/rp_filter"),
                    "host-sysctl set the primary's rp_filter to loose");
            assertEquals(0, node.inHostNet("grep", "-qx", "1", "/proc/sys/net/ipv4/conf/vprim1/rp_filter"),
                    "host-sysctl left the other interfaces alone");

            // init container: the plugin into the host's CNI bin dir, no conflist yet
            node.run(chart, "install-cni", false);
            assertTrue(Files.isExecutable(node.cniBinDir().resolve("vpc-ipam")));
            assertTrue(Files.isRegularFile(node.cniBinDir().resolve("vpc-ipam.d/vpc-ipam.aot")));
            assertTrue(isEmpty(node.cniConfDir()), "no conflist before ipamd is ready");
            // the installed plugin runs on the host with its AOT cache valid (a stale one makes the JVM warn)
            NodeNetns.Result version = versionOf(node.cniBinDir().resolve("vpc-ipam"));
            assertEquals(0, version.exit(), version.stderr());
            assertTrue(version.stdout().contains("supportedVersions"), version.stdout());
            assertEquals("", version.stderr(), "the plugin's JVM said something: is the AOT cache stale?");

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

            // two pods through ctr run --cni: VPC addresses from ipamd, and they ping each other
            NodeNetns.sh("sh", "-c", String.join(" ", node.ctrCommand("images", "import", ContainerdIT.buildImage(
                    Files.createDirectories(w.resolve("busybox"))).toString())));
            String a = "pod-a-" + suffix(), b = "pod-b-" + suffix();
            pods.add(startPod(node, a));
            pods.add(startPod(node, b));
            Path sock = run.resolve("ipamd.sock");
            String ipA = waitForLease(sock, a), ipB = waitForLease(sock, b);
            assertTrue(ipA.startsWith("10.0.") && ipB.startsWith("10.0."), ipA + " " + ipB + " in the sim's VPC");
            assertNotEquals(ipA, ipB);
            String eth0 = podExec(node, a, "ip -4 addr show eth0");
            assertTrue(eth0.contains("inet " + ipA + "/32"), eth0);
            assertPings(node, a, ipB);
            assertPings(node, b, ipA);

            // roll ipamd: stop it; pod b goes while it is down (its DEL is spooled); a new ipamd from the same image
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

            // the new ipamd serves: pod c gets an address and reaches pod a
            String c = "pod-c-" + suffix();
            pods.add(startPod(node, c));
            String ipC = waitForLease(sock, c);
            assertPings(node, c, ipA);
            for (String p : List.of(a, c)) {
                node.ctr("task", "kill", "-s", "SIGKILL", p);
            }
            for (Process p : pods) {
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            }
            waitFor(() -> leases(sock).isEmpty(), 30, "every pod's DEL released its lease");
            assertNotEquals("", ipC);
            node.stop(ipamd2, 10);

            // the chart README's uninstall step, from the image with the node's root at /host (kubectl debug node)
            node.runWithHostRoot(image, "/bin/sh", "-c", "/opt/vpc-ipam/cni/install.sh --uninstall"
                    + " --bin-dir /host/opt/cni/bin --conf-dir /host/etc/cni/net.d --conf-file " + conflistName
                    + " && rm -rf /host" + state + " /host" + log + " /host" + run);
            assertTrue(isEmpty(node.cniBinDir()), "the plugin is gone from the host's CNI bin dir");
            assertTrue(isEmpty(node.cniConfDir()), "the conflist is gone");
            for (Path p : List.of(state, log, run)) {
                assertTrue(Files.notExists(p), p + " is gone");
            }
        } finally {
            for (Process p : pods) {
                p.destroyForcibly();
            }
            // the containers' and the plugin's logs, for a failure's report
            Path keep = Path.of(System.getProperty("java.io.tmpdir"), "image-node-logs");
            NodeNetns.status("rm", "-rf", keep.toString());
            NodeNetns.status("mkdir", "-p", keep.toString());
            NodeNetns.status("sh", "-c", "cp -r " + w.resolve("logs") + " " + w.resolve("host/log") + " " + keep
                    + " 2>/dev/null; cp " + w.resolve("host/state") + "/*.log " + keep + " 2>/dev/null; true");
            NodeNetns.status("rm", "-rf", w.toString());
        }
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

    private static String waitForLease(Path sock, String pod) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            Optional<LeaseStatus> l = leases(sock).stream().filter(x -> x.containerId().equals("default-" + pod))
                    .findFirst();
            if (l.isPresent()) {
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
