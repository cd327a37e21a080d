package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.host.HostView;
import io.vpcipam.ipamd.host.RouteTables;
import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.OwnerTags;
import io.vpcipam.provider.Subnet;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.logging.Logger;

import static io.vpcipam.ipamd.pool.AddressState.ASSIGNED;
import static io.vpcipam.ipamd.pool.AddressState.COOLING;
import static io.vpcipam.ipamd.pool.AddressState.FREE;
import static io.vpcipam.ipamd.pool.AddressState.LOST;
import static io.vpcipam.ipamd.pool.AddressState.RELEASE_IN_DOUBT;
import static io.vpcipam.ipamd.pool.AddressState.RELEASING;
import static io.vpcipam.ipamd.pool.AddressState.UNPROVEN;

/**
 * The node's interfaces and every address they hold, each in one {@link AddressState}. Not thread-safe: every method
 * runs under {@link AddressPool}'s lock.
 *
 * <p>{@link #move} is the only way an address changes state, and it refuses a move its table does not list (a bug,
 * not an input error). An address leaves the inventory only through {@link #drop}, never while ASSIGNED: its pod
 * still uses it.
 *
 * <p>Why one class of some 700 lines: an address's state, its interface's free set and the cooling queue are three
 * indexes of one fact and must change together, in {@link #move}; every operation here (describe, assign call,
 * release, the views the planner, status and the host read) walks them. Splitting the views or the releases out
 * would hand the slots themselves to a second class and let it move states behind {@link #move}'s back.
 */
final class AddressInventory {

    private static final Logger LOG = Logger.getLogger(AddressInventory.class.getName());

    /** How long a released address is ignored in describes (EC2's describe is eventually consistent). */
    private static final Duration RELEASE_SETTLE = Duration.ofSeconds(60);

    /** The moves {@link #move} allows, from each state. */
    private static final Map<AddressState, Set<AddressState>> MOVES = new EnumMap<>(Map.of(
            FREE, EnumSet.of(ASSIGNED, COOLING, RELEASING, UNPROVEN),
            ASSIGNED, EnumSet.of(FREE, COOLING, LOST),
            LOST, EnumSet.of(ASSIGNED),
            COOLING, EnumSet.of(FREE),
            RELEASING, EnumSet.of(FREE, RELEASE_IN_DOUBT),
            RELEASE_IN_DOUBT, EnumSet.of(FREE),
            UNPROVEN, EnumSet.of(FREE, COOLING)));

    static final class Iface {
        final String id;
        int deviceIndex;
        String subnetId;
        String mac;
        Ipv4Address primaryAddress;
        Ipv4Address gateway;
        Cidr subnetCidr; // null until the subnet is described
        boolean managed; // carries our owner tag: created by vpc-ipam, so it may be deleted
        int networkCard;
        NetworkInterface.Exclusion exclusion = NetworkInterface.Exclusion.NONE; // not NONE: shown, never used
        boolean hostReady = true; // the node's side is set up (always, unless the host data path gates it)
        String linkName; // the Linux link holding the interface, as the host data path found it; null = unknown
        final Set<Ipv4Address> secondaries = new LinkedHashSet<>();
        final Set<Cidr> prefixes = new LinkedHashSet<>();
        final TreeSet<Ipv4Address> free = new TreeSet<>();

        Iface(String id) {
            this.id = id;
        }

        int usedSlots() {
            return secondaries.size() + prefixes.size();
        }

        /** Takes the cloud's facts about the interface (not its addresses, which callers merge). */
        void describe(NetworkInterface ni, Subnet subnet) {
            deviceIndex = ni.deviceIndex();
            subnetId = ni.subnetId();
            mac = ni.mac();
            primaryAddress = ni.primaryAddress();
            gateway = subnet == null ? null : subnet.gateway();
            subnetCidr = subnet == null ? null : subnet.cidr();
            managed = ni.tags().containsKey(OwnerTags.INSTANCE_ID);
            networkCard = ni.networkCard();
            exclusion = ni.exclusion();
        }

