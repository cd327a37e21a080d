package io.vpcipam.it.k8s;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The repo's chart (helm/vpc-ipam), rendered by the real Helm library, as release vpc-ipam in kube-system. */
public final class Chart {

    /** The release's namespace. */
    public static final String NAMESPACE = "kube-system";

    private Chart() {
    }

    /** The value sets the helm module's tests render (helm/src/test/resources/values). */
    public static List<Path> valueSets() throws java.io.IOException {
        try (var s = java.nio.file.Files.list(dir().resolveSibling("src/test/resources/values"))) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    /** The chart's directory. */
    public static Path dir() {
        return Path.of(System.getProperty("vpcipam.root", "..")).resolve("helm/vpc-ipam").toAbsolutePath().normalize();
    }

    /** The rendered manifests as YAML. */
    public static String yaml(Path... valuesFiles) {
        return yaml(NAMESPACE, valuesFiles);
    }

    /** The rendered manifests as YAML, for a release in {@code namespace}. */
    public static String yaml(String namespace, Path... valuesFiles) {
        TemplateCommand t = new Helm(dir()).template().withName("vpc-ipam").withNamespace(namespace);
        for (Path f : valuesFiles) {
            t = t.withValuesFile(f);
        }
        return t.call();
    }

    /** The rendered manifests, parsed. */
    public static List<HasMetadata> render(Path... valuesFiles) {
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : yaml(valuesFiles).split("(?m)^---\\s*$")) {
            if (doc.lines().anyMatch(l -> !l.isBlank() && !l.trim().startsWith("#"))) {
                out.add(Serialization.unmarshal(doc));
            }
        }
        return out;
    }

    /**
     * Applies what ipamd's identity needs (ServiceAccount, ClusterRole, ClusterRoleBinding, the CRD) exactly as
     * rendered, waits for the CRD to be served, and returns a bound token of the chart's service account.
     */
    public static String applyIdentity(KubernetesClient admin) throws InterruptedException {
        String sa = null;
        for (HasMetadata o : render()) {
            if (o instanceof ServiceAccount || o instanceof ClusterRole || o instanceof ClusterRoleBinding
                    || o instanceof CustomResourceDefinition) {
                admin.resource(o).createOr(NonDeletingOperation::update);
            }
            if (o instanceof ServiceAccount s) {
                sa = s.getMetadata().getName();
            }
            if (o instanceof CustomResourceDefinition crd) {
                admin.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                        .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions().stream()
                                .anyMatch(k -> "Established".equals(k.getType()) && "True".equals(k.getStatus())),
                                30, TimeUnit.SECONDS);
            }
        }
        if (sa == null) {
            throw new IllegalStateException("the chart rendered no ServiceAccount");
        }
        return Tokens.mint(admin, NAMESPACE, sa);
    }

    /** The user name the API server sees for the chart's service account. */
    public static String user() {
        return "system:serviceaccount:" + NAMESPACE + ":vpc-ipam";
    }
}
