package io.vpcipam.it.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vpcipam.it.IpamdProcess;
import io.vpcipam.it.cni.VpcFabric;
import io.vpcipam.protocol.Request;
import io.vpcipam.protocol.StatusInfo;
import io.vpcipam.protocol.StatusInfo.LeaseStatus;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Real pods on a real kubelet ({@link TestNode}), networked by our plugin (the built bundle, installed and configured
 * by install.sh as the chart's conflist step does) and ipamd (its jar, on the simulated cloud plugged into a
 * {@link VpcFabric}, against the real API server under the chart's ServiceAccount token), all in the node's network
 * namespace. The kubelet drives every ADD and DEL through containerd's CRI, so what is checked is what a cluster sees:
 * the Pod's status.podIP, the kubelet's DEL on delete (and its retries), ipamd's pod watch and lease collection.
 */
class KubeletPodsIT {

    static final String NETWORK = "vpc-ipam";

    @Test
    void realPods_podIpIsIpamdsLease_deleteReleasesThroughTheKubeletsDel_delsSpooledWhileIpamdIsDown_addressesKeptAcrossRestart_secondInterfaceReachesPodsAndTheInternet()
            throws Exception {
        TestNode.assumeReady();
        Path plugin = Path.of(System.getProperty("vpcipam.root", "..")).resolve("cni-shim/target/cni/install.sh")
                .toAbsolutePath().normalize();
        assumeTrue(Files.isExecutable(plugin), "the plugin bundle is not built: " + plugin);
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/iptables-restore")),
                "iptables is missing: bin/ci-packages.sh installs it");
        TestCluster cluster = SharedCluster.get();
        Path w = Files.createTempDirectory(Path.of("/tmp"), "vit-kpods");
        String ns = Kube.unique("vit");
        String nodeName = Kube.unique("vit-kpod");
        IpamdProcess ipamd = null;
        try (KubernetesClient admin = cluster.adminClient(); VpcFabric fabric = VpcFabric.create();
             TestNode node = TestNode.start(cluster, nodeName, Map.of("topology.kubernetes.io/zone", "us-east-1a",
                     "node.kubernetes.io/instance-type", "t3.medium"), "aws:///us-east-1a/i-0123456789abcdef0")) {
            String token = Chart.applyIdentity(admin);
            Kube.namespace(admin, ns);
            Map<String, String> env = new HashMap<>(Map.of(
                    "IPAMD_SIM_INSTANCE_TYPE", "t3.medium", // 3 interfaces x 6 addresses: pods 6+ on interface 2
                    "IPAMD_SIM_FABRIC_NETNS", fabric.fabric,
                    "WARM_IP_TARGET", "8",
                    "IPAMD_RECONCILE_INTERVAL", "1s",
                    "IP_COOLDOWN_PERIOD", "0",
                    "IPAMD_ADD_TIMEOUT", "20s",
                    "IPAMD_KUBERNETES", "true",
                    "NODE_NAME", nodeName,
                    "KUBECONFIG", cluster.kubeconfig("ipamd-" + nodeName, token).toString(),
                    "IPAMD_POD_GC_INTERVAL", "2s"));
            env.put("IPAMD_POD_GC_GRACE", "10s");
            Path state = w.resolve("ipamd");
            ipamd = startIpamd(node, state, env);

            // the node's OS: the primary interface's address and default route; only it may leave the VPC
            StatusInfo.InterfaceStatus primary = ipamd.call(Request.status()).status().interfaces().stream()
                    .filter(i -> i.deviceIndex() == 0).findFirst().orElseThrow();
            assertNotNull(primary.linkName(), "ipamd found no link for the primary interface:\n" + ipamd.log());
            node.ip("addr", "add", primary.primaryAddress() + "/20", "dev", primary.linkName());
            node.ip("route", "add", "default", "via", "10.0.0.1", "dev", primary.linkName());
            fabric.allowOut(primary.primaryAddress());

            // the chart's conflist step, with its defaults: the plugin, then the conflist (chain: portmap)
            node.linkDebianPlugins("portmap");
            Path cniLog = w.resolve("cni.log");
            TestCluster.run(w, plugin.toString(), "--bin-dir", node.cniBinDir().toString(), "--conf-dir",
                    node.cniConfDir().toString(), "--conf-file", "05-vpc-ipam.conflist", "--network", NETWORK,
                    "--socket", ipamd.socket().toString(), "--state-dir", ipamd.stateDir().toString(), "--log-file",
                    cniLog.toString(), "--mtu", "0", "--chain", "portmap");
            Duration ready = node.awaitReady(Duration.ofSeconds(180));

            // eight pods at once: each one's status.podIP is ipamd's lease for that very pod
            Map<String, Long> created = new TreeMap<>();
            for (int i = 0; i < 8; i++) {
                admin.pods().inNamespace(ns).resource(node.pod(ns, "p" + i, TestNode.sleeper())).create();
                created.put("p" + i, System.nanoTime());
            }
            Map<String, Long> toRunning = new TreeMap<>();
            Map<String, String> podIps = new TreeMap<>();
            for (String p : created.keySet()) {
                Pod running = node.awaitRunning(admin, ns, p, Duration.ofSeconds(240));
                toRunning.put(p, (System.nanoTime() - created.get(p)) / 1_000_000);
                podIps.put(p, running.getStatus().getPodIP());
            }
            Map<String, LeaseStatus> leases = leases(ipamd, ns);
            assertEquals(podIps.keySet(), leases.keySet(), "a lease per pod, named by K8S_POD_NAMESPACE/NAME");
            for (var e : podIps.entrySet()) {
                assertEquals(leases.get(e.getKey()).address(), e.getValue(), "pod " + e.getKey());
            }
            System.out.println("real node " + nodeName + ": Ready " + ready.toMillis() + " ms after the kubelet started (ipamd"
                    + " started and the conflist written meanwhile);"
                    + " pod create -> Running (8 at once) " + toRunning);

            // pods on the second interface reach each other, a pod on the primary, the VPC and the internet (SNAT)
            List<String> secondary = leases.values().stream().filter(l -> !l.interfaceId().equals(primary.id()))
                    .map(LeaseStatus::podName).sorted().toList();
            List<String> onPrimary = leases.values().stream().filter(l -> l.interfaceId().equals(primary.id()))
                    .map(LeaseStatus::podName).sorted().toList();
            assertTrue(secondary.size() >= 2 && !onPrimary.isEmpty(), "pods by interface: " + leases);
            String a = secondary.get(0);
            String b = secondary.get(1);
            reaches(node, ns, a, podIps.get(b));
            reaches(node, ns, b, podIps.get(a));
            reaches(node, ns, a, podIps.get(onPrimary.getFirst()));
            reaches(node, ns, a, VpcFabric.VPC_HOST);
            reaches(node, ns, b, VpcFabric.INTERNET_HOST);

            // a graceful delete: the kubelet's DEL releases the lease (not ipamd's collection of gone pods)
            String deleted = onPrimary.getFirst();
            admin.pods().inNamespace(ns).withName(deleted).delete();
            awaitGone(admin, ns, deleted, ipamd);
            assertFalse(ipamd.log().contains("pod " + ns + "/" + deleted + " "),
                    "released by the pod collector, not by the kubelet's DEL:\n" + ipamd.log());
            assertTrue(Files.readString(cniLog).contains("DEL " + NETWORK + "/"), Files.readString(cniLog));

            // a pod that ran to completion: the kubelet tears its sandbox down, and the lease goes with it
            admin.pods().inNamespace(ns).resource(new PodBuilder(node.pod(ns, "done", "/bin/busybox", "true"))
                    .editSpec().withRestartPolicy("Never").endSpec().build()).create();
            Kube.await(Duration.ofSeconds(240), () -> "Succeeded".equals(phase(admin, ns, "done")),
                    () -> "pod done: " + phase(admin, ns, "done") + "\n" + node.logs());
            IpamdProcess first = ipamd;
            Kube.await(Duration.ofSeconds(60), () -> !leases(first, ns).containsKey("done"),
                    () -> "the finished pod keeps its lease: " + leases(first, ns));
            String doneReleasedBy = releasedBy(ipamd.log(), ns, "done");

            // a forced delete (grace 0): the API object is gone at once, the sandbox a moment later
            String forced = onPrimary.get(1);
            admin.pods().inNamespace(ns).withName(forced).withGracePeriod(0).delete();
            awaitGone(admin, ns, forced, ipamd);
            String forcedReleasedBy = releasedBy(ipamd.log(), ns, forced);
            System.out.println("real node " + nodeName + ": finished pod's lease released by " + doneReleasedBy
                    + "; force-deleted pod's by " + forcedReleasedBy);

            // ipamd down (killed) while a pod is deleted: the kubelet's DELs succeed (spooled), the pod goes; a pod
            // created meanwhile waits; on restart the spool is applied once and the survivors keep their addresses
            Map<String, String> before = addresses(leases(ipamd, ns));
            ipamd.kill();
            String whileDown = onPrimary.get(2);
            java.util.Set<String> whileDownSandboxes = node.sandboxIds(ns, whileDown);
            admin.pods().inNamespace(ns).withName(whileDown).delete();
            Kube.await(Duration.ofSeconds(120), () -> admin.pods().inNamespace(ns).withName(whileDown).get() == null,
                    () -> "pod " + whileDown + " deleted while ipamd is down\n" + node.logs());
            admin.pods().inNamespace(ns).resource(node.pod(ns, "late", TestNode.sleeper())).create();
            Thread.sleep(5_000);
            assertEquals("Pending", phase(admin, ns, "late"), "no address without ipamd");
            String spoolLog = Files.readString(cniLog);
            ipamd = startIpamd(node, state, env);
            Pod late = node.awaitRunning(admin, ns, "late", Duration.ofSeconds(240));
            IpamdProcess up = ipamd;
            Kube.await(Duration.ofSeconds(60), () -> !leases(up, ns).containsKey(whileDown),
                    () -> "the DEL spooled while ipamd was down was not applied: " + leases(up, ns) + "\n" + up.log());
            assertTrue(ipamd.log().contains("applied spooled DEL"), ipamd.log());
            Map<String, LeaseStatus> after = leases(ipamd, ns);
            assertEquals(late.getStatus().getPodIP(), after.get("late").address());
            Map<String, String> kept = new TreeMap<>(before);
            kept.remove(whileDown);
            Map<String, String> afterAddresses = new TreeMap<>(addresses(after));
            afterAddresses.remove("late");
            assertEquals(kept, afterAddresses, "the pods that stayed keep their addresses across the restart");
            for (String p : kept.keySet()) {
                assertEquals(kept.get(p), admin.pods().inNamespace(ns).withName(p).get().getStatus().getPodIP(), p);
            }
            reaches(node, ns, a, podIps.get(b));
            reaches(node, ns, b, VpcFabric.INTERNET_HOST);
            List<String> dels = spoolLog.lines().filter(l -> whileDownSandboxes.stream()
                    .anyMatch(id -> l.contains("DEL " + NETWORK + "/" + id + "/"))).toList();
            assertFalse(dels.isEmpty(), "no DEL for " + whileDown + " " + whileDownSandboxes + ":\n" + spoolLog);
            System.out.println("real node " + nodeName + ": the kubelet's DELs for " + whileDown
                    + " while ipamd was down:\n  " + String.join("\n  ", dels));

            // ipamd's requests on this idle node: the watch serves the pods, nothing is polled
            Thread.sleep(10_000);
            Instant t0 = Instant.now();
            Thread.sleep(60_000);
            List<AuditLog.Entry> requests = AuditLog.by(cluster.auditLog(), Chart.user()).stream()
                    .filter(e -> !e.at().isBefore(t0) && !"watch".equals(e.verb())).toList();
            System.out.println("real node " + nodeName + ": ipamd made " + requests.size() + " requests in 60 s on the"
                    + " idle node: " + requests.stream().map(e -> e.verb() + " " + e.resource()).toList());
            assertTrue(requests.stream().noneMatch(e -> "list".equals(e.verb())), requests.toString());

            admin.namespaces().withName(ns).delete();
            admin.nodes().withName(nodeName).delete();
        } finally {
            if (ipamd != null) {
                ipamd.close();
            }
            TestCluster.deleteTree(w);
        }
    }

    static IpamdProcess startIpamd(TestNode node, Path state, Map<String, String> env)
            throws IOException, InterruptedException {
        return IpamdProcess.start("sim", state, env, Duration.ofSeconds(120), List.of("-Xmx128m"),
                List.of("nsenter", "--net=/run/netns/" + node.netns()));
    }

    /** ipamd's leases of this test's pods, by pod name. */
    static Map<String, LeaseStatus> leases(IpamdProcess ipamd, String ns) {
        try {
            return ipamd.call(Request.status()).status().leases().stream()
                    .filter(l -> ns.equals(l.podNamespace()))
                    .collect(Collectors.toMap(LeaseStatus::podName, l -> l, (x, y) -> {
                        throw new AssertionError("two leases for pod " + x.podName() + ": " + x + " " + y);
                    }, TreeMap::new));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, String> addresses(Map<String, LeaseStatus> leases) {
        Map<String, String> out = new TreeMap<>();
        leases.forEach((k, v) -> out.put(k, v.address()));
        return out;
    }

    static String phase(KubernetesClient admin, String ns, String pod) {
        Pod p = admin.pods().inNamespace(ns).withName(pod).get();
        return p == null || p.getStatus() == null ? null : p.getStatus().getPhase();
    }

    /** Waits until the pod is gone from the API server and its lease from ipamd. */
    static void awaitGone(KubernetesClient admin, String ns, String pod, IpamdProcess ipamd)
            throws InterruptedException {
        Kube.await(Duration.ofSeconds(120), () -> admin.pods().inNamespace(ns).withName(pod).get() == null
                && !leases(ipamd, ns).containsKey(pod), () -> "pod " + pod + " still there or leased: "
                + leases(ipamd, ns) + "\n" + ipamd.log());
    }

    /** Who released a pod's lease: ipamd's collection of gone pods (it logs the pod) or the kubelet's DEL. */
    static String releasedBy(String ipamdLog, String ns, String pod) {
        return ipamdLog.lines().filter(l -> l.contains("pod " + ns + "/" + pod + " ")).findFirst()
                .map(l -> "ipamd's pod collector (" + l.strip() + ")").orElse("the kubelet's DEL");
    }

    static void reaches(TestNode node, String ns, String pod, String address) throws Exception {
        int exit = node.inPod(ns, pod, "busybox", "ping", "-c", "2", "-W", "3", address);
        if (exit != 0) {
            List<String> diag = new ArrayList<>();
            for (String[] c : List.of(new String[] {"rule"}, new String[] {"route", "show", "table", "all"})) {
                diag.add(node.ip(c));
            }
            throw new AssertionError("pod " + pod + " does not reach " + address + ":\n" + String.join("\n", diag));
        }
    }
}
