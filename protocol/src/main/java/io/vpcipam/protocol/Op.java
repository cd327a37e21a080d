package io.vpcipam.protocol;

import java.util.Optional;

/** The operations of protocol v1; on the wire as their lower-case {@link #wireName()}. */
public enum Op {
    /** Allocate (or return the existing) lease for network+containerId+ifName. */
    ADD("add"),
    /** Release the lease for network+containerId+ifName; succeeds for an unknown key. */
    DEL("del"),
    /** Confirm the lease for network+containerId+ifName exists; returns it. */
    CHECK("check"),
    /** Free every lease of {@code network} that is not in {@code attachments}. */
    GC("gc"),
    /** Describe the node, pool, interfaces and leases. */
    STATUS("status");

    private final String wireName;

    Op(String wireName) {
        this.wireName = wireName;
    }

    /** The name on the wire, e.g. {@code "add"}. */
    public String wireName() {
        return wireName;
    }

    /** The op with this exact (lower-case) wire name, if any. */
    public static Optional<Op> fromWireName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        return switch (name) {
            case "add" -> Optional.of(ADD);
            case "del" -> Optional.of(DEL);
            case "check" -> Optional.of(CHECK);
            case "gc" -> Optional.of(GC);
            case "status" -> Optional.of(STATUS);
            default -> Optional.empty();
        };
    }

    /** The valid wire names, comma-separated, for error messages. */
    static String validNames() {
        return "add, del, check, gc, status";
    }
}
