package io.vpcipam.provider;

/**
 * What one node may hold, in the cloud's own terms (EC2: ENIs per instance and IPv4 addresses per ENI,
 * the ENI's primary address included; Azure: one NIC, 256 ip-configurations).
 *
 * @param maxInterfaces          interfaces the pool's network card (card 0) can have attached, the primary and
 *                               excluded ones included (EC2: the card's MaximumNetworkInterfaces on multi-card
 *                               types, which is less than the instance's total)
 * @param addressesPerInterface  addresses per interface, the interface's own primary address included
 */
public record Limits(int maxInterfaces, int addressesPerInterface) {

    public Limits {
        if (maxInterfaces < 1) {
            throw new IllegalArgumentException("maxInterfaces must be >= 1, got " + maxInterfaces);
        }
        if (addressesPerInterface < 1) {
            throw new IllegalArgumentException("addressesPerInterface must be >= 1, got " + addressesPerInterface);
        }
    }

    /**
     * Secondary slots per interface: each holds one secondary address, or one delegated prefix where the
     * cloud supports prefixes (EC2 counts a /28 against the same per-ENI limit as an address).
     */
    public int slotsPerInterface() {
        return addressesPerInterface - 1;
    }
}