        boolean usable() {
            return exclusion == NetworkInterface.Exclusion.NONE;
        }

        boolean primary() {
            return deviceIndex == 0 && networkCard == 0;
        }
    }

    private static final class Slot {
        final Ipv4Address address;
        String ifaceId;
        Cidr prefix; // null for a secondary address
        AddressState state;
        LeaseKey lease; // ASSIGNED and LOST only
        Instant coolingUntil; // COOLING only

        Slot(Ipv4Address address, String ifaceId, Cidr prefix, AddressState state) {
            this.address = address;
            this.ifaceId = ifaceId;
            this.prefix = prefix;
            this.state = state;
        }
    }

    private final InstantSource clock;
    private final BiConsumer<LeaseKey, String> leaseMoved;
    private final Map<String, Iface> interfaces = new LinkedHashMap<>();
    private List<Iface> sortedCache; // null when interfaces changed
    private final Map<Ipv4Address, Instant> recentlyReleased = new HashMap<>(); // address -> ignore in describes until
    private final Map<Ipv4Address, Slot> slots = new HashMap<>();
    private final PriorityQueue<Slot> coolingQueue = new PriorityQueue<>(Comparator.comparing((Slot s) -> s.coolingUntil));
    private NodeInfo node;
    private boolean gateOnHost; // interfaces with device index 1+ serve pods only once the host data path says so
    private Runnable interfacesChanged = () -> { };

    /** {@code leaseMoved} is told (under the pool lock) when a leased address turns up on another interface. */
    AddressInventory(InstantSource clock, BiConsumer<LeaseKey, String> leaseMoved) {
        this.clock = clock;
        this.leaseMoved = leaseMoved;
    }

    // ---------------------------------------------------------------- the one transition function

    /** Moves {@code s} to {@code to}, keeping the free sets and the cooling queue in step; refuses unlisted moves. */
    private void move(Slot s, AddressState to) {
        if (!MOVES.get(s.state).contains(to)) {
            throw new IllegalStateException(s.address + ": no move from " + s.state + " to " + to);
        }
        leave(s);
        s.state = to;
        if (to == FREE) {
            Iface iface = interfaces.get(s.ifaceId);
            if (iface != null) {
                iface.free.add(s.address);
            }
        }
    }

    private void cool(Slot s, Instant until) {
        move(s, COOLING);
        s.coolingUntil = until;
        coolingQueue.add(s);
    }

    /** Takes {@code s} out of the bookkeeping of its current state. */
    private void leave(Slot s) {
        if (s.state == FREE) {
            Iface iface = interfaces.get(s.ifaceId);
            if (iface != null) {
                iface.free.remove(s.address);
            }
        } else if (s.state == COOLING) {
            coolingQueue.remove(s);
            s.coolingUntil = null;
        }
    }

    /** Removes an address the node no longer holds (or never will again). Never one a pod holds on the node. */
    private void drop(Slot s) {
        if (s.state == ASSIGNED) {
            throw new IllegalStateException(s.address + " is leased to " + s.lease + ": it cannot leave the pool");
        }
        leave(s);
        slots.remove(s.address);
    }

    private void addSlot(Ipv4Address a, String ifaceId, Cidr prefix) {
        slots.put(a, new Slot(a, ifaceId, prefix, FREE));
        Iface iface = interfaces.get(ifaceId);
        if (iface != null) {
            iface.free.add(a);
        }
    }

    private void moveSlot(Slot s, String ifaceId, Cidr prefix) {
        Iface old = interfaces.get(s.ifaceId);
        if (old != null) {
            old.free.remove(s.address);
        }
        s.ifaceId = ifaceId;
        s.prefix = prefix;
        if (s.state == FREE) {
            Iface now = interfaces.get(ifaceId);
            if (now != null) {
                now.free.add(s.address);
            }
        }
        if (s.lease != null) {
            leaseMoved.accept(s.lease, ifaceId);
        }
    }

    // ---------------------------------------------------------------- interfaces

