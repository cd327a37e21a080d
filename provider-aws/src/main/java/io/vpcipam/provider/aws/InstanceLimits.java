package io.vpcipam.provider.aws;

import io.vpcipam.provider.Limits;

import java.util.Map;
import java.util.Optional;

/**
 * The built-in fallback for when DescribeInstanceTypes cannot answer (denied by a tight IAM policy, throttled at
 * boot): MaximumNetworkInterfaces x Ipv4AddressesPerInterface of common EKS node types, as DescribeInstanceTypes
 * reports them. DescribeInstanceTypes stays the source of truth; this table only keeps a node running without it.
 */
final class InstanceLimits {

    private static final Map<String, Limits> TABLE = Map.ofEntries(
            Map.entry("t3.small", new Limits(3, 4)),
            Map.entry("t3.medium", new Limits(3, 6)),
            Map.entry("t3.large", new Limits(3, 12)),
            Map.entry("t3.xlarge", new Limits(4, 15)),
            Map.entry("t3.2xlarge", new Limits(4, 15)),
            Map.entry("m5.large", new Limits(3, 10)),
            Map.entry("m5.xlarge", new Limits(4, 15)),
            Map.entry("m5.2xlarge", new Limits(4, 15)),
            Map.entry("m5.4xlarge", new Limits(8, 30)),
            Map.entry("m5.8xlarge", new Limits(8, 30)),
            Map.entry("m5.12xlarge", new Limits(8, 30)),
            Map.entry("m5.16xlarge", new Limits(15, 50)),
            Map.entry("m5.24xlarge", new Limits(15, 50)),
            Map.entry("m6i.large", new Limits(3, 10)),
            Map.entry("m6i.xlarge", new Limits(4, 15)),
            Map.entry("m6i.2xlarge", new Limits(4, 15)),
            Map.entry("m6i.4xlarge", new Limits(8, 30)),
            Map.entry("m7i.large", new Limits(3, 10)),
            Map.entry("m7i.xlarge", new Limits(4, 15)),
            Map.entry("c5.large", new Limits(3, 10)),
            Map.entry("c5.xlarge", new Limits(4, 15)),
            Map.entry("c5.2xlarge", new Limits(4, 15)),
            Map.entry("c5.4xlarge", new Limits(8, 30)),
            Map.entry("c5.9xlarge", new Limits(8, 30)),
            Map.entry("c5.18xlarge", new Limits(15, 50)),
            Map.entry("c6i.large", new Limits(3, 10)),
            Map.entry("c6i.xlarge", new Limits(4, 15)),
            Map.entry("r5.large", new Limits(3, 10)),
            Map.entry("r5.xlarge", new Limits(4, 15)),
            Map.entry("r5.2xlarge", new Limits(4, 15)),
            Map.entry("m6g.large", new Limits(3, 10)),
            Map.entry("m7g.large", new Limits(3, 10)),
            Map.entry("c6g.large", new Limits(3, 10)));

    private InstanceLimits() {
    }

    /** The table's limits for {@code type}, if it has them. */
    static Optional<Limits> builtIn(String type) {
        return Optional.ofNullable(TABLE.get(type));
    }
}
