package io.vpcipam.provider;

/**
 * What a cloud can do. The pool engine reads these and never asks for what is not offered, so no
 * provider ever answers "not implemented".
 *
 * @param hotAttachInterfaces  interfaces can be created and attached to a running node (EC2 yes, Azure no)
 * @param prefixDelegation     whole prefixes can be assigned to an interface (EC2 /28 yes, Azure no)
 * @param prefixLength         length of a delegated prefix (28 on EC2); meaningful only with prefixDelegation
 * @param maxAddressesPerCall  most addresses (or prefixes) one assign or unassign call may carry
 */
public record Capabilities(boolean hotAttachInterfaces, boolean prefixDelegation, int prefixLength,
                           int maxAddressesPerCall) {

    public Capabilities {
        if (prefixDelegation && (prefixLength < 1 || prefixLength > 32)) {
            throw new IllegalArgumentException("prefixLength must be 1..32 with prefix delegation, got " + prefixLength);
        }
        if (maxAddressesPerCall < 1) {
            throw new IllegalArgumentException("maxAddressesPerCall must be >= 1, got " + maxAddressesPerCall);
        }
    }

    /** Addresses in one delegated prefix (16 for a /28); 1 when prefixes are not supported. */
    public int addressesPerPrefix() {
        return prefixDelegation ? 1 << (32 - prefixLength) : 1;
    }
}
