package io.vpcipam.provider;

/**
 * An IPv4 address as an unsigned 32-bit value. Ordered numerically; {@link #toString()} is the dotted quad.
 *
 * @param bits the address, big-endian, as a signed int (so 255.255.255.255 is -1)
 */
public record Ipv4Address(int bits) implements Comparable<Ipv4Address> {

    /** Parses a dotted quad such as {@code 10.0.1.5}; rejects anything else with a message naming the input. */
    public static Ipv4Address parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("IPv4 address is missing");
        }
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
        }
        int bits = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(Character::isDigit)
                    || (part.length() > 1 && part.charAt(0) == '0')) {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
            }
            bits = (bits << 8) | octet;
        }
        return new Ipv4Address(bits);
    }

    /** The address {@code n} above this one (wrapping is the caller's problem; CIDR arithmetic never wraps). */
    public Ipv4Address plus(long n) {
        return new Ipv4Address((int) (unsigned() + n));
    }

    /** The address as an unsigned long, for arithmetic. */
    public long unsigned() {
        return Integer.toUnsignedLong(bits);
    }

    @Override
    public int compareTo(Ipv4Address other) {
        return Integer.compareUnsigned(bits, other.bits);
    }

    @Override
    public String toString() {
        return ((bits >>> 24) & 0xff) + "." + ((bits >>> 16) & 0xff) + "." + ((bits >>> 8) & 0xff) + "." + (bits & 0xff);
    }
}
