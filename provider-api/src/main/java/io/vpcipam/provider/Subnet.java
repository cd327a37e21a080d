package io.vpcipam.provider;

/**
 * A subnet the node's interfaces live in.
 *
 * @param id      the cloud's id (EC2 {@code subnet-...}, Azure resource id)
 * @param cidr    the subnet's block
 * @param zone    availability zone, or "" where the cloud has none for subnets
 * @param gateway the subnet's router (EC2 and Azure: the first host address)
 */
public record Subnet(String id, Cidr cidr, String zone, Ipv4Address gateway) {

    public Subnet {
        Checks.notBlank(id, "subnet id");
        Checks.notNull(cidr, "subnet cidr");
        zone = zone == null ? "" : zone;
        if (gateway == null) {
            gateway = cidr.address(1);
        }
        if (!cidr.contains(gateway)) {
            throw new IllegalArgumentException("gateway " + gateway + " is outside subnet " + cidr);
        }
    }
}
