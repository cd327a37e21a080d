package io.vpcipam.it.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vpcipam.it.IpamdProcess;
import io.vpcipam.it.host.Host;
import io.vpcipam.protocol.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real runtime drives the plugin: Debian's containerd 1.6 with {@code ctr run --rm --cni}, a
 * private containerd (own root, state and socket) and a hand-built OCI image of busybox-static.
 * ctr has no flag for CNI dirs, so the plugin is installed (by our install.sh, run on the node) into
 * /opt/cni/bin and the conflist into /etc/cni/net.d of an {@link ImageNode}: those paths, /var/lib/cni
 * and /run/containerd are the node's own (its private mount namespace), and ctr runs in the node's
 * network namespace, so neither the machine's files nor its network are touched.
 */
class ContainerdIT {

    private static final String IMAGE = "docker.io/library/vit-busybox:1";
    private static final String CONF_FILE = "00-vit-vpc-ipam.conflist";

    @TempDir
    Path tmp;

    @Test
    void ctrRunCni_wiresTheContainer_itPingsAPod_andRmLeavesNothing() throws Exception {
        NodeNetns.assumeRoot();
        for (String tool : List.of("/usr/bin/containerd", "/usr/bin/ctr", "/usr/sbin/runc", "/usr/bin/unshare")) {
            assumeTrue(Files.isExecutable(Path.of(tool)), tool + " is missing: bin/ci-packages.sh installs it");
        }
        Path w = Files.createTempDirectory(Path.of("/tmp"), "vit-ctrd");
        try (IpamdProcess ipamd = IpamdProcess.start("sim", tmp.resolve("ipamd"), Map.of(), Duration.ofSeconds(60));
             ImageNode node = ImageNode.start(w)) {
            NodeNetns n = node.nodeNetns();
            Path dist = NodeNetns.plugin().getParent();
            node.onNode(dist.resolve("install.sh").toString(), "--bin-dir", "/opt/cni/bin", "--conf-dir",
                    "/etc/cni/net.d", "--conf-file", CONF_FILE, "--network", "vitctr", "--socket",
                    ipamd.socket().toString(), "--state-dir", ipamd.stateDir().toString(), "--log-file",
                    w.resolve("cni.log").toString(), "--chain", "portmap bandwidth tuning");
            node.importImage(buildImage(w));

            // Pod b, wired straight by the plugin in the same node: the container pings it.
            String b = n.pod("b");
            String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"vitctr\",\"type\":\"vpc-ipam\",\"ipamdSocket\":\""
                    + ipamd.socket() + "\",\"stateDir\":\"" + ipamd.stateDir() + "\",\"logFile\":\"" + w.resolve("cni.log") + "\"}";
            NodeNetns.Result rb = n.cni("ADD", "pod-b", "/run/netns/" + b, conf, Map.of());
            assertEquals(0, rb.exit(), rb.stdout());
            String ipB = CniNetnsIT.address(rb.stdout());

            String out = node.ctr("run", "--rm", "--cni", "--fifo-dir", w.resolve("fifo").toString(), IMAGE, "vit1",
                    "/bin/sh", "-c", "ip -4 addr show eth0; ip route; ping -c 2 -W 2 " + ipB);
            assertTrue(out.contains("inet 10.0."), out);
            assertTrue(out.contains("default via 169.254.1.1"), out);
            assertTrue(out.contains("2 packets received"), out);

            // --rm ran DEL with an empty CNI_NETNS: no veth but pod b's, one lease left.
            String links = n.ip("link");
            assertEquals(1, links.lines().filter(l -> l.contains(": vpc")).count(), links);
            var leases = ipamd.call(Request.status()).status().leases();
            assertEquals(1, leases.size(), leases.toString());
            assertEquals("pod-b", leases.getFirst().containerId());
            String log = Files.readString(w.resolve("cni.log"));
            assertTrue(log.contains("ADD vitctr/default-vit1/eth0: added"), log);
            assertTrue(log.contains("DEL vitctr/default-vit1/eth0: released"), log);
            assertEquals(0, n.cni("DEL", "pod-b", "", conf, Map.of()).exit());
        } finally {
            Host.status("rm", "-rf", w.toString());
        }
    }

    /** An OCI image layout tar with /bin/busybox (Debian's busybox-static) and its sh applet. */
    static Path buildImage(Path w) throws Exception {
        return BusyboxImage.write(w, IMAGE, List.of("/bin/sh"));
    }
}
