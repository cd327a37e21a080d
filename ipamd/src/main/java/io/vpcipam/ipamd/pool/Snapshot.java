package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;

import java.time.Instant;
import java.util.List;

/**
 * An immutable picture of the pool, taken under the pool lock and handed to the pure {@link Planner}.
 *
 * @param interfaces  the pool's interfaces (attached, usable), by device index
 * @param excluded    interfaces on the pool's network card that ipamd must leave alone (no_manage): they hold a
 *                    device index and count against the card's interface limit, and contribute no address
 * @param demand      ADDs waiting for an address
 * @param lastGrow    when the pool last grew (for shrink hysteresis), or {@link Instant#MIN}
 * @param lastShrink  when the pool last shrank, or {@link Instant#MIN}
 * @param growPausedUntil growth is paused until then after the subnet ran out, or {@link Instant#MIN}
 */
public record Snapshot(List<InterfaceState> interfaces, int demand, Instant lastGrow, Instant lastShrink,
                       Instant growPausedUntil, int excluded) {

    public Snapshot {
        interfaces = List.copyOf(interfaces);
        if (demand < 0) {
            throw new IllegalArgumentException("demand must be >= 0");
        }
        if (excluded < 0) {
            throw new IllegalArgumentException("excluded must be >= 0");
        }
    }

    /** A snapshot of a node with no excluded interface. */
    public Snapshot(List<InterfaceState> interfaces, int demand, Instant lastGrow, Instant lastShrink,
                    Instant growPausedUntil) {
        this(interfaces, demand, lastGrow, lastShrink, growPausedUntil, 0);
    }

    /**
     * One interface's counts. Addresses are those pods can get (the interface's own primary is not among them).
     *
     * @param usedSlots      secondary slots in use: one per secondary address, one per prefix
     * @param freeAddresses  FREE addresses not inside a prefix, ascending
     * @param freePrefixes   prefixes none of whose addresses is assigned, cooling or releasing
     * @param managed        created by vpc-ipam (it carries our owner tag): only such interfaces are ever deleted
     * @param unproven       addresses found at the takeover that a pod may still hold (never released)
     */
    public record InterfaceState(String id, int deviceIndex, int usedSlots, int free, int assigned, int cooling,
                                 int releasing, List<Ipv4Address> freeAddresses, List<Cidr> freePrefixes,
                                 boolean managed, int unproven) {
        public InterfaceState {
            freeAddresses = List.copyOf(freeAddresses);
            freePrefixes = List.copyOf(freePrefixes);
        }

        /** An interface with nothing left to prove. */
        public InterfaceState(String id, int deviceIndex, int usedSlots, int free, int assigned, int cooling,
                              int releasing, List<Ipv4Address> freeAddresses, List<Cidr> freePrefixes,
                              boolean managed) {
            this(id, deviceIndex, usedSlots, free, assigned, cooling, releasing, freeAddresses, freePrefixes, managed,
                    0);
        }

        /** Addresses held on this interface, whatever their state. */
        public int total() {
            return free + assigned + cooling + releasing + unproven;
        }

        /** Whether no address on it is in use, cooling, on its way out or possibly another CNI's pod's. */
        public boolean idle() {
            return assigned == 0 && cooling == 0 && releasing == 0 && unproven == 0;
        }

        /** Whether this is the instance's primary interface. */
        public boolean primary() {
            return deviceIndex == 0;
        }
    }

    /** Addresses held on all interfaces. */
    public int total() {
        return interfaces.stream().mapToInt(InterfaceState::total).sum();
    }

    /** Addresses an ADD could take now. */
    public int free() {
        return interfaces.stream().mapToInt(InterfaceState::free).sum();
    }
}
