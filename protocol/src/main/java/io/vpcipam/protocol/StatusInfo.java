package io.vpcipam.protocol;

import java.util.List;

/**
 * The {@code status} object of a STATUS reply: the node, its pool, its interfaces and its
 * leases. Plain data for {@code ipamd status} and for humans; strings are passed through
 * unvalidated, lists are never null.
 *
 * @param provider     the cloud provider name ({@code sim}, {@code aws}, {@code azure})
 * @param instanceId   the cloud instance id
 * @param instanceType the instance type / VM size
 * @param zone         the availability zone
 * @param prefixMode   whether the pool holds /28 prefixes rather than single addresses
 * @param pool         address counts by state
 * @param maxAddresses how many pod addresses the node can hold at its cloud limits
 * @param interfaces   the node's interfaces
 * @param leases       the current leases
 */
public record StatusInfo(String provider, String instanceId, String instanceType, String zone,
                         boolean prefixMode, PoolCounts pool, int maxAddresses,
                         List<InterfaceStatus> interfaces, List<LeaseStatus> leases) {

    /** Defaults a null pool to zeros and copies the lists. */
    public StatusInfo {
        pool = pool == null ? new PoolCounts(0, 0, 0, 0, 0, 0) : pool;
        interfaces = interfaces == null ? List.of() : List.copyOf(interfaces);
        leases = leases == null ? List.of() : List.copyOf(leases);
    }

    /** Address counts in the pool, by state ({@code total} counts every address the node holds). */
    public record PoolCounts(int total, int free, int assigned, int cooling, int pending, int releasing) {
    }

    /**
     * One cloud interface on the node.
     *
     * @param id             the cloud id, e.g. {@code eni-0abc}
     * @param deviceIndex    the device index (0 = primary)
     * @param subnetId       its subnet
     * @param primaryAddress its primary address (never handed to pods)
     * @param addresses      the secondary addresses it holds
     * @param prefixes       the delegated prefixes it holds, as CIDR strings
     * @param free           pool addresses on it that are free
     * @param assigned       pool addresses on it that are leased
     * @param unmanaged      null for a pool interface; else why ipamd leaves it alone ({@code no_manage_tag},
     *                       {@code network_card}): shown, but it contributes no address
     * @param mac            its MAC address (may be null from an older daemon)
     * @param linkName       the Linux link holding it, or null when ipamd does not program the host or has not
     *                       found the link
     * @param routeTable     the host route table of pods on it (0 = main)
     */
    public record InterfaceStatus(String id, int deviceIndex, String subnetId, String primaryAddress,
                                  List<String> addresses, List<String> prefixes, int free, int assigned,
                                  String unmanaged, String mac, String linkName, int routeTable) {

        /** Copies the lists; a blank {@code unmanaged} is null. */
        public InterfaceStatus {
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
            prefixes = prefixes == null ? List.of() : List.copyOf(prefixes);
            unmanaged = unmanaged == null || unmanaged.isBlank() ? null : unmanaged;
        }

        /** A pool interface, without the host fields. */
        public InterfaceStatus(String id, int deviceIndex, String subnetId, String primaryAddress,
                               List<String> addresses, List<String> prefixes, int free, int assigned) {
            this(id, deviceIndex, subnetId, primaryAddress, addresses, prefixes, free, assigned, null);
        }

        /** Without the host fields (an older daemon's reply). */
        public InterfaceStatus(String id, int deviceIndex, String subnetId, String primaryAddress,
                               List<String> addresses, List<String> prefixes, int free, int assigned,
                               String unmanaged) {
            this(id, deviceIndex, subnetId, primaryAddress, addresses, prefixes, free, assigned, unmanaged, null,
                    null, 0);
        }
    }

    /**
     * One lease.
     *
     * @param assignedAt when it was assigned, ISO-8601 (e.g. {@code 2025-01-31T12:00:00Z})
     */
    public record LeaseStatus(String network, String containerId, String ifName, String podNamespace,
                              String podName, String address, String interfaceId, String assignedAt) {
    }
}
