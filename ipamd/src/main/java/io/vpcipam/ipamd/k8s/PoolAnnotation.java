package io.vpcipam.ipamd.k8s;

import com.fasterxml.jackson.jr.ob.JSON;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.vpcipam.ipamd.pool.PoolStatus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Publishes the pool on the Node as the annotation {@value #KEY}, a JSON object:
 * {@code {"held":N,"assigned":N,"free":N,"cooling":N,"podAddresses":N,"maxPods":N}}, where podAddresses is how many
 * pods with VPC addresses this node can really serve at its cloud limits (interfaces x slots, with MAX_ENI), and
 * maxPods is kubelet's --max-pods by the formula of {@code ipamd max-pods} (the EKS calculator) over that figure:
 * podAddresses + 2 host-network pods, capped at 110 (up to 30 vCPUs) or 250 when the instance type's vCPUs are
 * known.
 *
 * <p>A JSON merge patch (the mock server and every API server take it; no field manager). Patched only when the
 * value changed, and at most once per timer tick, so a busy node does not turn pod churn into API-server writes.
 * A failed patch is retried at the next tick (the last published value is only remembered on success).
 */
final class PoolAnnotation {

    /** The annotation's key. */
    static final String KEY = "vpc-ipam.io/pool";

    private final KubernetesClient client;
    private final String nodeName;
    private String published;

    PoolAnnotation(KubernetesClient client, String nodeName) {
        this.client = client;
        this.nodeName = nodeName;
    }

    /** The annotation's value for this pool. */
    static String render(PoolStatus s, int vcpus) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("held", s.total());
        v.put("assigned", s.assigned());
        v.put("free", s.free());
        v.put("cooling", s.cooling());
        v.put("podAddresses", s.capacity());
        v.put("maxPods", io.vpcipam.ipamd.pool.PoolMath.kubeletMaxPods(s.capacity(), vcpus));
        return json(v);
    }

    /**
     * Patches the Node if the value changed.
     *
     * @return whether a patch was sent
     * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server cannot be asked
     */
    boolean publish(PoolStatus status, int vcpus) {
        if (status.capacity() == 0) {
            return false; // the reconciler has not sized the node yet: maxPods 0 would mislead
        }
        String value = render(status, vcpus);
        if (value.equals(published)) {
            return false;
        }
        String patch = json(Map.of("metadata", Map.of("annotations", Map.of(KEY, value))));
        client.nodes().withName(nodeName).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
        published = value;
        return true;
    }

    private static String json(Object o) {
        try {
            return JSON.std.asString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
