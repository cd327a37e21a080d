package io.vpcipam.ipamd.takeover;

import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.provider.Ipv4Address;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The AWS VPC CNI's checkpoint ({@code /var/run/aws-node/ipam.json}, {@code AWS_VPC_K8S_CNI_BACKING_STORE}): which pod
 * aws-node gave each address. Read, never written, when ipamd takes a node over from aws-node.
 *
 * <pre>{"version":"vpc-cni-ipam/1","allocations":[{"networkName":"aws-cni","containerID":"..","ifName":"eth0",
 *  "ipv4":"10.0.1.23","allocationTimestamp":1690000000000000000,
 *  "metadata":{"k8sPodNamespace":"ns","k8sPodName":"p","interfacesCount":1}}]}</pre>
 * Entries without {@code ipv4} (IPv6 pods) are skipped; other fields are optional.
 *
 * @param allocations address -> the pod aws-node gave it to
 */
public record AwsNodeCheckpoint(Map<Ipv4Address, Holder> allocations) {

    /** The format tag aws-node writes. */
    public static final String VERSION = "vpc-cni-ipam/1";
    /** aws-node's default path (its AWS_VPC_K8S_CNI_BACKING_STORE). */
    public static final String DEFAULT_PATH = "/var/run/aws-node/ipam.json";

    /** The pod an allocation names ("" where the file does not say). */
    public record Holder(String namespace, String name, String containerId) {
    }

    public AwsNodeCheckpoint {
        allocations = Map.copyOf(allocations);
    }

    /**
     * Reads the file.
     *
     * @return empty when there is no such file (aws-node never ran here, or the path is not mounted)
     * @throws IOException when the file exists but is not an aws-node checkpoint: the caller must not take it as
     *                     evidence either way
     */
    public static Optional<AwsNodeCheckpoint> read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(text));
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + " is not an aws-node checkpoint: " + e.getMessage(), e);
        }
    }

    static AwsNodeCheckpoint parse(String text) throws IOException {
        if (!(JSON.std.anyFrom(text) instanceof Map<?, ?> root)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        if (!VERSION.equals(root.get("version"))) {
            throw new IllegalArgumentException("version is " + root.get("version") + ", expected " + VERSION);
        }
        Object list = root.get("allocations");
        if (list != null && !(list instanceof List<?>)) {
            throw new IllegalArgumentException("allocations is not a list");
        }
        Map<Ipv4Address, Holder> out = new LinkedHashMap<>();
        for (Object o : list == null ? List.of() : (List<?>) list) {
            if (!(o instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("an allocation is not an object");
            }
            if (!(m.get("ipv4") instanceof String ipv4) || ipv4.isEmpty()) {
                continue; // an IPv6 pod's entry
            }
            Map<?, ?> meta = m.get("metadata") instanceof Map<?, ?> mm ? mm : Map.of();
            out.put(Ipv4Address.parse(ipv4), new Holder(str(meta.get("k8sPodNamespace")), str(meta.get("k8sPodName")),
                    str(m.get("containerID"))));
        }
        return new AwsNodeCheckpoint(out);
    }

    private static String str(Object o) {
        return o instanceof String s ? s : "";
    }
}
