package io.vpcipam.ipamd.k8s;

import io.fabric8.kubernetes.api.model.Node;
import io.vpcipam.provider.NodeInfo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the Node object says about the machine: the cloud's providerID and the well-known topology and instance-type
 * labels. ipamd hands it to the provider as environment variables before the provider is created (the SPI stays
 * as it is): with the instance id and region known, the AWS provider needs no instance metadata for them. The
 * cloud stays the truth: after the provider's own describe, {@link #disagreements} lists what the labels got wrong.
 *
 * @param nodeName     the Node's name
 * @param providerId   spec.providerID, or ""
 * @param zone         topology.kubernetes.io/zone (or the deprecated failure-domain label), or ""
 * @param instanceType node.kubernetes.io/instance-type (or the deprecated beta label), or ""
 * @param labels       all labels, for custom networking
 * @param annotations  all annotations, for custom networking
 */
public record NodeIdentity(String nodeName, String providerId, String zone, String instanceType,
                           Map<String, String> labels, Map<String, String> annotations) {

    /** Set for every provider: the Node's providerID. */
    public static final String ENV_PROVIDER_ID = "IPAMD_NODE_PROVIDER_ID";
    /** Set for every provider: the Node's zone label. */
    public static final String ENV_ZONE = "IPAMD_NODE_ZONE";
    /** Set for every provider: the Node's instance-type label. */
    public static final String ENV_INSTANCE_TYPE = "IPAMD_NODE_INSTANCE_TYPE";
    /** Read by the AWS provider: with it, no instance metadata is needed for the instance id. */
    public static final String ENV_INSTANCE_ID = "IPAMD_INSTANCE_ID";

    /** Kubernetes' providerID for EC2: aws:///us-east-1a/i-0abc (the zone part may be empty). */
    private static final Pattern AWS_PROVIDER_ID = Pattern.compile("aws:///([a-z0-9-]*)/(i-[0-9a-f]{8,32})");
    /** An AWS availability zone in a region (not a Local or Wavelength Zone): the region is the zone less its letter. */
    private static final Pattern AWS_ZONE = Pattern.compile("([a-z]{2}(-[a-z]+)+-\\d+)[a-z]");

    public NodeIdentity {
        providerId = providerId == null ? "" : providerId;
        zone = zone == null ? "" : zone;
        instanceType = instanceType == null ? "" : instanceType;
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    /** Reads the identity off a Node object. */
    public static NodeIdentity of(Node node) {
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        Map<String, String> annotations = node.getMetadata().getAnnotations() == null
                ? Map.of() : node.getMetadata().getAnnotations();
        String zone = labels.getOrDefault("topology.kubernetes.io/zone",
                labels.getOrDefault("failure-domain.beta.kubernetes.io/zone", ""));
        String type = labels.getOrDefault("node.kubernetes.io/instance-type",
                labels.getOrDefault("beta.kubernetes.io/instance-type", ""));
        String providerId = node.getSpec() == null ? "" : node.getSpec().getProviderID();
        return new NodeIdentity(node.getMetadata().getName(), providerId, zone, type, labels, annotations);
    }

    /** The instance id in the providerID, or "" when there is none this code understands. */
    public String instanceId() {
        Matcher aws = AWS_PROVIDER_ID.matcher(providerId);
        if (aws.matches()) {
            return aws.group(2);
        }
        // Azure: azure:///subscriptions/.../virtualMachines/<name> (VMSS: .../virtualMachineScaleSets/<set>/virtualMachines/<n>)
        if (providerId.startsWith("azure://")) {
            return providerId.substring(providerId.lastIndexOf('/') + 1);
        }
        return "";
    }

    /**
     * The environment the provider is created with: {@code env} plus what the Node says, never overriding a
     * variable the operator set.
     */
    public Map<String, String> providerEnv(Map<String, String> env) {
        Map<String, String> out = new HashMap<>(env);
        putIfUnset(out, ENV_PROVIDER_ID, providerId);
        putIfUnset(out, ENV_ZONE, zone);
        putIfUnset(out, ENV_INSTANCE_TYPE, instanceType);
        Matcher aws = AWS_PROVIDER_ID.matcher(providerId);
        if (aws.matches()) {
            putIfUnset(out, ENV_INSTANCE_ID, aws.group(2));
            String awsZone = aws.group(1).isEmpty() ? zone : aws.group(1);
            Matcher z = AWS_ZONE.matcher(awsZone);
            if (z.matches() && isUnset(out, "AWS_DEFAULT_REGION")) {
                putIfUnset(out, "AWS_REGION", z.group(1));
            }
        }
        return out;
    }

    /** What the Node's labels say that the cloud's describe contradicts (stale labels, or the wrong Node). */
    public List<String> disagreements(NodeInfo cloud) {
        List<String> out = new ArrayList<>();
        String id = instanceId();
        if (!id.isEmpty() && !id.equals(cloud.instanceId())) {
            out.add("providerID names instance " + id + ", the cloud says " + cloud.instanceId());
        }
        if (!zone.isEmpty() && !cloud.zone().isEmpty() && !zone.equals(cloud.zone())) {
            out.add("zone label " + zone + ", the cloud says " + cloud.zone());
        }
        if (!instanceType.isEmpty() && !cloud.instanceType().isEmpty()
                && !instanceType.equalsIgnoreCase(cloud.instanceType())) {
            out.add("instance-type label " + instanceType + ", the cloud says " + cloud.instanceType());
        }
        return out;
    }

    private static boolean isUnset(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank();
    }

    private static void putIfUnset(Map<String, String> env, String name, String value) {
        if (!value.isEmpty() && isUnset(env, name)) {
            env.put(name, value);
        }
    }
}