    void gateOnHost() {
        gateOnHost = true;
        for (Iface iface : interfaces.values()) {
            iface.hostReady = false;
        }
    }

    void onInterfacesChanged(Runnable hook) {
        interfacesChanged = Objects.requireNonNull(hook);
    }

    NodeInfo node() {
        return node;
    }

    private Iface newIface(String id) {
        Iface iface = new Iface(id);
        iface.hostReady = !gateOnHost; // device index unknown yet: a gated pool waits for the host either way
        return iface;
    }

    /** Interfaces by device index; cached, as every ADD walks it (invalidated when interfaces change). */
    private List<Iface> sortedInterfaces() {
        if (sortedCache == null) {
            List<Iface> list = new ArrayList<>(interfaces.values());
            list.sort(Comparator.<Iface>comparingInt(i -> i.networkCard).thenComparingInt(i -> i.deviceIndex));
            sortedCache = List.copyOf(list);
        }
        return sortedCache;
    }

    private void interfacesChanged() {
        sortedCache = null;
        interfacesChanged.run();
    }

    /** See {@link AddressPool#sync}. */
    void sync(NodeInfo info) {
        this.node = info;
        Map<Ipv4Address, String> held = new HashMap<>();
        Map<Ipv4Address, Cidr> prefixOf = new HashMap<>();
        Set<String> seen = new HashSet<>();
        for (NetworkInterface ni : info.interfaces()) {
            seen.add(ni.id());
            Iface iface = interfaces.computeIfAbsent(ni.id(), this::newIface);
            iface.describe(ni, info.subnet(ni.subnetId()));
            iface.secondaries.clear();
            iface.secondaries.addAll(ni.secondaryAddresses());
            iface.prefixes.clear();
            iface.prefixes.addAll(ni.prefixes());
            if (!iface.usable()) {
                continue; // shown in status, but none of its addresses is the pool's
            }
            for (Ipv4Address a : ni.secondaryAddresses()) {
                held.put(a, ni.id());
            }
            for (Cidr p : ni.prefixes()) {
                for (long i = 0; i < p.size(); i++) {
                    held.put(p.address(i), ni.id());
                    prefixOf.put(p.address(i), p);
                }
            }
        }
        for (Slot slot : new ArrayList<>(slots.values())) {
            String ifaceId = held.get(slot.address);
            if (ifaceId == null) {
                switch (slot.state) {
                    case ASSIGNED -> {
                        move(slot, LOST);
                        LOG.warning("the cloud no longer lists " + slot.address + " for the pool (gone, or its"
                                + " interface is now unmanaged; leased to " + slot.lease
                                + "); it stays with its pod until the pod is deleted");
                    }
                    case LOST, RELEASING -> { } // LOST stays with its pod; RELEASING is the executor's to settle
                    default -> drop(slot); // not leased: nothing else to undo
                }
            } else {
                if (slot.state == LOST) {
                    move(slot, ASSIGNED); // held again, and still its pod's
                }
                if (!ifaceId.equals(slot.ifaceId)) {
                    moveSlot(slot, ifaceId, prefixOf.get(slot.address));
                }
                if (slot.state == RELEASE_IN_DOUBT) {
                    move(slot, FREE);
                }
            }
        }
        Instant now = clock.instant();
        recentlyReleased.values().removeIf(until -> !until.isAfter(now));
        for (Map.Entry<Ipv4Address, String> e : held.entrySet()) {
            if (!slots.containsKey(e.getKey()) && !recentlyReleased.containsKey(e.getKey())) {
                addSlot(e.getKey(), e.getValue(), prefixOf.get(e.getKey()));
            }
        }
        interfaces.keySet().removeIf(id -> !seen.contains(id));
        interfacesChanged();
    }

    /** Records a newly attached interface (its addresses come through {@link #assigned}). */
    void attached(NetworkInterface ni) {
        interfaces.computeIfAbsent(ni.id(), this::newIface).describe(ni, node == null ? null : node.subnet(ni.subnetId()));
        interfacesChanged();
    }

