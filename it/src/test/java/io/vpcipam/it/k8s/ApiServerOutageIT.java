package io.vpcipam.it.k8s;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vpcipam.it.IpamdProcess;
import io.vpcipam.protocol.Request;
import io.vpcipam.protocol.StatusInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The API server hangs (SIGSTOP: connections stay open, nothing answers) and then restarts (same port, same etcd):
 * ipamd keeps serving ADDs throughout, publishes the pool again once it answers, and its pod watch reconnects.
 * Its own control plane, since it stops the API server.
 */
class ApiServerOutageIT {

    @TempDir
    Path tmp;

    @Test
    void apiServerHangsThenRestarts_addsKeepBeingServed_watchReconnects_goneLeasesStillCollected() throws Exception {
        try (TestCluster c = TestCluster.start(); KubernetesClient admin = c.adminClient()) {
            String token = Chart.applyIdentity(admin);
            String ns = Kube.unique("vit");
            String node = Kube.unique("vit-node");
            Kube.namespace(admin, ns);
            Kube.node(admin, node, "us-east-1a", Map.of());
            Kube.pod(admin, ns, "p1", node, false);
            try (IpamdProcess ipamd = IpamdProcess.start("sim", tmp.resolve("ipamd"), Map.of("IPAMD_KUBERNETES",
                    "true", "NODE_NAME", node, "KUBECONFIG", c.kubeconfig("ipamd", token).toString(),
                    "IPAMD_POD_GC_INTERVAL", "1s", "IPAMD_POD_GC_GRACE", "3s", "IPAMD_NODE_ANNOTATE_INTERVAL", "1s"),
                    Duration.ofSeconds(90))) {
                assertTrue(add(ipamd, ns, "p1"));
                Kube.await(Duration.ofSeconds(30), () -> assigned(admin, node) == 1, ipamd::log);
                Kube.await(Duration.ofSeconds(30), () -> watches(c, node, Instant.EPOCH) > 0, ipamd::log);

                c.freezeApiserver(true);
                long t = System.nanoTime();
                assertTrue(add(ipamd, ns, "p2"), "ADD while the API server hangs");
                assertTrue(System.nanoTime() - t < Duration.ofSeconds(5).toNanos(), "ADD never waits on it");
                Thread.sleep(3_000);
                c.freezeApiserver(false);
                Kube.await(Duration.ofSeconds(90), () -> assigned(admin, node) == 2, ipamd::log);

                c.stopApiserver();
                assertTrue(add(ipamd, ns, "p3"), "ADD while the API server is down");
                Thread.sleep(3_000);
                Instant restarted = Instant.now();
                c.startApiserver();
                System.out.println("kube-apiserver restarted, ready after " + c.apiserverStartup().toMillis() + " ms");
                Kube.await(Duration.ofSeconds(90), () -> watches(c, node, restarted) > 0,
                        () -> "the pod watch did not reconnect:\n" + ipamd.log());

                Kube.pod(admin, ns, "p4", node, false);
                assertTrue(add(ipamd, ns, "p4"));
                admin.pods().inNamespace(ns).withName("p1").withGracePeriod(0).delete();
                Kube.await(Duration.ofSeconds(60), () -> leased(ipamd).equals(Set.of("p4")),
                        () -> leased(ipamd) + "\n" + ipamd.log());
                Kube.await(Duration.ofSeconds(30), () -> assigned(admin, node) == 1, ipamd::log);
                String log = ipamd.log();
                assertTrue(log.contains("Kubernetes API server unreachable"), log);
                assertTrue(log.contains("Kubernetes API server reachable again"), log);
            }
        }
    }

    static boolean add(IpamdProcess ipamd, String ns, String pod) throws IOException {
        return ipamd.call(Request.add("vpc-ipam", "c-" + pod, "eth0", "/proc/1/ns/net", ns, pod)).ok();
    }

    static Set<String> leased(IpamdProcess ipamd) {
        try {
            return ipamd.call(Request.status()).status().leases().stream().map(StatusInfo.LeaseStatus::podName)
                    .collect(Collectors.toSet());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long watches(TestCluster c, String node, Instant since) {
        return AuditLog.by(c.auditLog(), Chart.user()).stream().filter(e -> e.verb().equals("watch"))
                .filter(e -> e.uri().contains(node) && !e.at().isBefore(since)).count();
    }

    static int assigned(KubernetesClient admin, String node) {
        try {
            Node n = admin.nodes().withName(node).get();
            String v = n == null || n.getMetadata().getAnnotations() == null ? null
                    : n.getMetadata().getAnnotations().get("vpc-ipam.io/pool");
            return v == null ? -1 : ((Number) JSON.std.mapFrom(v).get("assigned")).intValue();
        } catch (IOException | RuntimeException e) {
            return -1; // the API server is away
        }
    }
}
