package io.vpcipam.provider;

/**
 * What the cloud says about an instance type, without a node: for sizing (kubelet's --max-pods) before any node of
 * that type runs.
 *
 * @param name                  the type, e.g. m5.large
 * @param vcpus                 default vCPUs (the EKS max-pods calculator caps pods by them)
 * @param maxInterfaces         interfaces the pool's network card can have attached
 * @param addressesPerInterface IPv4 addresses per interface, its primary included
 * @param prefixDelegation      whether its interfaces can hold /28 prefixes (EC2: Nitro types)
 */
public record InstanceType(String name, int vcpus, int maxInterfaces, int addressesPerInterface,
                           boolean prefixDelegation) {

    public InstanceType {
        Checks.notBlank(name, "instance type");
        if (vcpus < 1 || maxInterfaces < 1 || addressesPerInterface < 1) {
            throw new IllegalArgumentException("instance type " + name + ": vcpus, interfaces and addresses per"
                    + " interface must be >= 1, got " + vcpus + ", " + maxInterfaces + ", " + addressesPerInterface);
        }
    }
}
