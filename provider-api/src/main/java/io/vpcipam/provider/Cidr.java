package io.vpcipam.provider;

/**
 * An IPv4 CIDR block such as {@code 10.0.0.0/16} or a delegated {@code 10.0.3.32/28} prefix.
 * The base address must be the network address (no host bits set).
 */
public record Cidr(Ipv4Address base, int length) {

    public Cidr {
        if (base == null) {
            throw new IllegalArgumentException("CIDR base address is missing");
        }
        if (length < 0 || length > 32) {
            throw new IllegalArgumentException("CIDR length must be 0..32, got " + length);
        }
        if ((base.bits() & ~mask(length)) != 0) {
            throw new IllegalArgumentException("CIDR " + base + "/" + length + " has host bits set");
        }
    }

    /** Parses {@code a.b.c.d/n}; a bare address is a /32. */
    public static Cidr parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("CIDR is missing");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            return new Cidr(Ipv4Address.parse(text), 32);
        }
        String len = text.substring(slash + 1);
        if (len.isEmpty() || len.length() > 2 || !len.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("not a CIDR: '" + text + "'");
        }
        return new Cidr(Ipv4Address.parse(text.substring(0, slash)), Integer.parseInt(len));
    }

    /** The CIDR of the given length that contains {@code address}. */
    public static Cidr containing(Ipv4Address address, int length) {
        return new Cidr(new Ipv4Address(address.bits() & mask(length)), length);
    }

    private static int mask(int length) {
        return length == 0 ? 0 : -1 << (32 - length);
    }

    /** Number of addresses in the block. */
    public long size() {
        return 1L << (32 - length);
    }

    /** The {@code i}-th address of the block (0 is the network address). */
    public Ipv4Address address(long i) {
        if (i < 0 || i >= size()) {
            throw new IndexOutOfBoundsException("index " + i + " outside " + this);
        }
        return base.plus(i);
    }

    /** The last address of the block. */
    public Ipv4Address last() {
        return base.plus(size() - 1);
    }

    /** Whether {@code address} lies inside this block. */
    public boolean contains(Ipv4Address address) {
        return (address.bits() & mask(length)) == base.bits();
    }

    /** Whether {@code other} lies wholly inside this block. */
    public boolean contains(Cidr other) {
        return other.length >= length && contains(other.base);
    }

    /** Whether the two blocks share any address. */
    public boolean overlaps(Cidr other) {
        return contains(other.base) || other.contains(base);
    }

    @Override
    public String toString() {
        return base + "/" + length;
    }
}
