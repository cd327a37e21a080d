package io.vpcipam.cni.netns;

/**
 * What one pod attachment looks like when wired: the pod's {@code ifName} (a veth whose peer
 * {@code hostVeth} lives in the host netns), the address as /32 inside the pod, a link-local
 * gateway with a static neighbour entry for the host veth's MAC, a host /32 route to the pod
 * and, when {@code routeTable != 0}, the policy rules for a secondary interface.
 *
 * @param netns      the pod netns path
 * @param ifName     the interface inside the pod
 * @param hostVeth   the host-side veth name
 * @param hostMac    the host veth's MAC (the pod's neighbour entry for the gateway points at it)
 * @param podMac     the pod interface's MAC
 * @param address    the pod's IPv4 address (no prefix)
 * @param mtu        the MTU of both veth ends, 0 for the kernel default
 * @param routeTable the host table for traffic from the pod, 0 = main (no rules needed)
 * @param ruleTo     destinations (IPv4 CIDRs, the VPC's blocks) sent through {@code routeTable}: one rule
 *                   {@code from <address> to <block> lookup <table>} each, so traffic leaving the VPC goes out of
 *                   the primary interface and is SNATed; empty = every destination ({@code from <address> lookup
 *                   <table>}, external SNAT)
 */
public record WireSpec(String netns, String ifName, String hostVeth, String hostMac, String podMac,
                       String address, int mtu, int routeTable, java.util.List<String> ruleTo) {

    /** Copies {@code ruleTo}. */
    public WireSpec {
        ruleTo = ruleTo == null ? java.util.List.of() : java.util.List.copyOf(ruleTo);
    }

    /** A spec whose rule sends every destination through {@code routeTable}. */
    public WireSpec(String netns, String ifName, String hostVeth, String hostMac, String podMac, String address,
                    int mtu, int routeTable) {
        this(netns, ifName, hostVeth, hostMac, podMac, address, mtu, routeTable, java.util.List.of());
    }
}
