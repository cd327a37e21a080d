package io.vpcipam.ipamd.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.vpcipam.ipamd.pool.Reconciler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Custom networking, in the spirit of the AWS CNI's ENIConfig: a cluster-scoped {@code NetworkConfig}
 * ({@code vpc-ipam.io/v1alpha1}) names the subnet and security groups for the pod interfaces of the nodes that use it.
 *
 * <p>Which one a node uses: the one named by the node's annotation {@code networkConfigAnnotation}
 * (ENI_CONFIG_ANNOTATION_DEF; default: the label's key), else its label {@code networkConfigLabel} (default
 * {@code vpc-ipam.io/network-config}; set it to {@code topology.kubernetes.io/zone} for one config per zone, as
 * with ENI_CONFIG_LABEL_DEF); with neither, the one named as the node's zone. A config whose
 * {@code spec.zone} is set and is not the node's zone is refused: an interface cannot be created in another zone's
 * subnet, and finding that out from the cloud would cost a failed call per pass.
 *
 * <pre>
 * apiVersion: vpc-ipam.io/v1alpha1
 * kind: NetworkConfig
 * metadata: {name: us-east-1a}
 * spec: {subnet: subnet-0abc, securityGroups: [sg-1, sg-2], zone: us-east-1a}
 * </pre>
 */
public final class NetworkConfigs {

    /** The CRD's API group. */
    public static final String GROUP = "vpc-ipam.io";
    /** The CRD's version. */
    public static final String VERSION = "v1alpha1";
    /** The CRD's kind. */
    public static final String KIND = "NetworkConfig";
    /** The CRD's plural. */
    public static final String PLURAL = "networkconfigs";
    /** How the client addresses the CRD (cluster-scoped). */
    public static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
            .withGroup(GROUP).withVersion(VERSION).withKind(KIND).withPlural(PLURAL).withNamespaced(false).build();

    /**
     * fabric8 warns at every start that the client uses "unstable version v1alpha1" of networkconfigs: that is this
     * CRD's own version, chosen on purpose, and nothing an operator can act on. Held here so the level sticks.
     */
    static final Logger FABRIC8_VERSION_WARNINGS =
            Logger.getLogger("io.fabric8.kubernetes.client.dsl.internal.VersionUsageUtils");

    static {
        FABRIC8_VERSION_WARNINGS.setLevel(Level.SEVERE);
    }

    /** What was found for a node. */
    public sealed interface Resolution {
        /** A config applies: its name and the placement it gives. */
        record Found(String name, Reconciler.Placement placement) implements Resolution {
        }

        /** No config names this node (the settings' subnet and security groups apply). */
        record None(String why) implements Resolution {
        }

        /** A config was found but cannot be used; the placement in force is kept. */
        record Invalid(String name, String why) implements Resolution {
        }
    }

    private NetworkConfigs() {
    }

    /** The config's name for this node, or null when nothing names one. */
    static String nameFor(NodeIdentity node, String labelKey, String annotationKey) {
        String named = node.annotations().get(annotationKey);
        if (named == null || named.isBlank()) {
            named = node.labels().get(labelKey);
        }
        if (named == null || named.isBlank()) {
            named = node.zone();
        }
        return named == null || named.isBlank() ? null : named;
    }

    /** Looks the node's config up; throws KubernetesClientException when the API server cannot be asked. */
    public static Resolution resolve(KubernetesClient client, NodeIdentity node, String labelKey,
                                     String annotationKey) {
        String name = nameFor(node, labelKey, annotationKey);
        if (name == null) {
            return new Resolution.None("node " + node.nodeName() + " has no " + labelKey + " label and no zone");
        }
        GenericKubernetesResource config = client.genericKubernetesResources(CONTEXT).withName(name).get();
        if (config == null) {
            return new Resolution.None("no NetworkConfig " + name);
        }
        return parse(name, config.getAdditionalProperties().get("spec"), node.zone());
    }

    static Resolution parse(String name, Object specObject, String nodeZone) {
        if (!(specObject instanceof Map<?, ?> spec)) {
            return new Resolution.Invalid(name, "no spec");
        }
        if (!(spec.get("subnet") instanceof String subnet) || subnet.isBlank()) {
            return new Resolution.Invalid(name, "spec.subnet must name a subnet");
        }
        if (spec.get("zone") instanceof String zone && !zone.isBlank() && !nodeZone.isEmpty()
                && !zone.equals(nodeZone)) {
            return new Resolution.Invalid(name, "spec.zone is " + zone + " but the node is in " + nodeZone);
        }
        List<String> groups = new ArrayList<>();
        Object sgs = spec.get("securityGroups");
        if (sgs instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof String s) || s.isBlank()) {
                    return new Resolution.Invalid(name, "spec.securityGroups must be a list of security group ids");
                }
                groups.add(s.trim());
            }
        } else if (sgs != null) {
            return new Resolution.Invalid(name, "spec.securityGroups must be a list of security group ids");
        }
        return new Resolution.Found(name, new Reconciler.Placement(subnet.trim(), groups));
    }
}
