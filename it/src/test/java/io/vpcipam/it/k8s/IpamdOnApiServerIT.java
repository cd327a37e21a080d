package io.vpcipam.it.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.vpcipam.it.IpamdProcess;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * ipamd (its real jar, in its own process, on the simulated cloud) against a real kube-apiserver, authenticated
 * with a bound token of the chart's ServiceAccount and authorized by nothing but the chart's rendered ClusterRole.
 * The audit log shows what ipamd really asked and what the server decided.
 */
class IpamdOnApiServerIT extends OnApiServer {

    IpamdOnApiServerIT() {
        super("vit");
    }

    /** ipamd with fast collection of gone pods and pool annotation, and {@code extra} on top. */
    @Override
    IpamdProcess startIpamd(Map<String, String> extra) throws IOException, InterruptedException {
        Map<String, String> env = new HashMap<>(Map.of("IPAMD_POD_GC_INTERVAL", "1s", "IPAMD_POD_GC_GRACE", "3s",
                "IPAMD_NODE_ANNOTATE_INTERVAL", "1s"));
        env.putAll(extra);
        return super.startIpamd(env);
    }

    Map<String, Object> poolAnnotation() {
        Node n = admin.nodes().withName(nodeName).get();
        String v = n.getMetadata().getAnnotations() == null ? null
                : n.getMetadata().getAnnotations().get("vpc-ipam.io/pool");
        try {
            return v == null ? Map.of() : JSON.std.mapFrom(v);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    void networkConfig(String name, String subnet) {
        GenericKubernetesResource r = new GenericKubernetesResourceBuilder().withApiVersion("vpc-ipam.io/v1alpha1")
                .withKind("NetworkConfig").withNewMetadata().withName(name).addToLabels("vit-test", ns).endMetadata()
                .build();
        r.setAdditionalProperty("spec", Map.of("subnet", subnet, "securityGroups", List.of("sg-0" + name)));
        admin.genericKubernetesResources(NETWORK_CONFIGS).resource(r).create();
    }

    @Test
    void chartsClusterRole_nodeRead_poolPublished_leasesOfGonePodsCollectedWithTheirReason() throws Exception {
        Kube.node(admin, nodeName, "us-east-1a", Map.of());
        Kube.pod(admin, ns, "alive", nodeName, false);
        Kube.pod(admin, ns, "moved", "some-other-node", false);
        Kube.pod(admin, ns, "finished", nodeName, false);
        admin.pods().inNamespace(ns).withName("finished").editStatus(p -> new PodBuilder(p).editOrNewStatus()
                .withPhase("Succeeded").endStatus().build());
        Kube.pod(admin, ns, "hostnet", nodeName, true);
        Kube.pod(admin, ns, "deleted", nodeName, false);
        Instant t0 = Instant.now().minusSeconds(1);
        startIpamd(Map.of());
        for (String pod : List.of("alive", "moved", "finished", "hostnet", "deleted")) {
            assertTrue(add(pod).ok(), pod);
        }
        admin.pods().inNamespace(ns).withName("deleted").withGracePeriod(0).delete();

        Kube.await(Duration.ofSeconds(60), () -> leasedPods().equals(Set.of("alive")),
                () -> "leases " + leasedPods() + "\n" + ipamd.log());
        Kube.await(Duration.ofSeconds(30), () -> Integer.valueOf(1).equals(poolAnnotation().get("assigned")),
                () -> "annotation " + poolAnnotation());
        String log = ipamd.log();
        assertTrue(log.contains("Node " + nodeName + ": providerID 'aws:///us-east-1a/i-0123456789abcdef0', zone"
                + " 'us-east-1a', instance type 'c5.4xlarge'"), log);
        assertTrue(log.contains("pod " + ns + "/deleted no longer exists"), log);
        assertTrue(log.contains("pod " + ns + "/moved is now a pod on node some-other-node"), log);
        assertTrue(log.contains("pod " + ns + "/finished has finished (phase Succeeded)"), log);
        assertTrue(log.contains("pod " + ns + "/hostnet uses the host network"), log);
        assertFalse(log.contains("unstable version"), log);
        assertFalse(log.contains("denied") || log.contains("unreachable"), log);

        List<AuditLog.Entry> requests = ipamdRequests(t0);
        assertFalse(requests.isEmpty());
        requests.stream().filter(e -> !e.verb().equals("watch")) // a watch's decision is logged when it ends
                .forEach(e -> assertEquals("allow", e.decision(), "every request allowed by the chart's role: " + e));
        assertTrue(requests.stream().anyMatch(e -> e.permission().equals("watch pods")
                        && e.uri().contains("spec.nodeName%3D" + nodeName)),
                "pods are watched with the node's field selector: " + requests + "\n" + ipamd.log());
    }

    @Test
    void customNetworking_byZone_thenByNodeLabel_andEveryGrantedVerbIsUsed() throws Exception {
        String zone = Kube.unique("vit-zone");
        Kube.node(admin, nodeName, zone, Map.of());
        networkConfig(zone, "subnet-0zone");
        String gpu = Kube.unique("vit-gpu");
        networkConfig(gpu, "subnet-0gpu");
        Instant t0 = Instant.now().minusSeconds(1);
        startIpamd(Map.of("IPAMD_CUSTOM_NETWORKING", "true", "IPAMD_NETWORK_CONFIG_INTERVAL", "1s"));
        Kube.await(Duration.ofSeconds(30), () -> ipamd.log().contains("NetworkConfig " + zone
                + " puts new interfaces in subnet-0zone"), () -> ipamd.log());

        admin.nodes().withName(nodeName).edit(n -> new NodeBuilder(n).editMetadata()
                .addToLabels("vpc-ipam.io/network-config", gpu).endMetadata().build());
        Kube.await(Duration.ofSeconds(30), () -> ipamd.log().contains("NetworkConfig " + gpu
                + " puts new interfaces in subnet-0gpu"), () -> ipamd.log());

        assertTrue(add("gone").ok()); // a lease whose pod never existed: listed, watched, then read by name
        Kube.await(Duration.ofSeconds(60), () -> leasedPods().isEmpty(), () -> ipamd.log());
        Kube.await(Duration.ofSeconds(30), () -> Integer.valueOf(0).equals(poolAnnotation().get("assigned")),
                () -> "annotation " + poolAnnotation());

        Set<String> used = ipamdRequests(t0).stream().map(AuditLog.Entry::permission)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> granted = new TreeSet<>();
        for (HasMetadata o : Chart.render()) {
            if (o instanceof ClusterRole role) {
                for (PolicyRule r : role.getRules()) {
                    for (String group : r.getApiGroups()) {
                        for (String resource : r.getResources()) {
                            for (String verb : r.getVerbs()) {
                                granted.add(verb + " " + (group.isEmpty() ? "" : group + "/") + resource);
                            }
                        }
                    }
                }
            }
        }
        // an idle, healthy node writes no Event: EventsOnApiServerIT proves those two verbs are used, on a starving node
        assertTrue(granted.removeAll(Set.of("create events", "patch events")), granted
                + " lacks the Events");
        assertEquals(granted, used, "the ClusterRole grants exactly the verbs ipamd uses");
    }

    @Test
    void networkConfigSchema_isEnforcedByTheServer() {
        GenericKubernetesResource noSubnet = new GenericKubernetesResourceBuilder()
                .withApiVersion("vpc-ipam.io/v1alpha1").withKind("NetworkConfig").withNewMetadata()
                .withName(Kube.unique("vit-bad")).addToLabels("vit-test", ns).endMetadata().build();
        noSubnet.setAdditionalProperty("spec", Map.of("securityGroups", List.of("sg-1")));
        KubernetesClientException e = assertThrows(KubernetesClientException.class,
                () -> admin.genericKubernetesResources(NETWORK_CONFIGS).resource(noSubnet).create());
        assertEquals(422, e.getCode());
        assertTrue(e.getMessage().contains("spec.subnet"), e.getMessage());

        GenericKubernetesResource badGroups = new GenericKubernetesResourceBuilder()
                .withApiVersion("vpc-ipam.io/v1alpha1").withKind("NetworkConfig").withNewMetadata()
                .withName(Kube.unique("vit-bad")).addToLabels("vit-test", ns).endMetadata().build();
        badGroups.setAdditionalProperty("spec", Map.of("subnet", "subnet-1", "securityGroups", List.of(7)));
        e = assertThrows(KubernetesClientException.class,
                () -> admin.genericKubernetesResources(NETWORK_CONFIGS).resource(badGroups).create());
        assertEquals(422, e.getCode());
        assertTrue(e.getMessage().contains("securityGroups"), e.getMessage());
    }

    /**
     * The figure that scales with cluster size: what one idle ipamd (running pods, no churn, default intervals)
     * asks of the API server per minute, counted from the audit log over two minutes.
     */
    @Test
    void idleNode_requestsPerMinute_fromTheAuditLog() throws Exception {
        Kube.node(admin, nodeName, "us-east-1a", Map.of());
        for (String pod : List.of("web-1", "web-2", "web-3")) {
            Kube.pod(admin, ns, pod, nodeName, false);
        }
        startIpamd(Map.of("IPAMD_POD_GC_INTERVAL", "60s", "IPAMD_POD_GC_GRACE", "5m",
                "IPAMD_NODE_ANNOTATE_INTERVAL", "60s"));
        for (String pod : List.of("web-1", "web-2", "web-3")) {
            assertTrue(add(pod).ok(), pod);
        }
        Thread.sleep(30_000); // start-up (Node read, first list, watch, warm pool, annotation) is not "idle"
        Instant from = Instant.now();
        Duration window = Duration.ofMinutes(2);
        Thread.sleep(window.toMillis());
        Instant to = Instant.now();
        List<AuditLog.Entry> idle = ipamdRequests(from).stream().filter(e -> e.at().isBefore(to))
                .filter(e -> e.uri().contains(nodeName) || e.resource().equals("pods")).toList();
        double perMinute = idle.size() / (window.toMillis() / 60_000.0);
        System.out.printf("ipamd on an idle node: %d API requests in %s = %.2f per minute: %s%n", idle.size(),
                window, perMinute, idle.stream().map(AuditLog.Entry::permission).toList());
        // the pods come from the watch: an idle node lists nothing; what remains is an annotation patch (fabric8
        // reads the Node before it) when the pool's counts change, which they may while the warm pool settles
        assertEquals(List.of(), idle.stream().filter(e -> e.verb().equals("list")).toList(),
                "an idle node must not poll its pods");
        assertTrue(idle.stream().allMatch(e -> e.permission().equals("get nodes")
                || e.permission().equals("patch nodes") || e.verb().equals("watch")), idle.toString());
        assertEquals(Set.of("web-1", "web-2", "web-3"), leasedPods());
    }
}
