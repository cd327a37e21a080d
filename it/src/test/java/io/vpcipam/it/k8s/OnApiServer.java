package io.vpcipam.it.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.vpcipam.it.IpamdProcess;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.protocol.StatusInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The set-up of the tests that run one ipamd (its jar, on the simulated cloud) against the shared real API server
 * as the chart runs it: a bound token of the chart's ServiceAccount (the chart's identity and CRD applied), a Node
 * name and a namespace of the test's own. Each test says what it proves and how its ipamd differs
 * ({@link #startIpamd}'s extra environment); afterwards ipamd is stopped and the Node, its Events, the namespace and
 * the NetworkConfigs labelled {@code vit-test=<namespace>} are deleted, so tests sharing the server see nothing of
 * each other.
 */
abstract class OnApiServer {

    static final ResourceDefinitionContext NETWORK_CONFIGS = new ResourceDefinitionContext.Builder()
            .withGroup("vpc-ipam.io").withVersion("v1alpha1").withKind("NetworkConfig").withPlural("networkconfigs")
            .withNamespaced(false).build();

    private final String prefix;
    @TempDir
    Path tmp;
    TestCluster cluster;
    KubernetesClient admin;
    /** A bound token of the chart's ServiceAccount. */
    String token;
    String ns;
    String nodeName;
    /** The running ipamd, or null. */
    IpamdProcess ipamd;

    /** {@code prefix}: the start of this test's namespace and Node names. */
    OnApiServer(String prefix) {
        this.prefix = prefix;
    }

    @BeforeEach
    final void connect() throws Exception {
        cluster = SharedCluster.get();
        admin = cluster.adminClient();
        token = Chart.applyIdentity(admin);
        ns = Kube.unique(prefix);
        nodeName = Kube.unique(prefix + "-node");
        Kube.namespace(admin, ns);
    }

    @AfterEach
    final void cleanUp() {
        if (ipamd != null) {
            ipamd.close();
        }
        if (admin == null || nodeName == null) {
            // skipped (no Kubernetes binaries) or failed before the test had anything on the server
            if (admin != null) {
                admin.close();
            }
            return;
        }
        admin.nodes().withName(nodeName).delete();
        admin.v1().events().inNamespace("default").withField("involvedObject.name", nodeName).delete();
        admin.namespaces().withName(ns).delete();
        admin.genericKubernetesResources(NETWORK_CONFIGS).withLabel("vit-test", ns).delete();
        admin.close();
    }

    /** Starts ipamd for this test's Node under the chart's token, with {@code extra} environment on top. */
    IpamdProcess startIpamd(Map<String, String> extra) throws IOException, InterruptedException {
        Map<String, String> env = new HashMap<>(Map.of("IPAMD_KUBERNETES", "true", "NODE_NAME", nodeName,
                "KUBECONFIG", cluster.kubeconfig("ipamd-" + nodeName, token).toString()));
        env.putAll(extra);
        ipamd = IpamdProcess.start("sim", tmp.resolve("ipamd"), env, Duration.ofSeconds(90));
        return ipamd;
    }

    /** The plugin's ADD for pod {@code pod} of this test's namespace. */
    Reply add(String pod) throws IOException {
        return ipamd.call(Request.add("vpc-ipam", "c-" + pod, "eth0", "/proc/1/ns/net", ns, pod));
    }

    /** The pods ipamd holds a lease for. */
    Set<String> leasedPods() {
        try {
            StatusInfo s = ipamd.call(Request.status()).status();
            return s.leases().stream().map(StatusInfo.LeaseStatus::podName).collect(Collectors.toSet());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** ipamd's requests (the chart's ServiceAccount's) since {@code since}, from the audit log. */
    List<AuditLog.Entry> ipamdRequests(Instant since) {
        return AuditLog.by(cluster.auditLog(), Chart.user()).stream().filter(e -> !e.at().isBefore(since)).toList();
    }
}
