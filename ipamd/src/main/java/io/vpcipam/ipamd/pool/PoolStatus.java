package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;

import java.util.List;

/**
 * A read-only view of the pool for {@code ipamd status} and introspection.
 *
 * @param total    addresses the node holds (lost ones excluded)
 * @param assigned leases, lost ones included
 * @param lost     leases whose address the cloud no longer lists (kept until their pod is deleted)
 * @param unproven addresses found at the takeover of the node, not yet proven free of pods (in {@code total})
 */
public record PoolStatus(String instanceId, String instanceType, String zone, int total, int free, int assigned,
                         int cooling, int pending, int releasing, int waiting, int capacity,
                         List<InterfaceStatus> interfaces, List<Lease> leases, int lost, int unproven) {

    /**
     * One interface and its counts.
     *
     * @param unmanaged  null for a pool interface; else the {@link io.vpcipam.provider.NetworkInterface.Exclusion}
     *                   label saying why ipamd leaves it alone (it contributes no address)
     * @param mac        its MAC address
     * @param linkName   the Linux link holding it, or null when the host data path is off or has not found it
     * @param routeTable the host route table of pods on it (0 = main)
     * @param hostReady  whether its addresses are handed to pods (the node's side of it is set up)
     */
    public record InterfaceStatus(String id, int deviceIndex, String subnetId, Ipv4Address primaryAddress,
                                  List<Ipv4Address> addresses, List<Cidr> prefixes, int free, int assigned,
                                  String unmanaged, String mac, String linkName, int routeTable, boolean hostReady) {
        public InterfaceStatus {
            addresses = List.copyOf(addresses);
            prefixes = List.copyOf(prefixes);
        }
    }

    public PoolStatus {
        interfaces = List.copyOf(interfaces);
        leases = List.copyOf(leases);
    }
}
