package io.vpcipam.it.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;

import java.util.List;

/** The harness itself: a real API server with RBAC, TokenRequest-minted bound tokens and an audit log. */
class TestClusterIT {

    @Test
    void apiserver_startsReady_rbacDeniesAnUnboundServiceAccount_andTheAuditLogSaysSo() throws Exception {
        TestCluster c = SharedCluster.get();
        String ns = "vit-" + Long.toHexString(System.nanoTime());
        try (KubernetesClient admin = c.adminClient()) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                    .create();
            admin.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata()
                    .withName("nobody").endMetadata().build()).create();
            String token = Tokens.mint(admin, ns, "nobody");
            try (KubernetesClient nobody = c.client(token)) {
                KubernetesClientException e = assertThrows(KubernetesClientException.class,
                        () -> nobody.pods().inAnyNamespace().list());
                assertEquals(403, e.getCode(), e.getMessage());
            }
            assertTrue(c.kubectl("get", "namespace", ns, "-o", "name").contains("namespace/" + ns));
            String user = "system:serviceaccount:" + ns + ":nobody";
            List<AuditLog.Entry> denied = AuditLog.by(c.auditLog(), user);
            assertEquals(List.of("list pods 403"), denied.stream()
                    .map(e -> e.verb() + " " + e.resource() + " " + e.code()).toList());
            admin.namespaces().withName(ns).delete();
        }
        System.out.println("kube-apiserver ready " + c.apiserverStartup().toMillis() + " ms after start");
    }
}
