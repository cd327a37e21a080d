package io.vpcipam.provider.sim;

import io.vpcipam.provider.Limits;

import java.util.Map;
import java.util.TreeMap;

/**
 * EC2 instance types the simulated cloud knows, with their real network limits (from DescribeInstanceTypes:
 * MaximumNetworkInterfaces x Ipv4AddressesPerInterface, the primary address included). A short fixed table, not a
 * copy of the AWS CNI's generated one: enough types to exercise small, medium and large nodes.
 */
final class InstanceTypes {

    private static final Map<String, Limits> LIMITS = new TreeMap<>(Map.ofEntries(
            Map.entry("t3.medium", new Limits(3, 6)),
            Map.entry("t3.large", new Limits(3, 12)),
            Map.entry("c5.large", new Limits(3, 10)),
            Map.entry("c5.xlarge", new Limits(4, 15)),
            Map.entry("c5.4xlarge", new Limits(8, 30)),
            Map.entry("m5.large", new Limits(3, 10)),
            Map.entry("m5.xlarge", new Limits(4, 15)),
            Map.entry("m5.2xlarge", new Limits(4, 15)),
            Map.entry("m5.4xlarge", new Limits(8, 30)),
            Map.entry("m5.24xlarge", new Limits(15, 50))));

    private InstanceTypes() {
    }

    /** The limits of {@code type}; an unknown type is an IllegalArgumentException naming it and the known ones. */
    static Limits limits(String type) {
        Limits limits = type == null ? null : LIMITS.get(type);
        if (limits == null) {
            throw new IllegalArgumentException("unknown instance type '" + type + "'; the simulated cloud knows "
                    + String.join(", ", LIMITS.keySet()));
        }
        return limits;
    }
}
