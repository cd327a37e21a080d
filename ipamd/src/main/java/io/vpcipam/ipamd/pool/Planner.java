package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.Capabilities;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.Limits;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

/**
 * The pool engine's decision: {@code (snapshot, targets, limits, capabilities, now) -> plan}. Pure: no I/O, no
 * clock, no lock. One plan per call; the reconciler applies it and asks again, so a burst becomes one call per
 * interface that has room, each as large as the limits allow, and never one call per pod.
 *
 * <p>Growth fills existing interfaces (lowest device index first) before creating one. Shrinking waits
 * {@code shrinkDelay} after the last growth or shrink and until the excess reaches
 * {@link PoolMath#shrinkThreshold}; it deletes a wholly idle secondary interface when that is enough, else
 * gives back single addresses (address targets) or wholly free prefixes (prefix mode). With only
 * WARM_ENI_TARGET set, single addresses are never released, as in the AWS CNI.
 */
public final class Planner {

    private Planner() {
    }

    /**
     * The node's shape under its limits, as the planner sees it: what the pool's at-limit check, its capacity in
     * status and the limit metrics read, so none of them works it out again.
     *
     * @param maxInterfaces         interfaces the pool may have (see {@link #maxInterfaces})
     * @param capacity              pool addresses the node can hold (see {@link #capacity})
     * @param addressesPerInterface pod addresses one interface can hold (prefix members in prefix mode)
     * @param atLimit               the node holds all it can: nothing more can be asked of the cloud
     */
    public record Shape(int maxInterfaces, int capacity, int addressesPerInterface, boolean atLimit) {
    }

    /** A plan and the shape of the node it was made for. */
    public record Planned(Plan plan, Shape shape) {
    }

    /** Decides the next step and returns it with the node's shape. */
    public static Planned decide(Snapshot snapshot, Targets targets, Limits limits, Capabilities caps, Instant now,
                                 Duration shrinkDelay) {
        return new Planned(plan(snapshot, targets, limits, caps, now, shrinkDelay), shape(snapshot, targets, limits,
                caps));
    }

    /** The node's shape under its limits (see {@link Shape}). */
    public static Shape shape(Snapshot snapshot, Targets targets, Limits limits, Capabilities caps) {
        boolean prefixMode = targets.prefixMode() && caps.prefixDelegation();
        int perUnit = prefixMode ? caps.addressesPerPrefix() : 1;
        int maxInterfaces = maxInterfaces(snapshot, targets, limits, caps);
        int capacity = capacity(snapshot, targets, limits, caps);
        boolean atLimit = snapshot.total() >= capacity || (snapshot.interfaces().size() >= maxInterfaces
                && snapshot.interfaces().stream().allMatch(i -> i.usedSlots() >= limits.slotsPerInterface()));
        return new Shape(maxInterfaces, capacity, PoolMath.capacity(1, limits.slotsPerInterface(), perUnit), atLimit);
    }

