package io.vpcipam.provider;

import java.util.List;
import java.util.Map;

/**
 * One interface attached to the node, as the cloud sees it.
 *
 * @param id                  cloud id (EC2 {@code eni-...}, Azure NIC resource id)
 * @param mac                 MAC address, lower-case colon form
 * @param deviceIndex         attachment index; 0 is the instance's primary interface; {@link #DETACHED} for an
 *                            interface attached to no instance (only ever reported by
 *                            {@link CloudProvider#findOrphanedInterfaces})
 * @param subnetId            subnet of the interface
 * @param primaryAddress      the interface's own primary address (never handed to pods)
 * @param secondaryAddresses  individually assigned secondary addresses
 * @param prefixes            delegated prefixes
 * @param tags                the cloud's tags on the interface
 */
public record NetworkInterface(String id, String mac, int deviceIndex, String subnetId, Ipv4Address primaryAddress,
                               List<Ipv4Address> secondaryAddresses, List<Cidr> prefixes, Map<String, String> tags) {

    /** The device index of an interface attached to no instance (an orphan has no attachment, so no index). */
    public static final int DETACHED = -1;

    public NetworkInterface {
        Checks.notBlank(id, "interface id");
        mac = mac == null ? "" : mac.toLowerCase(java.util.Locale.ROOT);
        if (deviceIndex < DETACHED) {
            throw new IllegalArgumentException("deviceIndex must be >= 0 (or DETACHED), got " + deviceIndex);
        }
        Checks.notBlank(subnetId, "interface subnet id");
        Checks.notNull(primaryAddress, "interface primary address");
        secondaryAddresses = List.copyOf(secondaryAddresses);
        prefixes = List.copyOf(prefixes);
        tags = Map.copyOf(tags);
    }

    /** Whether this is the instance's primary interface (device index 0), which is never deleted. */
    public boolean isPrimary() {
        return deviceIndex == 0;
    }

    /** Whether the interface is attached to an instance (every interface describeNode reports is). */
    public boolean attached() {
        return deviceIndex != DETACHED;
    }

    /** Secondary slots in use: one per secondary address and one per prefix. */
    public int usedSlots() {
        return secondaryAddresses.size() + prefixes.size();
    }
}
