package io.vpcipam.ipamd.host;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;

import java.util.List;

/**
 * What the node's side is set up from: the pool's interfaces as the cloud described them, and the VPC's blocks.
 *
 * @param interfaces the node's interfaces, by device index
 * @param vpcCidrs   every block of the VPC (VNet); pod traffic to them is neither SNATed nor sent via main
 */
public record HostView(List<Interface> interfaces, List<Cidr> vpcCidrs) {

    public HostView {
        interfaces = List.copyOf(interfaces);
        vpcCidrs = List.copyOf(vpcCidrs);
    }

    /**
     * One interface.
     *
     * @param id             the cloud's id
     * @param mac            its MAC, lower case (the Linux link is found by it)
     * @param deviceIndex    0 = the instance's primary interface
     * @param primaryAddress the interface's own address
     * @param subnet         its subnet's block, or null while the subnet is not described yet
     * @param gateway        its subnet's router, or null likewise
     */
    public record Interface(String id, String mac, int deviceIndex, Ipv4Address primaryAddress, Cidr subnet,
                            Ipv4Address gateway) {
    }

    /** The primary interface (device index 0), or null. */
    public Interface primary() {
        return interfaces.stream().filter(i -> i.deviceIndex() == 0).findFirst().orElse(null);
    }
}