    /** Decides the next step. */
    public static Plan plan(Snapshot snapshot, Targets targets, Limits limits, Capabilities caps, Instant now,
                            Duration shrinkDelay) {
        boolean prefixMode = targets.prefixMode() && caps.prefixDelegation();
        int perUnit = prefixMode ? caps.addressesPerPrefix() : 1;
        int slots = limits.slotsPerInterface();
        int maxInterfaces = maxInterfaces(snapshot, targets, limits, caps);
        int capacity = capacity(snapshot, targets, limits, caps);
        int total = snapshot.total();
        int free = snapshot.free();
        int demand = snapshot.demand();
        int warm = PoolMath.warmAddresses(targets, slots * perUnit, perUnit);
        int needed = PoolMath.neededAddresses(total, free, demand, warm, targets.minimumIp(), capacity);
        String why = why(demand, warm, targets.minimumIp(), total);
        if (needed == 0 && total >= capacity
                && PoolMath.neededAddresses(total, free, demand, warm, targets.minimumIp(), Integer.MAX_VALUE) > 0) {
            return new Plan.Nothing("short of " + why + " but the node is at its limit of "
                    + limitText(limits, maxInterfaces, slots, capacity) + unmanaged(snapshot));
        }

        if (needed > 0) {
            if (now.isBefore(snapshot.growPausedUntil())) {
                return new Plan.Nothing("need " + needed + " (" + why + ") but the cloud refused the last allocation for capacity"
                        + " (subnet exhausted, or an interface or instance limit); growth paused until "
                        + snapshot.growPausedUntil());
            }
            int units = PoolMath.unitsFor(needed, perUnit);
            int rank = 0;
            for (Snapshot.InterfaceState iface : snapshot.interfaces()) {
                if (rank++ >= maxInterfaces && caps.hotAttachInterfaces()) {
                    continue; // MAX_ENI lowered below what is attached: do not grow the ones beyond it
                }
                int room = slots - iface.usedSlots();
                if (room > 0) {
                    int n = Math.min(Math.min(units, room), caps.maxAddressesPerCall());
                    return prefixMode
                            ? new Plan.Allocate(iface.id(), 0, n, "allocate " + n + " prefixes on " + iface.id() + ": " + why)
                            : new Plan.Allocate(iface.id(), n, 0, "allocate " + n + " on " + iface.id() + ": " + why);
                }
            }
            if (snapshot.interfaces().size() < maxInterfaces) {
                int n = Math.min(Math.min(units, slots), caps.maxAddressesPerCall());
                return prefixMode
                        ? new Plan.CreateInterface(0, n, "create interface with " + n + " prefixes: " + why)
                        : new Plan.CreateInterface(n, 0, "create interface with " + n + " addresses: " + why);
            }
            return new Plan.Nothing("need " + needed + " (" + why + ") but the node is at its limit of "
                    + limitText(limits, maxInterfaces, slots, capacity) + unmanaged(snapshot));
        }

        int excess = PoolMath.excessAddresses(total, free, demand, warm, targets.minimumIp());
        if (excess < PoolMath.shrinkThreshold(warm)) {
            return new Plan.Nothing("at target: " + free + " free, " + total + " held (" + why + ")");
        }
        Instant calmSince = later(snapshot.lastGrow(), snapshot.lastShrink());
        if (now.isBefore(calmSince.plus(shrinkDelay))) {
            return new Plan.Nothing(excess + " above target; shrink waits until " + calmSince.plus(shrinkDelay));
        }
        String shrinkWhy = excess + " above target (" + free + " free; " + why + ")";
        for (Snapshot.InterfaceState iface : snapshot.interfaces().reversed()) {
            // only interfaces we created, and only where we could create them again: an ENI someone else attached
            // (Multus, EFA) is not ours to delete, and an Azure NIC cannot be re-attached to a running VM
            if (!iface.primary() && iface.managed() && caps.hotAttachInterfaces() && iface.idle()
                    && iface.total() <= excess) {
                return new Plan.DeleteInterface(iface.id(), "delete idle " + iface.id() + ": " + shrinkWhy);
            }
        }
        Comparator<Snapshot.InterfaceState> drainFirst = Comparator
                .comparingInt(Snapshot.InterfaceState::assigned)
                .thenComparing(Comparator.comparingInt(Snapshot.InterfaceState::deviceIndex).reversed());
        if (prefixMode) {
            int prefixes = Math.min(excess / perUnit, caps.maxAddressesPerCall());
            var candidate = snapshot.interfaces().stream().filter(i -> !i.freePrefixes().isEmpty())
                    .min(drainFirst);
            if (prefixes > 0 && candidate.isPresent()) {
                List<Cidr> chosen = candidate.get().freePrefixes().stream().limit(prefixes).toList();
                return new Plan.Release(candidate.get().id(), List.of(), chosen,
                        "release " + chosen.size() + " prefixes on " + candidate.get().id() + ": " + shrinkWhy);
            }
        } else if (targets.addressTargets()) {
            int n = Math.min(excess, caps.maxAddressesPerCall());
            var candidate = snapshot.interfaces().stream().filter(i -> !i.freeAddresses().isEmpty()).min(drainFirst);
            if (candidate.isPresent()) {
                List<Ipv4Address> chosen = candidate.get().freeAddresses().reversed().stream().limit(n).toList();
                return new Plan.Release(candidate.get().id(), chosen, List.of(),
                        "release " + chosen.size() + " on " + candidate.get().id() + ": " + shrinkWhy);
            }
        }
        return new Plan.Nothing(shrinkWhy + ", but nothing can go back whole");
    }

    /**
     * Interfaces the pool may have: the card's limit, capped by MAX_ENI, less the interfaces ipamd must leave alone
     * (they hold device indexes on the card, as in the AWS CNI's {@code maxENI - unmanagedENI}), and capped by what
     * exists where none can be attached.
     */
    public static int maxInterfaces(Snapshot snapshot, Targets targets, Limits limits, Capabilities caps) {
        int max = targets.maxInterfaces() > 0
                ? Math.min(limits.maxInterfaces(), targets.maxInterfaces()) : limits.maxInterfaces();
        max = Math.max(0, max - snapshot.excluded());
        int existing = snapshot.interfaces().size();
        return caps.hotAttachInterfaces() ? max
                : Math.min(max, snapshot.excluded() == 0 ? Math.max(1, existing) : existing);
    }

    /**
     * Pool addresses the node can hold: interfaces x slots (x addresses per prefix in prefix mode), capped by the
     * instance's own limit where the cloud has one (Azure's 256 private addresses per VM, whatever its NICs hold
     * each). The one figure behind the planner, the status's and the Node annotation's capacity (maxPods) and the
     * capacity metric.
     */
    public static int capacity(Snapshot snapshot, Targets targets, Limits limits, Capabilities caps) {
        boolean prefixMode = targets.prefixMode() && caps.prefixDelegation();
        int perUnit = prefixMode ? caps.addressesPerPrefix() : 1;
        int byInterfaces = PoolMath.capacity(maxInterfaces(snapshot, targets, limits, caps), limits.slotsPerInterface(),
                perUnit);
        return Math.min(byInterfaces, limits.poolAddressesPerInstance());
    }

    private static String limitText(Limits limits, int maxInterfaces, int slots, int capacity) {
        String interfaces = maxInterfaces + " interfaces x " + slots + " slots";
        return limits.instanceLimited() && capacity < PoolMath.capacity(maxInterfaces, slots, 1)
                ? capacity + " addresses for the instance as a whole (its cloud limit per instance; " + interfaces + ")"
                : interfaces;
    }

    private static String unmanaged(Snapshot snapshot) {
        return snapshot.excluded() == 0 ? "" : " (besides " + snapshot.excluded() + " unmanaged)";
    }

    private static String why(int demand, int warm, int minimum, int total) {
        StringBuilder sb = new StringBuilder();
        sb.append(demand).append(demand == 1 ? " waiting ADD" : " waiting ADDs").append(" + warm target ").append(warm);
        if (minimum > 0) {
            sb.append(", minimum ").append(minimum).append(" (held ").append(total).append(')');
        }
        return sb.toString();
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
