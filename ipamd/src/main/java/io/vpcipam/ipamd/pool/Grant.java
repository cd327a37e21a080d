package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;

import java.util.List;

/**
 * A lease with what the CNI plugin needs to wire it: the interface that holds the address and its subnet router.
 *
 * @param routeTable 0 (main) for the primary interface, else device index + 1 as in the AWS CNI
 */
public record Grant(Lease lease, String mac, int deviceIndex, int routeTable, Ipv4Address gateway, List<Cidr> vpcCidrs) {
    public Grant {
        vpcCidrs = List.copyOf(vpcCidrs);
    }
}
