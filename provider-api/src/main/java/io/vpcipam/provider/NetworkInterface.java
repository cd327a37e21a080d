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
 * @param networkCard         the network card the interface is attached through (EC2 NetworkCardIndex; 0 on clouds
 *                            and instance types with one card, and for an interface attached to nothing). Device
 *                            indexes are numbered per card: the primary interface is device 0 on card 0
 */
public record NetworkInterface(String id, String mac, int deviceIndex, String subnetId, Ipv4Address primaryAddress,
                               List<Ipv4Address> secondaryAddresses, List<Cidr> prefixes, Map<String, String> tags,
                               int networkCard) {

    /** The device index of an interface attached to no instance (an orphan has no attachment, so no index). */
    public static final int DETACHED = -1;
    /** Our tag: with the value {@code true}, ipamd never uses, shrinks, releases or deletes the interface. */
    public static final String NO_MANAGE_TAG = "vpc-ipam.io/no-manage";
    /** The AWS VPC CNI's tag with the same meaning, honoured so a node taken over from aws-node keeps its exclusions. */
    public static final String AWS_NO_MANAGE_TAG = "node.k8s.amazonaws.com/no_manage";

    /**
     * Why ipamd must leave an interface alone. Derived from what the cloud reports (tags, network card), so every
     * provider and every caller apply the same rule: an excluded interface is shown, occupies its device index and
     * counts against the card's interface limit, but contributes no address, and no mutating call names it.
     */
    public enum Exclusion {
        /** ipamd may use the interface's addresses (and, if it created it, shrink and delete it). */
        NONE("managed"),
        /** Tagged {@link #NO_MANAGE_TAG} or {@link #AWS_NO_MANAGE_TAG} {@code =true} (Multus, EFA, an operator's). */
        NO_MANAGE_TAG("no_manage_tag"),
        /** Attached through another network card than the pool's card 0. */
        OTHER_NETWORK_CARD("network_card");

        private final String label;

        Exclusion(String label) {
            this.label = label;
        }

        /** Stable lower-case label for status, introspection and metrics. */
        public String label() {
            return label;
        }
    }

    /** As the canonical constructor, on network card 0. */
    public NetworkInterface(String id, String mac, int deviceIndex, String subnetId, Ipv4Address primaryAddress,
                            List<Ipv4Address> secondaryAddresses, List<Cidr> prefixes, Map<String, String> tags) {
        this(id, mac, deviceIndex, subnetId, primaryAddress, secondaryAddresses, prefixes, tags, 0);
    }

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
        if (networkCard < 0) {
            throw new IllegalArgumentException("networkCard must be >= 0, got " + networkCard + " for " + id);
        }
        if (deviceIndex == DETACHED && networkCard != 0) {
            throw new IllegalArgumentException("interface " + id + " is attached to nothing but names network card "
                    + networkCard);
        }
    }

    /** Whether this is the instance's primary interface (device index 0 on card 0), which is never deleted. */
    public boolean isPrimary() {
        return deviceIndex == 0 && networkCard == 0;
    }

    /** Why ipamd must leave this interface alone, or {@link Exclusion#NONE}. */
    public Exclusion exclusion() {
        if (networkCard != 0) {
            return Exclusion.OTHER_NETWORK_CARD;
        }
        return noManage(tags) ? Exclusion.NO_MANAGE_TAG : Exclusion.NONE;
    }

    /** Whether ipamd may use this interface's addresses. */
    public boolean usable() {
        return exclusion() == Exclusion.NONE;
    }

    /** Whether the tags carry either no-manage tag with the value {@code true} (any case, surrounding blanks ignored). */
    public static boolean noManage(Map<String, String> tags) {
        return isTrue(tags.get(NO_MANAGE_TAG)) || isTrue(tags.get(AWS_NO_MANAGE_TAG));
    }

    private static boolean isTrue(String value) {
        return value != null && value.strip().equalsIgnoreCase("true");
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
