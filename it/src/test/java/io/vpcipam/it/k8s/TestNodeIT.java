package io.vpcipam.it.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The real node itself (containerd with CRI + the kubelet, see {@link TestNode}), networked by Debian's ptp and
 * host-local: it registers, is Ready once it has a CNI config, runs a pod the node can reach, and leaves nothing
 * behind, not even after its containerd died under a running pod.
 */
class TestNodeIT {

    @Test
    void kubeletNode_registersReadyWithACniConfig_runsAPod_andCloseLeavesNothingEvenAfterContainerdDied()
            throws Exception {
        TestNode.assumeReady();
        TestCluster cluster = SharedCluster.get();
        String ns = Kube.unique("vit");
        String nodeName = Kube.unique("vit-knode");
        TestNode node = null;
        try (KubernetesClient admin = cluster.adminClient()) {
            Kube.namespace(admin, ns);
            try {
                node = TestNode.start(cluster, nodeName, Map.of("topology.kubernetes.io/zone", "us-east-1a"),
                        "aws:///us-east-1a/i-0123456789abcdef0");
                assertFalse(TestNode.ready(admin.nodes().withName(nodeName).get()), "Ready with no CNI config");
                assertEquals("aws:///us-east-1a/i-0123456789abcdef0",
                        admin.nodes().withName(nodeName).get().getSpec().getProviderID());
                assertEquals("us-east-1a", admin.nodes().withName(nodeName).get().getMetadata().getLabels()
                        .get("topology.kubernetes.io/zone"));

                node.linkDebianPlugins("ptp", "host-local");
                Files.writeString(node.cniConfDir().resolve("10-vit-ptp.conflist"), """
                        {"cniVersion":"1.0.0","name":"vit-ptp","plugins":[{"type":"ptp","ipMasq":false,
                         "ipam":{"type":"host-local","subnet":"10.99.0.0/24","dataDir":"%s"}}]}
                        """.formatted(node.dir().resolve("host-local")));
                Duration ready = node.awaitReady(Duration.ofSeconds(180));

                long t0 = System.nanoTime();
                admin.pods().inNamespace(ns).resource(node.pod(ns, "p1", TestNode.sleeper())).create();
                Pod running = node.awaitRunning(admin, ns, "p1", Duration.ofSeconds(180));
                long toRunning = (System.nanoTime() - t0) / 1_000_000;
                String ip = running.getStatus().getPodIP();
                assertTrue(ip.startsWith("10.99.0."), ip);
                assertEquals(0, node.inPod(ns, "p1", "busybox", "ip", "-4", "addr", "show", "eth0"));
                assertEquals(0, TestNode.status(node.dir(), "ip", "netns", "exec", node.netns(), "busybox", "ping",
                        "-c", "1", "-W", "5", ip), "the node reaches its pod");
                System.out.println("real node " + nodeName + ": registered " + node.registered().toMillis()
                        + " ms, Ready " + ready.toMillis() + " ms after the kubelet started; pod create -> Running "
                        + toRunning + " ms");

                // the runtime dies under a running pod: close() must still stop everything
                long sandbox = node.sandboxPid(ns, "p1");
                Path w = node.dir();
                String netns = node.netns();
                ProcessHandle.of(node.containerdPid()).orElseThrow().destroyForcibly();
                node.close();
                node = null;
                assertFalse(ProcessHandle.of(sandbox).isPresent(), "the pod's sandbox process outlived the node");
                assertFalse(Files.exists(w), "work dir left: " + w);
                assertFalse(Files.exists(Path.of("/run/netns", netns)), "netns left: " + netns);
                assertFalse(Files.readString(Path.of("/proc/mounts")).contains(w.toString()), "a mount under " + w);
                assertEquals(List.of(), leftovers(w), "processes left");
            } finally {
                if (node != null) {
                    node.close();
                }
                admin.nodes().withName(nodeName).delete();
                admin.namespaces().withName(ns).delete();
            }
        }
    }

    /** Processes whose command line still names the node's work dir. */
    private static List<String> leftovers(Path w) {
        return ProcessHandle.allProcesses().map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains(w.toString())).toList();
    }
}
