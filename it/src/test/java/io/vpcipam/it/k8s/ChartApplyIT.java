package io.vpcipam.it.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The chart as an operator installs it, against a real API server (validation, defaulting, admission): every value
 * set the helm tests render passes a server-side dry run, applies for real, and a second apply changes nothing.
 */
class ChartApplyIT {

    @TempDir
    Path tmp;

    @Test
    void everyValueSet_dryRunsAppliesAndReappliesAsANoOp_theDaemonSetPassesAdmission() throws Exception {
        TestCluster c = SharedCluster.get();
        List<Path> sets = new ArrayList<>();
        sets.add(null); // the defaults
        sets.addAll(Chart.valueSets());
        assertTrue(sets.size() >= 3, "defaults plus the helm tests' value sets: " + sets);
        try (KubernetesClient admin = c.adminClient()) {
            for (Path values : sets) {
                String name = values == null ? "defaults" : values.getFileName().toString();
                String ns = Kube.unique("vit-chart");
                Kube.namespace(admin, ns);
                // a value set that uses an existing service account names it; the operator creates it first
                admin.serviceAccounts().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model
                        .ServiceAccountBuilder().withNewMetadata().withName("existing-sa").endMetadata().build())
                        .create();
                Path manifest = tmp.resolve(name + ".rendered.yaml");
                Files.writeString(manifest, values == null ? Chart.yaml(ns) : Chart.yaml(ns, values));

                String dry = c.kubectl("apply", "--dry-run=server", "-f", manifest.toString());
                assertTrue(dry.contains("daemonset.apps/vpc-ipam created (server dry run)"), name + ":\n" + dry);

                String first = c.kubectl("apply", "-f", manifest.toString());
                assertTrue(first.contains("daemonset.apps/vpc-ipam created"), name + ":\n" + first);
                DaemonSet ds = admin.apps().daemonSets().inNamespace(ns).withName("vpc-ipam").get();
                assertEquals("system-node-critical", ds.getSpec().getTemplate().getSpec().getPriorityClassName(),
                        name + ": the pod template passed admission with its priority class");

                String second = c.kubectl("apply", "-f", manifest.toString());
                List<String> changed = second.lines().filter(l -> !l.isBlank() && !l.endsWith(" unchanged"))
                        .toList();
                assertEquals(List.of(), changed, name + ": a second apply must change nothing:\n" + second + "\n"
                        + c.kubectlOutput("apply", "-f", manifest.toString(), "-v=8").lines()
                                .filter(l -> l.contains("Request Body") && l.contains("PATCH") || l.contains("Request Body"))
                                .collect(java.util.stream.Collectors.joining("\n")));
                assertFalse(second.isBlank(), name);

                // the cluster-scoped objects (same names for every set) are overwritten by the next apply; deleting
                // the CRD would race the next test's re-create of it
                admin.namespaces().withName(ns).delete();
            }
        }
    }
}