    /** Records what an assign call added as FREE; false if the interface is unknown or not the pool's. */
    boolean assigned(String interfaceId, Assignment assignment) {
        Iface iface = interfaces.get(interfaceId);
        if (iface == null || !iface.usable()) {
            return false; // the next describe will bring it (or it is not ours to use)
        }
        for (Ipv4Address a : assignment.addresses()) {
            recentlyReleased.remove(a); // the cloud gave it back to us: this is news, not a stale describe
            Slot known = slots.get(a);
            if (known != null && known.state == LOST) {
                move(known, ASSIGNED); // held again, and still its pod's
                moveSlot(known, interfaceId, null);
            }
            if (iface.secondaries.add(a) && known == null) {
                addSlot(a, interfaceId, null);
            }
        }
        for (Cidr p : assignment.prefixes()) {
            if (iface.prefixes.add(p)) {
                for (long i = 0; i < p.size(); i++) {
                    recentlyReleased.remove(p.address(i));
                    Slot known = slots.get(p.address(i));
                    if (known == null) {
                        addSlot(p.address(i), interfaceId, p);
                    } else if (known.state == LOST) {
                        move(known, ASSIGNED); // held again, and still its pod's
                        moveSlot(known, interfaceId, p);
                    }
                }
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- start-up

    /**
     * Gives a checkpointed lease its address, on whichever interface the cloud says; one whose address the node no
     * longer holds is kept LOST.
     *
     * @return the interface the lease's address sits on, or null if another lease already holds it
     */
    String restoreLease(Lease lease) {
        Slot slot = slots.get(lease.address());
        if (slot != null && slot.state != FREE) {
            return null; // two checkpointed leases on one address: only a corrupt file does this
        }
        if (slot == null) {
            // the node no longer holds it, but its pod may still be using it: keep the lease, never hand the address
            // out again until the pod's DEL or GC (it may come back in a later describe)
            slot = new Slot(lease.address(), lease.interfaceId(), null, LOST);
            slots.put(slot.address, slot);
            LOG.warning("lease " + lease.key() + " on " + lease.address()
                    + ": the node no longer holds the address; kept until the pod is deleted");
        } else {
            move(slot, ASSIGNED);
        }
        slot.lease = lease.key();
        return slot.ifaceId;
    }

    /** Gives each checkpointed FREE address whose cool-down has not ended its cool-down back. */
    void restoreCooling(Map<Ipv4Address, Instant> cooling) {
        for (Map.Entry<Ipv4Address, Instant> e : cooling.entrySet()) {
            Slot slot = slots.get(e.getKey());
            if (slot != null && slot.state == FREE && e.getValue().isAfter(clock.instant())) {
                cool(slot, e.getValue());
            }
        }
    }

    /** Makes every FREE address UNPROVEN ({@code all}), or those in {@code unproven}; returns how many. */
    int adopt(boolean all, Set<Ipv4Address> unproven) {
        int adopted = 0;
        for (Slot slot : slots.values()) {
            if (slot.state == FREE && (all || unproven.contains(slot.address))) {
                move(slot, UNPROVEN);
                adopted++;
            }
        }
        return adopted;
    }

    Set<Ipv4Address> unproven() {
        Set<Ipv4Address> out = new TreeSet<>();
        for (Slot s : slots.values()) {
            if (s.state == UNPROVEN) {
                out.add(s.address);
            }
        }
        return out;
    }

    /** Moves an UNPROVEN address on (cooling, or FREE with no cool-down); false if it is not UNPROVEN. */
    boolean prove(Ipv4Address a, Duration cooldown) {
        Slot s = slots.get(a);
        if (s == null || s.state != UNPROVEN) {
            return false;
        }
        freeAfter(s, cooldown);
        return true;
    }

    private void freeAfter(Slot s, Duration cooldown) {
        if (cooldown.isZero()) {
            move(s, FREE);
        } else {
            cool(s, clock.instant().plus(cooldown));
        }
    }

    // ---------------------------------------------------------------- leases' addresses

    /** The first FREE address on an interface ready for pods (lowest device index first), or null. */
    Ipv4Address firstFree() {
        for (Iface iface : sortedInterfaces()) {
            if (!iface.free.isEmpty() && (iface.hostReady || iface.deviceIndex == 0)) {
                return iface.free.first();
            }
        }
        return null;
    }

    /** True when an interface whose node side is still being set up (gated on the host) has a FREE address. */
    boolean freeAwaitingHost() {
        for (Iface iface : sortedInterfaces()) {
            if (!iface.free.isEmpty() && !iface.hostReady && iface.deviceIndex != 0) {
                return true;
            }
        }
        return false;
    }

    /** Gives the FREE address {@code a} to {@code key}; returns the interface it is on. */
    String assign(Ipv4Address a, LeaseKey key) {
        Slot slot = slots.get(a);
        move(slot, ASSIGNED);
        slot.lease = key;
        return slot.ifaceId;
    }

    /** Takes back an address whose lease was just undone (its ADD was never acknowledged): FREE at once. */
    void unassign(Lease lease) {
        Slot slot = slots.get(lease.address());
        if (slot == null || !lease.key().equals(slot.lease)) {
            return;
        }
        slot.lease = null;
        if (slot.state == LOST) {
            drop(slot); // the node does not hold it: nothing to give back to the pool
        } else if (slot.state == ASSIGNED) {
            move(slot, FREE);
        }
    }

    /** Takes back a released lease's address: it cools down (LOST ones leave: the node does not hold them). */
    void release(Lease lease, Duration cooldown) {
        Slot slot = slots.get(lease.address());
        if (slot == null || !lease.key().equals(slot.lease)) {
            return;
        }
        slot.lease = null;
        if (slot.state == LOST) {
            drop(slot); // the node does not hold it: nothing to give back to the pool
        } else {
            freeAfter(slot, cooldown);
        }
    }

    /** Ends every cool-down that is over; true if any did. */
    boolean expireCooling() {
        Instant now = clock.instant();
        boolean any = false;
        while (!coolingQueue.isEmpty() && !coolingQueue.peek().coolingUntil.isAfter(now)) {
            move(coolingQueue.peek(), FREE);
            any = true;
        }
        return any;
    }

    long nanosUntilNextCoolingExpiry() {
        Slot next = coolingQueue.peek();
        if (next == null) {
            return Long.MAX_VALUE;
        }
        long millis = Duration.between(clock.instant(), next.coolingUntil).toMillis();
        return TimeUnit.MILLISECONDS.toNanos(Math.max(1, millis));
    }

    int cooling() {
        return coolingQueue.size();
    }

    int size() {
        return slots.size();
    }

    /** Every cooling address and when its cool-down ends (for the checkpoint). */
    Map<Ipv4Address, Instant> coolingUntil() {
        Map<Ipv4Address, Instant> cool = new HashMap<>();
        for (Slot s : coolingQueue) {
            cool.put(s.address, s.coolingUntil);
        }
        return cool;
    }

    AddressState stateOf(Ipv4Address a) {
        Slot s = slots.get(a);
        return s == null ? null : s.state;
    }

    /** The lease's wiring: its interface's MAC, device index, route table and gateway, and the VPC blocks. */
    Grant grant(Lease lease) {
        Iface iface = interfaces.get(lease.interfaceId());
        int deviceIndex = iface == null ? 0 : iface.deviceIndex;
        return new Grant(lease, iface == null ? "" : iface.mac, deviceIndex, RouteTables.forDevice(deviceIndex),
                iface == null ? null : iface.gateway, node == null ? List.of() : node.vpcCidrs());
    }

    // ---------------------------------------------------------------- releases

    /** See {@link AddressPool#beginRelease}. */
    Assignment beginRelease(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes) {
        List<Ipv4Address> marked = new ArrayList<>();
        for (Ipv4Address a : addresses) {
            Slot s = slots.get(a);
            if (s != null && s.state == FREE && s.prefix == null && s.ifaceId.equals(interfaceId)) {
                move(s, RELEASING);
                marked.add(a);
            }
        }
        List<Cidr> markedPrefixes = new ArrayList<>();
        for (Cidr p : prefixes) {
            List<Slot> members = new ArrayList<>();
            boolean idle = true;
            for (long i = 0; i < p.size() && idle; i++) {
                Slot s = slots.get(p.address(i));
                idle = s != null && s.state == FREE && p.equals(s.prefix) && s.ifaceId.equals(interfaceId);
                members.add(s);
            }
            if (idle) {
                members.forEach(s -> move(s, RELEASING));
                markedPrefixes.add(p);
            }
        }
        return new Assignment(marked, markedPrefixes);
    }

    /** See {@link AddressPool#beginDelete}. */
    boolean beginDelete(String interfaceId) {
        Iface iface = interfaces.get(interfaceId);
        if (iface == null || iface.primary() || !iface.usable()) {
            return false;
        }
        List<Slot> members = slots.values().stream().filter(s -> s.ifaceId.equals(interfaceId)).toList();
        if (members.stream().anyMatch(s -> s.state != FREE)) {
            return false;
        }
        members.forEach(s -> move(s, RELEASING));
        return true;
    }

    /** See {@link AddressPool#endRelease}; true if the interface gave the addresses back (the pool shrank). */
    boolean endRelease(String interfaceId, Assignment marked, CallOutcome outcome) {
        Iface iface = interfaces.get(interfaceId);
        List<Slot> members = new ArrayList<>();
        for (Ipv4Address a : marked.addresses()) {
            members.add(slots.get(a));
        }
        for (Cidr p : marked.prefixes()) {
            for (long i = 0; i < p.size(); i++) {
                members.add(slots.get(p.address(i)));
            }
        }
        for (Slot s : members) {
            if (s != null && releasing(s)) {
                settle(s, outcome);
            }
        }
        if (outcome == CallOutcome.APPLIED && iface != null) {
            marked.addresses().forEach(iface.secondaries::remove);
            marked.prefixes().forEach(iface.prefixes::remove);
            return true;
        }
        return false;
    }

    /** See {@link AddressPool#endDelete}; true if the interface is gone. */
    boolean endDelete(String interfaceId, CallOutcome outcome) {
        for (Slot s : new ArrayList<>(slots.values())) {
            if (s.ifaceId.equals(interfaceId) && releasing(s)) {
                settle(s, outcome);
            }
        }
        if (outcome == CallOutcome.APPLIED) {
            interfaces.remove(interfaceId);
            interfacesChanged();
            return true;
        }
        return false;
    }

    private static boolean releasing(Slot s) {
        return s.state == RELEASING || s.state == RELEASE_IN_DOUBT;
    }

    /** Moves one releasing slot on as its release call ended. */
    private void settle(Slot s, CallOutcome outcome) {
        switch (outcome) {
            case APPLIED -> {
                drop(s);
                recentlyReleased.put(s.address, clock.instant().plus(RELEASE_SETTLE));
            }
            case REFUSED -> {
                if (s.state == RELEASING) {
                    move(s, FREE); // nothing happened: still the node's, as before the call
                }
            }
            case IN_DOUBT -> {
                if (s.state == RELEASING) {
                    move(s, RELEASE_IN_DOUBT);
                }
            }
        }
    }

    // ---------------------------------------------------------------- the host data path's side

    HostView hostView() {
        if (node == null) {
            return new HostView(List.of(), List.of());
        }
        List<HostView.Interface> out = new ArrayList<>();
        for (Iface i : sortedInterfaces()) {
            // interfaces tagged no_manage or on another network card are never touched
            if (i.usable() || i.primary()) {
                out.add(new HostView.Interface(i.id, i.mac, i.deviceIndex, i.primaryAddress, i.subnetCidr,
                        i.gateway));
            }
        }
        return new HostView(out, node.vpcCidrs());
    }

    void hostApplied(Map<String, String> links, Set<String> ready) {
        for (Iface iface : interfaces.values()) {
            iface.linkName = links.get(iface.id);
            iface.hostReady = ready.contains(iface.id);
        }
    }

    // ---------------------------------------------------------------- views

    /** Addresses per state, over all interfaces. */
    EnumMap<AddressState, Integer> counts() {
        EnumMap<AddressState, Integer> c = zero();
        for (Slot s : slots.values()) {
            c.merge(s.state, 1, Integer::sum);
        }
        return c;
    }

    private static EnumMap<AddressState, Integer> zero() {
        EnumMap<AddressState, Integer> c = new EnumMap<>(AddressState.class);
        for (AddressState s : AddressState.values()) {
            c.put(s, 0);
        }
        return c;
    }

    /** Each interface as status shows it; assigned counts LOST addresses too (their pods still hold them). */
    List<PoolStatus.InterfaceStatus> interfaceStatuses() {
        Map<String, EnumMap<AddressState, Integer>> perIface = new HashMap<>();
        for (Slot s : slots.values()) {
            perIface.computeIfAbsent(s.ifaceId, k -> zero()).merge(s.state, 1, Integer::sum);
        }
        List<PoolStatus.InterfaceStatus> out = new ArrayList<>();
        for (Iface iface : sortedInterfaces()) {
            EnumMap<AddressState, Integer> ic = perIface.getOrDefault(iface.id, zero());
            out.add(new PoolStatus.InterfaceStatus(iface.id, iface.deviceIndex, iface.subnetId,
                    iface.primaryAddress, List.copyOf(iface.secondaries), List.copyOf(iface.prefixes),
                    ic.get(FREE), ic.get(ASSIGNED) + ic.get(LOST),
                    iface.usable() ? null : iface.exclusion.label(), iface.mac, iface.linkName,
                    RouteTables.forDevice(iface.deviceIndex), iface.hostReady || iface.deviceIndex == 0));
        }
        return out;
    }

    /** What the planner sees: the usable interfaces, and how many on the pool's card are excluded. */
    record Shape(List<Snapshot.InterfaceState> interfaces, int excluded) {
    }

    /** The planner's view: LOST addresses are not the node's and are left out. */
    Shape shape() {
        Map<String, EnumMap<AddressState, Integer>> counts = new HashMap<>();
        Map<String, List<Ipv4Address>> freeSingles = new HashMap<>();
        Map<Cidr, Boolean> prefixIdle = new HashMap<>();
        for (Slot s : slots.values()) {
            if (s.state == LOST) {
                continue; // not the node's: the planner must not count it
            }
            counts.computeIfAbsent(s.ifaceId, k -> zero()).merge(s.state, 1, Integer::sum);
            if (s.prefix == null) {
                if (s.state == FREE) {
                    freeSingles.computeIfAbsent(s.ifaceId, k -> new ArrayList<>()).add(s.address);
                }
            } else {
                prefixIdle.merge(s.prefix, s.state == FREE, Boolean::logicalAnd);
            }
        }
        List<Snapshot.InterfaceState> states = new ArrayList<>();
        int excluded = 0;
        for (Iface iface : sortedInterfaces()) {
            if (!iface.usable()) {
                excluded += iface.networkCard == 0 ? 1 : 0; // other cards have limits of their own
                continue;
            }
            EnumMap<AddressState, Integer> c = counts.getOrDefault(iface.id, zero());
            List<Ipv4Address> singles = new ArrayList<>(freeSingles.getOrDefault(iface.id, List.of()));
            singles.sort(null);
            List<Cidr> idlePrefixes = iface.prefixes.stream().filter(p -> prefixIdle.getOrDefault(p, false)).toList();
            states.add(new Snapshot.InterfaceState(iface.id, iface.deviceIndex, iface.usedSlots(), c.get(FREE),
                    c.get(ASSIGNED), c.get(COOLING), c.get(RELEASING) + c.get(RELEASE_IN_DOUBT), singles,
                    idlePrefixes, iface.managed, c.get(UNPROVEN)));
        }
        return new Shape(states, excluded);
    }
}
