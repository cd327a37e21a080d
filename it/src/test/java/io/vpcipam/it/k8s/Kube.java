package io.vpcipam.it.k8s;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Objects and waits the real-API-server tests share. */
final class Kube {

    private Kube() {
    }

    /** A name no other test (or run) uses. */
    static String unique(String prefix) {
        return prefix + "-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    }

    static void namespace(KubernetesClient admin, String name) {
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .create();
    }

    /** A Node as a cloud node registers itself: providerID, zone and instance-type labels. */
    static Node node(KubernetesClient admin, String name, String zone, Map<String, String> extraLabels) {
        Map<String, String> labels = new HashMap<>(Map.of("topology.kubernetes.io/zone", zone,
                "node.kubernetes.io/instance-type", "c5.4xlarge", "kubernetes.io/os", "linux"));
        labels.putAll(extraLabels);
        return admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).withLabels(labels)
                .endMetadata().withNewSpec().withProviderID("aws:///" + zone + "/i-0123456789abcdef0").endSpec()
                .build()).create();
    }

    /** A pod bound to {@code nodeName} (no scheduler runs here). */
    static Pod pod(KubernetesClient admin, String namespace, String name, String nodeName, boolean hostNetwork) {
        return admin.pods().inNamespace(namespace).resource(new PodBuilder().withNewMetadata().withName(name)
                .endMetadata().withNewSpec().withNodeName(nodeName).withHostNetwork(hostNetwork).addNewContainer()
                .withName("c").withImage("busybox").endContainer().endSpec().build()).create();
    }

    /** Polls {@code ok} every 100 ms until it holds; fails with {@code what} after {@code timeout}. */
    static void await(Duration timeout, BooleanSupplier ok, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what.get());
            }
            Thread.sleep(100);
        }
    }
}
