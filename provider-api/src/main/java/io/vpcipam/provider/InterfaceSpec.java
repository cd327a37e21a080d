package io.vpcipam.provider;

import java.util.List;
import java.util.Map;

/**
 * What to create when the node needs another interface. Addresses or prefixes are assigned in the same
 * call that creates the interface, so a new interface is useful at once.
 *
 * @param subnetId        subnet for the new interface
 * @param securityGroups  security groups (EC2) / application security groups (Azure); empty = the primary's
 * @param addresses       secondary addresses to assign on create
 * @param prefixes        delegated prefixes to assign on create
 * @param tags            tags to put on the interface at creation (owner, created-at, cluster, user tags)
 * @param description     free text shown in the console
 */
public record InterfaceSpec(String subnetId, List<String> securityGroups, int addresses, int prefixes,
                            Map<String, String> tags, String description) {

    public InterfaceSpec {
        Checks.notBlank(subnetId, "subnet id");
        securityGroups = List.copyOf(securityGroups);
        if (addresses < 0 || prefixes < 0) {
            throw new IllegalArgumentException("addresses and prefixes must be >= 0, got " + addresses + ", " + prefixes);
        }
        tags = Map.copyOf(tags);
        description = description == null ? "" : description;
    }
}
