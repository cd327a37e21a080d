package io.vpcipam.it.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vpcipam.it.IpamdProcess;
import io.vpcipam.it.host.Containerd;
import io.vpcipam.it.host.Host;
import io.vpcipam.protocol.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real runtime drives the plugin: Debian's containerd 1.6 with {@code ctr run --rm --cni}, a
 * private containerd (own root, state and socket) and a hand-built OCI image of busybox-static.
 * ctr has no flag for CNI dirs, so the plugin is installed (by our install.sh) into /opt/cni/bin
 * and the conflist into /etc/cni/net.d; the test removes exactly what it added. ctr runs inside
 * a private node netns, so the container's host side never touches the machine's network.
 */
class ContainerdIT {

    private static final String IMAGE = "docker.io/library/vit-busybox:1";
    private static final Path BIN = Path.of("/opt/cni/bin");
    private static final Path CONF_DIR = Path.of("/etc/cni/net.d");
    private static final String CONF_FILE = "00-vit-vpc-ipam.conflist";

    @TempDir
    Path tmp;

    @Test
    void ctrRunCni_wiresTheContainer_itPingsAPod_andRmLeavesNothing() throws Exception {
        NodeNetns.assumeRoot();
        for (String tool : List.of("/usr/bin/containerd", "/usr/bin/ctr", "/usr/sbin/runc")) {
            assumeTrue(Files.isExecutable(Path.of(tool)), tool + " is missing: bin/ci-packages.sh installs it");
        }
        assumeFalse(Files.exists(BIN.resolve("vpc-ipam")), "/opt/cni/bin/vpc-ipam exists already; not replacing it");
        List<Path> created = new ArrayList<>();
        for (Path p : List.of(Path.of("/opt/cni"), BIN, Path.of("/etc/cni"), CONF_DIR, Path.of("/var/lib/cni"),
                Path.of("/run/containerd"))) {
            if (!Files.exists(p)) {
                created.add(p);
            }
        }
        Path w = Files.createTempDirectory(Path.of("/tmp"), "vit-ctrd");
        Containerd containerd = null;
        try (IpamdProcess ipamd = IpamdProcess.start("sim", tmp.resolve("ipamd"), Map.of(), Duration.ofSeconds(60));
             NodeNetns n = NodeNetns.create()) {
            Path dist = NodeNetns.plugin().getParent();
            Host.sh(dist.resolve("install.sh").toString(), "--bin-dir", BIN.toString(), "--conf-dir",
                    CONF_DIR.toString(), "--conf-file", CONF_FILE, "--network", "vitctr", "--socket",
                    ipamd.socket().toString(), "--state-dir", ipamd.stateDir().toString(), "--log-file",
                    w.resolve("cni.log").toString(), "--chain", "portmap bandwidth tuning");

            containerd = Containerd.start(w.resolve("ctrd"), w.resolve("config.toml"), null, List.of(), "",
                    w.resolve("containerd.log"), Duration.ofSeconds(10));
            String ctr = String.join(" ", containerd.ctr());
            Host.sh("sh", "-c", ctr + " images import " + buildImage(w));

            // Pod b, wired straight by the plugin in the same node: the container pings it.
            String b = n.pod("b");
            String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"vitctr\",\"type\":\"vpc-ipam\",\"ipamdSocket\":\""
                    + ipamd.socket() + "\",\"stateDir\":\"" + ipamd.stateDir() + "\",\"logFile\":\"" + w.resolve("cni.log") + "\"}";
            NodeNetns.Result rb = n.cni("ADD", "pod-b", "/run/netns/" + b, conf, Map.of());
            assertEquals(0, rb.exit(), rb.stdout());
            String ipB = CniNetnsIT.address(rb.stdout());

            String out = Host.sh("nsenter", "--net=/run/netns/" + n.node, "sh", "-c", ctr
                    + " run --rm --cni --fifo-dir " + w.resolve("fifo") + " " + IMAGE + " vit1 /bin/sh -c "
                    + "'ip -4 addr show eth0; ip route; ping -c 2 -W 2 " + ipB + "'");
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
            if (containerd != null) {
                containerd.close();
            }
            Host.unmountBelow(w);
            Host.status("rm", "-rf", w.toString());
            Host.status(NodeNetns.plugin().getParent().resolve("install.sh").toString(), "--uninstall",
                    "--bin-dir", BIN.toString(), "--conf-dir", CONF_DIR.toString(), "--conf-file", CONF_FILE);
            Host.status("sh", "-c", "rm -f /var/lib/cni/results/vitctr-*");
            for (Path p : created.reversed()) {
                Host.status("rm", "-rf", p.toString());
            }
        }
    }

    /** An OCI image layout tar with /bin/busybox (Debian's busybox-static) and its sh applet. */
    static Path buildImage(Path w) throws Exception {
        return BusyboxImage.write(w, IMAGE, List.of("/bin/sh"));
    }
}
