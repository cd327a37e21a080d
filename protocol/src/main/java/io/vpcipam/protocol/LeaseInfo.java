package io.vpcipam.protocol;

import java.util.List;
import java.util.Objects;

/**
 * The {@code lease} object of an ADD or CHECK reply: what the shim needs to wire the pod.
 *
 * @param address      the pod address, e.g. {@code "10.0.1.5"} (required)
 * @param prefixLength the prefix length to put on the pod interface, normally 32
 * @param interfaceId  the cloud interface holding the address, e.g. {@code "eni-0abc"} (may be null)
 * @param mac          the MAC of that interface (may be null)
 * @param deviceIndex  the interface's device index on the node (0 = primary)
 * @param routeTable   the host route table for traffic from the pod (0 = main)
 * @param gateway      the subnet router of that interface, e.g. {@code "10.0.0.1"} (may be null)
 * @param vpcCidrs     the VPC CIDRs (never null; empty when unknown)
 * @param mtu          the MTU for the pod interface (0 = not set: the shim's default)
 */
public record LeaseInfo(String address, int prefixLength, String interfaceId, String mac,
                        int deviceIndex, int routeTable, String gateway, List<String> vpcCidrs, int mtu) {

    /** Validates ranges and copies the list. */
    public LeaseInfo {
        Objects.requireNonNull(address, "address");
        if (address.isEmpty()) {
            throw new IllegalArgumentException("lease.address must not be empty");
        }
        if (prefixLength < 0 || prefixLength > 128) {
            throw new IllegalArgumentException("lease.prefixLength must be 0..128, was " + prefixLength);
        }
        if (deviceIndex < 0) {
            throw new IllegalArgumentException("lease.deviceIndex must not be negative, was " + deviceIndex);
        }
        if (routeTable < 0) {
            throw new IllegalArgumentException("lease.routeTable must not be negative, was " + routeTable);
        }
        if (mtu < 0) {
            throw new IllegalArgumentException("lease.mtu must not be negative, was " + mtu);
        }
        vpcCidrs = vpcCidrs == null ? List.of() : List.copyOf(vpcCidrs);
    }
}
