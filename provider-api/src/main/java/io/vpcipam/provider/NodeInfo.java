package io.vpcipam.provider;

import java.util.List;

/**
 * The node as the cloud sees it: one describe, the truth the pool is rebuilt from.
 *
 * @param instanceId    EC2 instance id / Azure VM name
 * @param instanceType  EC2 instance type / Azure VM size
 * @param zone          availability zone
 * @param limits        interface and address limits of the instance type
 * @param interfaces    attached interfaces, ordered by network card then device index (excluded ones included:
 *                      they hold device indexes; see {@link NetworkInterface#exclusion()})
 * @param subnets       the subnets of those interfaces (and the node's default pod subnet first)
 * @param vpcCidrs      the VPC's (VNet's) blocks, routed natively from pods
 */
public record NodeInfo(String instanceId, String instanceType, String zone, Limits limits,
                       List<NetworkInterface> interfaces, List<Subnet> subnets, List<Cidr> vpcCidrs) {

    public NodeInfo {
        Checks.notBlank(instanceId, "instance id");
        instanceType = instanceType == null ? "" : instanceType;
        zone = zone == null ? "" : zone;
        Checks.notNull(limits, "limits");
        interfaces = interfaces.stream()
                .sorted(java.util.Comparator.comparingInt(NetworkInterface::networkCard)
                        .thenComparingInt(NetworkInterface::deviceIndex)).toList();
        subnets = List.copyOf(subnets);
        vpcCidrs = List.copyOf(vpcCidrs);
    }

    /** The primary interface (device index 0 on card 0), or null if the cloud reported none. */
    public NetworkInterface primaryInterface() {
        return interfaces.stream().filter(NetworkInterface::isPrimary).findFirst().orElse(null);
    }

    /** The subnet with this id, or null. */
    public Subnet subnet(String id) {
        return subnets.stream().filter(s -> s.id().equals(id)).findFirst().orElse(null);
    }
}
