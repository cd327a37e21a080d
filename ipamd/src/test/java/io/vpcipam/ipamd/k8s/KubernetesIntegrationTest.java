package io.vpcipam.ipamd.k8s;

import com.fasterxml.jackson.jr.ob.JSON;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.pool.Reconciler;
import io.vpcipam.ipamd.pool.Targets;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.NetworkInterface;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The integration against the fabric8 mock API server in CRUD mode. */
class KubernetesIntegrationTest {

    static final String NODE = "ip-10-0-0-4.ec2.internal";
    static final Duration GRACE = Duration.ofMinutes(5);

    @TempDir
    Path dir;
    MockApi api;
    PoolNode node;
    KubernetesIntegration k8s;

    @BeforeEach
    void setUp() throws Exception {
        api = new MockApi();
        node = new PoolNode(dir, new Targets(6, 0, 0, 0, false, 0));
    }

    @AfterEach
    void tearDown() {
        if (k8s != null) {
            k8s.close();
        }
        node.close();
        api.close();
    }

    KubeSettings settings(Map<String, String> extra) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(Map.of("IPAMD_KUBERNETES", "true", "NODE_NAME", NODE,
                "IPAMD_POD_GC_GRACE", GRACE.toSeconds() + "s", "IPAMD_KUBERNETES_STARTUP_TIMEOUT", "1s"));
        env.putAll(extra);
        return KubeSettings.fromEnv(env);
    }

    KubernetesIntegration integration(Map<String, String> extra) throws Exception {
        k8s = KubernetesIntegration.over(api.client(), settings(extra), node.clock);
        return k8s;
    }

    void createNode(String zone, Map<String, String> extraLabels) {
        var labels = new java.util.HashMap<>(Map.of("topology.kubernetes.io/zone", zone,
                "node.kubernetes.io/instance-type", "m5.large", "kubernetes.io/os", "linux"));
        labels.putAll(extraLabels);
        api.admin().nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).withLabels(labels)
                .endMetadata().withNewSpec().withProviderID("aws:///" + zone + "/i-0123456789abcdef0").endSpec()
                .build()).create();
    }

    void createPod(String namespace, String name, String nodeName) {
        api.admin().pods().inNamespace(namespace).resource(new PodBuilder().withNewMetadata().withName(name)
                .withNamespace(namespace).endMetadata().withNewSpec().withNodeName(nodeName).endSpec()
                .withNewStatus().withPhase("Running").endStatus().build()).create();
    }

    Set<String> leasedPods() {
        return node.pool.status().leases().stream().map(Lease::podName).collect(Collectors.toSet());
    }

    // ---------------------------------------------------------------- node identity

    @Test
    void awaitNode_readsProviderIdZoneAndInstanceType_andHandsThemToTheProvider() throws Exception {
        createNode("us-east-1a", Map.of());
        integration(Map.of());
        NodeIdentity id = k8s.awaitNode().orElseThrow();
        assertEquals("i-0123456789abcdef0", id.instanceId());
        assertEquals("us-east-1a", id.zone());
        assertEquals("m5.large", id.instanceType());
        Map<String, String> env = k8s.providerEnv(Map.of("AWS_EC2_ENDPOINT", "http://127.0.0.1:5000"));
        assertEquals("i-0123456789abcdef0", env.get(NodeIdentity.ENV_INSTANCE_ID));
        assertEquals("us-east-1", env.get("AWS_REGION"));
        assertEquals("us-east-1a", env.get(NodeIdentity.ENV_ZONE));
        assertEquals("m5.large", env.get(NodeIdentity.ENV_INSTANCE_TYPE));
        assertEquals("aws:///us-east-1a/i-0123456789abcdef0", env.get(NodeIdentity.ENV_PROVIDER_ID));
        assertEquals("http://127.0.0.1:5000", env.get("AWS_EC2_ENDPOINT"));
    }

    @Test
    void providerEnv_neverOverridesWhatTheOperatorSet() throws Exception {
        createNode("us-east-1a", Map.of());
        integration(Map.of());
        k8s.awaitNode();
        Map<String, String> env = k8s.providerEnv(Map.of("IPAMD_INSTANCE_ID", "i-0fedcba9876543210",
                "AWS_REGION", "eu-west-1"));
        assertEquals("i-0fedcba9876543210", env.get("IPAMD_INSTANCE_ID"));
        assertEquals("eu-west-1", env.get("AWS_REGION"));
    }

    @Test
    void disagreements_nameWhatTheCloudContradicts() throws Exception {
        createNode("us-east-1b", Map.of());
        integration(Map.of());
        NodeIdentity id = k8s.awaitNode().orElseThrow();
        List<String> problems = id.disagreements(node.cloud.describeNode());
        // the simulated node is an m5.large in us-east-1a with its own instance id
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("zone label us-east-1b")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("providerID names instance i-0123456789abcdef0")));
    }

    @Test
    void awaitNode_apiServerDown_givesUpAfterTheStartupTimeout_andTheProviderEnvIsUnchanged() throws Exception {
        createNode("us-east-1a", Map.of());
        api.down();
        integration(Map.of());
        long start = System.nanoTime();
        assertTrue(k8s.awaitNode().isEmpty());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(5)) < 0);
        assertFalse(k8s.reachable());
        Map<String, String> env = Map.of("IPAMD_PROVIDER", "aws");
        assertEquals(env, k8s.providerEnv(env));
    }

    // ---------------------------------------------------------------- leases of gone pods

    @Test
    void collectLeases_afterRestart_keepsLeasesOfExistingPods_andReleasesGoneOnesAfterTheGrace() throws Exception {
        createNode("us-east-1a", Map.of());
        createPod("web", "alive", NODE);
        createPod("web", "moved", "some-other-node");
        createPod("batch", "done", NODE);
        api.admin().pods().inNamespace("batch").withName("done").editStatus(p -> new PodBuilder(p).editStatus()
                .withPhase("Succeeded").endStatus().build());
        node.reconciler.pass();
        node.add("c-alive", "web", "alive");
        node.add("c-gone", "web", "gone");
        node.add("c-moved", "web", "moved");
        node.add("c-done", "batch", "done");
        node.pool.add(new io.vpcipam.ipamd.lease.LeaseKey("vpc-ipam", "c-ctr", "eth0"), "/proc/1/ns/net", "", "",
                Duration.ofSeconds(2)); // a runtime that names no pod (ctr): never judged
        node.restart();
        assertEquals(5, node.pool.status().assigned(), "the checkpoint brought every lease back");

        integration(Map.of());
        k8s.attach(node.pool, node.reconciler);
        node.clock.advance(GRACE); // the leases are now old enough to be judged
        assertEquals(0, k8s.collectLeases(), "a pod first seen missing keeps its lease for the grace period");
        node.clock.advance(GRACE.minusSeconds(1));
        assertEquals(0, k8s.collectLeases());
        node.clock.advance(Duration.ofSeconds(1));
        assertEquals(3, k8s.collectLeases());
        assertEquals(Set.of("alive", ""), leasedPods());
        assertEquals(2, node.pool.status().assigned());
        assertEquals(3, node.pool.status().cooling(), "released addresses cool down as after a DEL");

        node.restart();
        k8s.attach(node.pool, node.reconciler);
        assertEquals(Set.of("alive", ""), leasedPods(), "the releases were checkpointed");
    }

    @Test
    void collectLeases_youngLease_isNotJudgedEvenIfItsPodIsNotListedYet() throws Exception {
        createNode("us-east-1a", Map.of());
        node.reconciler.pass();
        node.add("c1", "web", "just-scheduled");
        integration(Map.of());
        k8s.attach(node.pool, node.reconciler);
        for (int i = 0; i < 4; i++) {
            node.clock.advance(GRACE.dividedBy(4).minusSeconds(1));
            assertEquals(0, k8s.collectLeases());
        }
        assertEquals(Set.of("just-scheduled"), leasedPods());
    }

    @Test
    void collectLeases_podReappearsWithinTheGrace_keepsItsLease() throws Exception {
        createNode("us-east-1a", Map.of());
        node.reconciler.pass();
        node.add("c1", "web", "flaky");
        integration(Map.of());
        k8s.attach(node.pool, node.reconciler);
        node.clock.advance(GRACE);
        assertEquals(0, k8s.collectLeases());
        createPod("web", "flaky", NODE); // a stale list: the pod was there all along
        node.clock.advance(GRACE);
        assertEquals(0, k8s.collectLeases());
        node.clock.advance(GRACE);
        assertEquals(0, k8s.collectLeases());
        assertEquals(Set.of("flaky"), leasedPods());
    }

    @Test
    void collectLeases_apiServerDown_releasesNothing_poolKeepsServing_thenCatchesUp() throws Exception {
        createNode("us-east-1a", Map.of());
        node.reconciler.pass();
        node.add("c1", "web", "gone");
        integration(Map.of());
        k8s.attach(node.pool, node.reconciler);
        api.down();
        node.clock.advance(GRACE.multipliedBy(3));
        assertThrows(KubernetesClientException.class, () -> k8s.collectLeases());
        assertEquals(Set.of("gone"), leasedPods());
        assertNotNull(node.add("c2", "web", "new-pod").lease(), "ADD never waits on the API server");

        api.up();
        assertEquals(0, k8s.collectLeases(), "first answer: the grace period starts");
        node.clock.advance(GRACE);
        assertEquals(1, k8s.collectLeases());
        assertEquals(Set.of("new-pod"), leasedPods(), "new-pod's lease was too young to judge at the first answer");
        assertTrue(k8s.reachable());
    }

    // ---------------------------------------------------------------- custom networking

    void createNetworkConfig(String name, String subnet, List<String> groups, String zone) {
        Map<String, Object> spec = new java.util.HashMap<>(Map.of("subnet", subnet, "securityGroups", groups));
        if (zone != null) {
            spec.put("zone", zone);
        }
        GenericKubernetesResource r = new GenericKubernetesResourceBuilder()
                .withApiVersion(NetworkConfigs.GROUP + "/" + NetworkConfigs.VERSION).withKind(NetworkConfigs.KIND)
                .withNewMetadata().withName(name).endMetadata().build();
        r.setAdditionalProperty("spec", spec);
        api.admin().genericKubernetesResources(NetworkConfigs.CONTEXT).resource(r).create();
    }

    @Test
    void customNetworking_zoneConfig_putsNewInterfacesInItsSubnet() throws Exception {
        node.close();
        // m5.large: 9 secondary addresses per interface, so 15 warm addresses need a second interface
        node = new PoolNode(java.nio.file.Files.createDirectories(dir.resolve("warm15")),
                new Targets(15, 0, 0, 0, false, 0));
        String podSubnet = node.cloud.addSubnet(Cidr.parse("10.0.16.0/20"));
        createNode("us-east-1a", Map.of());
        createNetworkConfig("us-east-1a", podSubnet, List.of("sg-0pods"), "us-east-1a");
        integration(Map.of("IPAMD_CUSTOM_NETWORKING", "true"));
        k8s.awaitNode();
        k8s.attach(node.pool, node.reconciler);
        assertEquals(new Reconciler.Placement(podSubnet, List.of("sg-0pods")), node.reconciler.placement());

        node.reconciler.pass();
        List<NetworkInterface> created = node.cloud.describeNode().interfaces().stream()
                .filter(i -> i.deviceIndex() > 0).toList();
        assertFalse(created.isEmpty(), "the pool needed a second interface");
        created.forEach(i -> assertEquals(podSubnet, i.subnetId()));
    }

    @Test
    void customNetworking_nodeLabel_winsOverTheZone_andChangesAreFollowed() throws Exception {
        createNode("us-east-1a", Map.of(KubeSettings.DEFAULT_NETWORK_CONFIG_LABEL, "gpu-pods"));
        createNetworkConfig("us-east-1a", "subnet-0zone", List.of(), null);
        createNetworkConfig("gpu-pods", "subnet-0gpu", List.of("sg-0gpu"), null);
        createNetworkConfig("elsewhere", "subnet-0b", List.of(), "us-east-1b");
        integration(Map.of("IPAMD_CUSTOM_NETWORKING", "true"));
        k8s.awaitNode();
        k8s.attach(node.pool, node.reconciler);
        assertEquals("subnet-0gpu", node.reconciler.placement().podSubnetId());

        api.admin().nodes().withName(NODE).edit(n -> new NodeBuilder(n).editMetadata()
                .addToLabels(KubeSettings.DEFAULT_NETWORK_CONFIG_LABEL, "elsewhere").endMetadata().build());
        k8s.refreshNetworkConfig();
        assertEquals("subnet-0gpu", node.reconciler.placement().podSubnetId(),
                "a config for another zone is refused; the placement in force stays");

        api.admin().nodes().withName(NODE).edit(n -> new NodeBuilder(n).editMetadata()
                .removeFromLabels(KubeSettings.DEFAULT_NETWORK_CONFIG_LABEL).endMetadata().build());
        k8s.refreshNetworkConfig();
        assertEquals(new Reconciler.Placement("subnet-0zone", List.of()), node.reconciler.placement());

        api.admin().genericKubernetesResources(NetworkConfigs.CONTEXT).withName("us-east-1a").delete();
        k8s.refreshNetworkConfig();
        assertNull(node.reconciler.placement(), "no config: back to IPAMD_POD_SUBNET / the primary subnet");
    }

    @Test
    void customNetworking_apiServerDown_keepsThePlacementInForce() throws Exception {
        createNode("us-east-1a", Map.of());
        createNetworkConfig("us-east-1a", "subnet-0zone", List.of("sg-1"), null);
        integration(Map.of("IPAMD_CUSTOM_NETWORKING", "true"));
        k8s.awaitNode();
        k8s.attach(node.pool, node.reconciler);
        api.down();
        assertThrows(KubernetesClientException.class, () -> k8s.refreshNetworkConfig());
        assertEquals("subnet-0zone", node.reconciler.placement().podSubnetId());
    }

    // ---------------------------------------------------------------- the node annotation

    Map<String, Object> annotation() throws Exception {
        Node n = api.admin().nodes().withName(NODE).get();
        String v = n.getMetadata().getAnnotations() == null ? null
                : n.getMetadata().getAnnotations().get(PoolAnnotation.KEY);
        return v == null ? null : JSON.std.mapFrom(v);
    }

    @Test
    void publishPool_patchesTheNodeWithHeldFreeAndMaxPods_onlyWhenItChanged() throws Exception {
        createNode("us-east-1a", Map.of("keep", "me"));
        integration(Map.of());
        k8s.attach(node.pool, node.reconciler);
        assertFalse(k8s.publishPool(), "nothing to publish before the node is sized");
        node.reconciler.pass();
        assertTrue(k8s.publishPool());
        var status = node.pool.status();
        Map<String, Object> a = annotation();
        assertEquals(status.total(), a.get("held"));
        assertEquals(status.free(), a.get("free"));
        assertEquals(0, a.get("assigned"));
        assertEquals(27, a.get("podAddresses"), "m5.large: 3 interfaces x 9 secondary addresses");
        assertEquals(29, a.get("maxPods"), "as ipamd max-pods and eni-max-pods.txt: 27 + 2 host-network pods");
        assertFalse(k8s.publishPool(), "unchanged: no patch");
        k8s.instanceVcpus(2);
        assertFalse(k8s.publishPool(), "under the 110 cap of a 2-vCPU type: the same");

        node.add("c1", "web", "a");
        assertTrue(k8s.publishPool());
        assertEquals(1, annotation().get("assigned"));
        assertEquals("me", api.admin().nodes().withName(NODE).get().getMetadata().getLabels().get("keep"),
                "a merge patch leaves the rest of the Node alone");
    }

    @Test
    void publishPool_apiServerDown_catchesUpWhenItIsBack() throws Exception {
        createNode("us-east-1a", Map.of());
        integration(Map.of());
        k8s.attach(node.pool, node.reconciler);
        node.reconciler.pass();
        api.down();
        assertThrows(KubernetesClientException.class, () -> k8s.publishPool());
        assertNotNull(node.add("c1", "web", "a"));
        api.up();
        assertTrue(k8s.publishPool());
        assertEquals(1, annotation().get("assigned"));
    }

    @Test
    void pods_onThisNodeOnly_throughTheNodeNameSelector() {
        createPod("web", "here", NODE);
        createPod("web", "there", "other");
        List<Pod> pods = api.client().pods().inAnyNamespace().withField("spec.nodeName", NODE).list().getItems();
        assertEquals(List.of("here"), pods.stream().map(p -> p.getMetadata().getName()).toList());
    }

    // ---------------------------------------------------------------- what is logged, and what a failure means

    @Test
    void awaitNode_logsWhatItReadOffTheNode() throws Exception {
        createNode("us-east-1a", Map.of());
        integration(Map.of());
        try (LogCapture log = LogCapture.of(KubernetesIntegration.class.getName())) {
            k8s.awaitNode();
            assertEquals(List.of("Node " + NODE + ": providerID 'aws:///us-east-1a/i-0123456789abcdef0', zone"
                    + " 'us-east-1a', instance type 'm5.large' (instance i-0123456789abcdef0)"),
                    log.messages(Level.INFO));
        }
    }

    @Test
    void collectLeases_logsTheRealReasonOfEachRelease() throws Exception {
        createNode("us-east-1a", Map.of());
        createPod("web", "moved", "some-other-node");
        createPod("batch", "done", NODE);
        api.admin().pods().inNamespace("batch").withName("done").editStatus(p -> new PodBuilder(p).editStatus()
                .withPhase("Failed").endStatus().build());
        createPod("web", "hostnet", NODE);
        api.admin().pods().inNamespace("web").withName("hostnet").edit(p -> new PodBuilder(p).editSpec()
                .withHostNetwork(true).endSpec().build());
        node.reconciler.pass();
        node.add("c-gone", "web", "gone");
        node.add("c-moved", "web", "moved");
        node.add("c-done", "batch", "done");
        node.add("c-hostnet", "web", "hostnet");
        integration(Map.of());
        k8s.attach(node.pool, node.reconciler);
        node.clock.advance(GRACE);
        assertEquals(0, k8s.collectLeases());
        node.clock.advance(GRACE);
        try (LogCapture log = LogCapture.of(PodLeaseCollector.class.getName())) {
            assertEquals(4, k8s.collectLeases());
            String all = String.join("\n", log.messages(Level.INFO));
            assertTrue(all.contains("pod web/gone no longer exists"), all);
            assertTrue(all.contains("pod web/moved is now a pod on node some-other-node"), all);
            assertTrue(all.contains("pod batch/done has finished (phase Failed)"), all);
            assertTrue(all.contains("pod web/hostnet uses the host network"), all);
            assertEquals(1, all.split("is gone|no longer exists", -1).length - 1,
                    "only the deleted pod is said to be gone: " + all);
        }
    }

    @Test
    void forbidden_isLoggedOncePerVerbAndResource_withThePermission_andIsNotUnreachability() throws Exception {
        createNode("us-east-1a", Map.of());
        node.reconciler.pass();
        node.add("c1", "web", "a");
        api.deny("GET", "/api/v1/pods", "list", "pods");
        integration(Map.of("IPAMD_POD_GC_INTERVAL", "50ms", "IPAMD_NODE_ANNOTATE_INTERVAL", "0"));
        try (LogCapture log = LogCapture.of(KubernetesIntegration.class.getName())) {
            k8s.attach(node.pool, node.reconciler);
            k8s.start();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (api.requests("/api/v1/pods") < 5 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(api.requests("/api/v1/pods") >= 5, "lease collection kept asking");
            List<String> warnings = log.messages(Level.WARNING);
            assertEquals(1, warnings.size(), "once, not every tick: " + warnings);
            assertTrue(warnings.getFirst().contains("denied ipamd (403)") && warnings.getFirst()
                    .contains("needs verb 'list' on resource 'pods' in API group ''"), warnings.getFirst());
            assertTrue(k8s.reachable(), "a 403 is an answer: the API server is reachable");
            assertTrue(log.messages(Level.INFO).stream().noneMatch(m -> m.contains("reachable")),
                    "no unreachable/reachable-again flapping: " + log.messages(Level.INFO));
        }
    }

    @Test
    void classify_onlyTransportFailuresAndServerErrorsAreUnreachability() {
        assertEquals(ApiHealth.Failure.UNREACHABLE, ApiHealth.classify(
                new KubernetesClientException("connect", new java.net.ConnectException("refused"))));
        assertEquals(ApiHealth.Failure.UNREACHABLE, ApiHealth.classify(
                new KubernetesClientException("timeout", new java.net.http.HttpTimeoutException("timed out"))));
        assertEquals(ApiHealth.Failure.UNREACHABLE, ApiHealth.classify(
                new KubernetesClientException("unavailable", 503, null)));
        assertEquals(ApiHealth.Failure.DENIED, ApiHealth.classify(
                new KubernetesClientException("forbidden", 403, null)));
        assertEquals(ApiHealth.Failure.DENIED, ApiHealth.classify(
                new KubernetesClientException("unauthorized", 401, null)));
        assertEquals(ApiHealth.Failure.REFUSED, ApiHealth.classify(
                new KubernetesClientException("not found", 404, null)));
        assertEquals(ApiHealth.Failure.REFUSED, ApiHealth.classify(
                new KubernetesClientException("bug", new IllegalStateException("bad json"))));
    }

    @Test
    void hungPodList_holdsUpOnlyLeaseCollection_theAnnotationStillGoesOut() throws Exception {
        createNode("us-east-1a", Map.of());
        node.reconciler.pass();
        node.add("c1", "web", "a");
        api.stall("GET", "/api/v1/pods");
        // production-like: a hung call holds its thread for the whole request timeout
        try (KubernetesClient slow = new KubernetesClientBuilder().withConfig(new ConfigBuilder(
                MockApi.config(api.url())).withRequestTimeout(60_000).build()).build()) {
            k8s = KubernetesIntegration.over(slow, settings(Map.of("IPAMD_NODE_ANNOTATE_INTERVAL", "1s")),
                    node.clock);
            k8s.attach(node.pool, node.reconciler);
            k8s.start(); // lease collection runs at once and hangs; the annotation's first tick is within 5 s
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
            while (annotation() == null && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(1, annotation().get("assigned"), "the pool was published while the pod list hung");
            k8s.close();
            k8s = null;
        }
    }

    @Test
    void networkConfig_fabric8sUnstableVersionWarning_isSilenced() throws Exception {
        createNode("us-east-1a", Map.of());
        integration(Map.of("IPAMD_CUSTOM_NETWORKING", "true"));
        k8s.awaitNode();
        k8s.attach(node.pool, node.reconciler);
        assertFalse(java.util.logging.Logger.getLogger("io.fabric8.kubernetes.client.dsl.internal.VersionUsageUtils")
                .isLoggable(Level.WARNING), "our own CRD's v1alpha1 is not worth a warning at every start");
    }
}
