package io.vpcipam.it.k8s;

import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/** Bound service-account tokens, minted with TokenRequest as the kubelet mints them for a pod. */
public final class Tokens {

    private Tokens() {
    }

    /** A one-hour token for service account {@code namespace/name}. */
    public static String mint(KubernetesClient admin, String namespace, String name) {
        TokenRequest request = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build();
        return admin.serviceAccounts().inNamespace(namespace).withName(name).tokenRequest(request).getStatus()
                .getToken();
    }
}
