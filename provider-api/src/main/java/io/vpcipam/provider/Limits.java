package io.vpcipam.provider;

/**
 * What one node may hold, in the cloud's own terms (EC2: ENIs per instance and IPv4 addresses per ENI,
 * the ENI's primary address included; Azure: its NICs, 256 ip-configurations each and 256 private addresses per VM).
 *
 * @param maxInterfaces          interfaces the pool's network card (card 0) can have attached, the primary and
 *                               excluded ones included (EC2: the card's MaximumNetworkInterfaces on multi-card
 *                               types, which is less than the instance's total)
 * @param addressesPerInterface  addresses per interface, the interface's own primary address included
 * @param poolAddressesPerInstance secondary addresses the pool's interfaces may hold all together where the cloud
 *                               limits the instance as a whole (Azure: 256 private addresses per VM, less every
 *                               address on it that is not the pool's: each NIC's primary, other tools'
 *                               configurations, excluded NICs' addresses, as counted at the describe);
 *                               {@link #NO_INSTANCE_LIMIT} where only the per-interface limit applies (EC2)
 */
public record Limits(int maxInterfaces, int addressesPerInterface, int poolAddressesPerInstance) {

    /** No limit for the instance as a whole: interfaces x addresses per interface is all. */
    public static final int NO_INSTANCE_LIMIT = Integer.MAX_VALUE;

    public Limits {
        if (maxInterfaces < 1) {
            throw new IllegalArgumentException("maxInterfaces must be >= 1, got " + maxInterfaces);
        }
        if (addressesPerInterface < 1) {
            throw new IllegalArgumentException("addressesPerInterface must be >= 1, got " + addressesPerInterface);
        }
        if (poolAddressesPerInstance < 0) {
            throw new IllegalArgumentException("poolAddressesPerInstance must be >= 0, got " + poolAddressesPerInstance);
        }
    }

    /** Per-interface limits only (no limit for the instance as a whole). */
    public Limits(int maxInterfaces, int addressesPerInterface) {
        this(maxInterfaces, addressesPerInterface, NO_INSTANCE_LIMIT);
    }

    /**
     * Secondary slots per interface: each holds one secondary address, or one delegated prefix where the
     * cloud supports prefixes (EC2 counts a /28 against the same per-ENI limit as an address).
     */
    public int slotsPerInterface() {
        return addressesPerInterface - 1;
    }

    /** Whether the instance as a whole has a limit besides its interfaces' (Azure's per-VM limit). */
    public boolean instanceLimited() {
        return poolAddressesPerInstance != NO_INSTANCE_LIMIT;
    }
}
