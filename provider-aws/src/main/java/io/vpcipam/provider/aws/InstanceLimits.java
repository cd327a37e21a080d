package io.vpcipam.provider.aws;

import io.vpcipam.provider.InstanceType;
import io.vpcipam.provider.Limits;

import java.util.Map;
import java.util.Optional;

/**
 * The built-in fallback for when DescribeInstanceTypes cannot answer (denied by a tight IAM policy, throttled at
 * boot): MaximumNetworkInterfaces x Ipv4AddressesPerInterface of common EKS node types, as DescribeInstanceTypes
 * reports them, with their default vCPUs (for {@code ipamd max-pods}). DescribeInstanceTypes stays the source of
 * truth; this table only keeps a node running, or sizes one, without it.
 */
final class InstanceLimits {

    private static final Map<String, Type> TABLE = Map.ofEntries(
            Map.entry("t3.small", new Type(3, 4, 2)),
            Map.entry("t3.medium", new Type(3, 6, 2)),
            Map.entry("t3.large", new Type(3, 12, 2)),
            Map.entry("t3.xlarge", new Type(4, 15, 4)),
            Map.entry("t3.2xlarge", new Type(4, 15, 8)),
            Map.entry("m5.large", new Type(3, 10, 2)),
            Map.entry("m5.xlarge", new Type(4, 15, 4)),
            Map.entry("m5.2xlarge", new Type(4, 15, 8)),
            Map.entry("m5.4xlarge", new Type(8, 30, 16)),
            Map.entry("m5.8xlarge", new Type(8, 30, 32)),
            Map.entry("m5.12xlarge", new Type(8, 30, 48)),
            Map.entry("m5.16xlarge", new Type(15, 50, 64)),
            Map.entry("m5.24xlarge", new Type(15, 50, 96)),
            Map.entry("m6i.large", new Type(3, 10, 2)),
            Map.entry("m6i.xlarge", new Type(4, 15, 4)),
            Map.entry("m6i.2xlarge", new Type(4, 15, 8)),
            Map.entry("m6i.4xlarge", new Type(8, 30, 16)),
            Map.entry("m7i.large", new Type(3, 10, 2)),
            Map.entry("m7i.xlarge", new Type(4, 15, 4)),
            Map.entry("c5.large", new Type(3, 10, 2)),
            Map.entry("c5.xlarge", new Type(4, 15, 4)),
            Map.entry("c5.2xlarge", new Type(4, 15, 8)),
            Map.entry("c5.4xlarge", new Type(8, 30, 16)),
            Map.entry("c5.9xlarge", new Type(8, 30, 36)),
            Map.entry("c5.18xlarge", new Type(15, 50, 72)),
            Map.entry("c6i.large", new Type(3, 10, 2)),
            Map.entry("c6i.xlarge", new Type(4, 15, 4)),
            Map.entry("r5.large", new Type(3, 10, 2)),
            Map.entry("r5.xlarge", new Type(4, 15, 4)),
            Map.entry("r5.2xlarge", new Type(4, 15, 8)),
            Map.entry("m6g.large", new Type(3, 10, 2)),
            Map.entry("m7g.large", new Type(3, 10, 2)),
            Map.entry("c6g.large", new Type(3, 10, 2)));

    /** One row: MaximumNetworkInterfaces, Ipv4AddressesPerInterface, DefaultVCpus (every type here is Nitro). */
    private record Type(int interfaces, int addresses, int vcpus) {
    }

    private InstanceLimits() {
    }

    /** The table's limits for {@code type}, if it has them. */
    static Optional<Limits> builtIn(String type) {
        return Optional.ofNullable(TABLE.get(type)).map(t -> new Limits(t.interfaces(), t.addresses()));
    }

    /** The table's row for {@code type} as an {@link InstanceType}, if it has it. */
    static Optional<InstanceType> builtInType(String type) {
        return Optional.ofNullable(TABLE.get(type)).map(t -> new InstanceType(type, t.vcpus(), t.interfaces(),
                t.addresses(), true));
    }

    /** The types the table knows, for error messages. */
    static java.util.SortedSet<String> known() {
        return new java.util.TreeSet<>(TABLE.keySet());
    }
}
