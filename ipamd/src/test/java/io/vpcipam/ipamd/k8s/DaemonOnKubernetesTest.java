package io.vpcipam.ipamd.k8s;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.Daemon;
import io.vpcipam.ipamd.lease.LeaseKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole daemon, started from its environment as the chart starts it, with the mock API server. */
class DaemonOnKubernetesTest {

    static final String NODE = "node-1";

    @TempDir
    Path dir;
    MockApi api = new MockApi();
    Daemon daemon;

    @AfterEach
    void tearDown() {
        if (daemon != null) {
            daemon.close();
        }
        api.close();
    }

    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("IPAMD_PROVIDER", "sim");
        env.put("IPAMD_SOCKET", dir.resolve("ipamd.sock").toString());
        env.put("IPAMD_STATE_DIR", dir.resolve("state").toString());
        env.put("WARM_IP_TARGET", "2");
        env.put("IPAMD_KUBERNETES", "true");
        env.put("NODE_NAME", NODE);
        env.put("IPAMD_KUBERNETES_ENDPOINT", api.url());
        env.put("IPAMD_KUBERNETES_STARTUP_TIMEOUT", "1s");
        env.put("IPAMD_NODE_ANNOTATE_INTERVAL", "200ms");
        // the CRUD mock serves a pod watch on its single event loop, which stalls it on a loaded machine; the watch
        // is tested against a real API server (it module, IpamdOnApiServerIT / ApiServerOutageIT)
        env.put("IPAMD_POD_WATCH", "false");
        // the same for the watch of the Node (whether it is cordoned): tested in CordonOnApiServerIT
        env.put("AWS_MANAGE_ENIS_NON_SCHEDULABLE", "true");
        return env;
    }

    String annotation() {
        var node = api.admin().nodes().withName(NODE).get();
        var annotations = node.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(PoolAnnotation.KEY);
    }

    @Test
    void apiServerDownAtStart_daemonServesAnyway_andPublishesOnceItAnswers() throws Exception {
        api.admin().nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build())
                .create();
        api.down();
        Map<String, String> env = env();
        long start = System.nanoTime();
        daemon = Daemon.start(Config.fromEnv(env), env, InstantSource.system());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(10)) < 0);
        assertNotNull(daemon.kubernetes());
        assertNull(daemon.kubernetes().node());
        assertNotNull(daemon.pool().add(new LeaseKey("vpc-ipam", "c1", "eth0"), "/proc/1/ns/net", "ns", "p1",
                Duration.ofSeconds(10)));
        assertFalse(daemon.kubernetes().reachable());

        api.up();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (annotation() == null && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertNotNull(annotation(), "the pool is published once the API server answers");
        assertTrue(annotation().contains("\"assigned\":1"), annotation());
        assertTrue(daemon.kubernetes().reachable());
    }

    @Test
    void kubernetesOff_noIntegration() throws Exception {
        Map<String, String> env = env();
        env.put("IPAMD_KUBERNETES", "false");
        daemon = Daemon.start(Config.fromEnv(env), env, InstantSource.system());
        assertNull(daemon.kubernetes());
        assertEquals(0, daemon.pool().status().assigned());
    }

    /** The node as aws-node left it, in the sim's state file: {@code n} addresses on the primary. */
    java.util.List<io.vpcipam.provider.Ipv4Address> nodeWithAddresses(int n) throws Exception {
        var cloud = io.vpcipam.provider.sim.SimulatedCloud.builder().instanceType("c5.4xlarge")
                .stateFile(java.nio.file.Files.createDirectories(dir.resolve("state"))
                        .resolve(io.vpcipam.provider.sim.SimulatedCloud.STATE_FILE_NAME)).build();
        return cloud.assign(cloud.peekNode().primaryInterface().id(), n, 0).addresses();
    }

    void runningPod(String name, io.vpcipam.provider.Ipv4Address ip) {
        var pod = new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName(name)
                .withNamespace("shop").endMetadata().withNewSpec().withNodeName(NODE).endSpec().withNewStatus()
                .withPhase("Running");
        if (ip != null) {
            pod = pod.withPodIP(ip.toString()).addNewPodIP().withIp(ip.toString()).endPodIP();
        }
        api.admin().pods().inNamespace("shop").resource(pod.endStatus().build()).create();
    }

    /**
     * Better than aws-node where it is known to fail (#3019, #1967: in-use addresses handed out or released after
     * a restart that lost track of them; aws-node 1.12+ trusts its checkpoint alone): ipamd starts on a node whose
     * pods hold addresses it has no record of (aws-node wired them, or ipamd's state dir was lost). The addresses
     * the pods Kubernetes lists report are never handed out; the others are, once proven; a pod's address goes back
     * into the pool when the pod is gone.
     */
    @Test
    void takeover_podsHoldAddressesIpamdHasNoRecordOf_thoseAreNeverHandedOut_untilThePodIsGone() throws Exception {
        api.admin().nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build())
                .create();
        var theirs = nodeWithAddresses(6);
        runningPod("web-0", theirs.get(0));
        runningPod("web-1", theirs.get(1));
        Map<String, String> env = env();
        env.put("IP_COOLDOWN_PERIOD", "0");
        env.put("WARM_IP_TARGET", "1");
        env.put("IPAMD_RECONCILE_INTERVAL", "200ms");
        env.put("IPAMD_AWS_NODE_CHECKPOINT", "off");

        daemon = Daemon.start(Config.fromEnv(env), env, InstantSource.system());
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (daemon.pool().unproven().size() > 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }

        assertEquals(java.util.Set.of(theirs.get(0), theirs.get(1)), daemon.pool().unproven());
        java.util.Set<io.vpcipam.provider.Ipv4Address> given = new java.util.HashSet<>();
        for (int i = 0; i < 8; i++) {
            given.add(daemon.pool().add(new LeaseKey("vpc-ipam", "c" + i, "eth0"), "/proc/1/ns/net", "ns", "p" + i,
                    Duration.ofSeconds(10)).lease().address());
        }
        assertFalse(given.contains(theirs.get(0)) || given.contains(theirs.get(1)), "a running pod's address: " + given);
        assertTrue(given.containsAll(theirs.subList(2, 6)), "proven addresses serve pods: " + given);
        assertTrue(daemon.pool().status().leases().size() == 8);

        api.admin().pods().inNamespace("shop").withName("web-1").delete();
        deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (daemon.pool().unproven().size() > 1 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(java.util.Set.of(theirs.get(0)), daemon.pool().unproven());
    }

    @Test
    void takeover_aPodWithoutAnAddressYet_provesNothingUntilItReportsOne() throws Exception {
        api.admin().nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build())
                .create();
        var theirs = nodeWithAddresses(3);
        runningPod("starting", null);
        Map<String, String> env = env();
        env.put("IPAMD_RECONCILE_INTERVAL", "200ms");
        env.put("IPAMD_AWS_NODE_CHECKPOINT", "off");

        daemon = Daemon.start(Config.fromEnv(env), env, InstantSource.system());
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!daemon.adoption().reason().contains("report no address") && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }

        assertEquals(java.util.Set.copyOf(theirs), daemon.pool().unproven());
        assertTrue(daemon.adoption().reason().contains("shop/starting"), daemon.adoption().reason());
    }

    @Test
    void takeover_noKubernetes_awsNodesCheckpointAtItsConfiguredPath_provesWhatItDoesNotName() throws Exception {
        var theirs = nodeWithAddresses(4);
        java.nio.file.Path ipamJson = dir.resolve("aws-node").resolve("ipam.json");
        java.nio.file.Files.createDirectories(ipamJson.getParent());
        java.nio.file.Files.writeString(ipamJson, "{\"version\":\"vpc-cni-ipam/1\",\"allocations\":[{\"networkName\":"
                + "\"aws-cni\",\"containerID\":\"3f1c\",\"ifName\":\"eth0\",\"ipv4\":\"" + theirs.get(2)
                + "\",\"allocationTimestamp\":1690000000000000000,\"metadata\":{\"k8sPodNamespace\":\"shop\","
                + "\"k8sPodName\":\"web-0\",\"interfacesCount\":1}}]}");
        Map<String, String> env = env();
        env.put("IPAMD_KUBERNETES", "false");
        env.put("IPAMD_AWS_NODE_CHECKPOINT", ipamJson.toString());

        daemon = Daemon.start(Config.fromEnv(env), env, InstantSource.system());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (daemon.pool().unproven().size() > 1 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }

        assertEquals(java.util.Set.of(theirs.get(2)), daemon.pool().unproven());
        assertTrue(daemon.adoption().reason().contains("aws-node's checkpoint"), daemon.adoption().reason());
    }
}
