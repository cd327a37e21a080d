package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.host.HostView;
import io.vpcipam.ipamd.host.PoolSide;
import io.vpcipam.ipamd.host.RouteTables;
import io.vpcipam.ipamd.lease.CheckpointState;
import io.vpcipam.ipamd.lease.GroupCommit;
import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.Subnet;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The node's addresses and leases: the datastore both the socket server (ADD, DEL, CHECK, GC) and the reconciler
 * (cloud results) change, under one lock.
 *
 * <p>Every address the node's interfaces hold is a slot in one {@link AddressState}. An ADD takes a FREE slot
 * (lowest device index first, so higher interfaces drain and can be deleted); when there is none it waits, counted
 * as demand, after waking the reconciler, until an address arrives or the bounded timeout passes. A DEL puts the
 * address into COOLING. Releases go through RELEASING, which no ADD can take, so a release can never race an
 * assignment. Each lease change is made durable through {@link GroupCommit} before the caller is answered; a
 * failed write undoes the ADD.
 *
 * <p>The cloud is the truth for which addresses the node holds ({@link #sync}); the checkpoint is the truth for
 * which are assigned ({@link #restore}).
 */
public final class AddressPool implements PoolSide {

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(AddressPool.class.getName());

    /** Why a lease was dropped without a DEL, for logs and metrics. */
    public enum DropReason { GC, DUPLICATE_AT_START, POD_GONE }

    private static final class Iface {
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
            managed = ni.tags().containsKey(io.vpcipam.provider.OwnerTags.INSTANCE_ID);
            networkCard = ni.networkCard();
            exclusion = ni.exclusion();
        }

        boolean usable() {
            return exclusion == NetworkInterface.Exclusion.NONE;
        }
    }

    /**
     * File times come from the kernel's coarse clock, up to a tick behind the clock leases are stamped with: an ADD
     * only this much after a spool file's time may well have come before it.
     */
    private static final Duration SPOOL_CLOCK_SLACK = Duration.ofMillis(20);

    /** How long a released address is ignored in describes (EC2's describe is eventually consistent). */
    private static final Duration RELEASE_SETTLE = Duration.ofSeconds(60);

    private static final class Slot {
        final Ipv4Address address;
        String ifaceId;
        Cidr prefix; // null for a secondary address
        AddressState state = AddressState.FREE;
        boolean inDoubt; // RELEASING after a failed release or delete: the cloud may have applied it
        boolean lost;    // ASSIGNED, but the cloud no longer lists it: kept for its pod, never handed out again
        LeaseKey lease;
        Instant coolingUntil;

        Slot(Ipv4Address address, String ifaceId, Cidr prefix) {
            this.address = address;
            this.ifaceId = ifaceId;
            this.prefix = prefix;
        }
    }

    private static final int STATES = AddressState.values().length;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final InstantSource clock;
    private final Duration cooldown;
    private final Runnable onDemand;
    private final Consumer<DropReason> onDrop;

    // all guarded by lock
    private final Map<String, Iface> interfaces = new LinkedHashMap<>();
    private List<Iface> sortedCache; // null when interfaces changed
    private final Map<Ipv4Address, Instant> recentlyReleased = new HashMap<>(); // address -> ignore in describes until
    private final Map<Ipv4Address, Slot> slots = new HashMap<>();
    private final Map<LeaseKey, Lease> leases = new HashMap<>();
    private final Map<LeaseKey, Integer> waitingKeys = new HashMap<>(); // ADDs waiting for an address, per key
    private final Set<LeaseKey> cancelled = new HashSet<>(); // waiting ADDs a DEL of their key called off
    private final PriorityQueue<Slot> coolingQueue = new PriorityQueue<>(Comparator.comparing((Slot s) -> s.coolingUntil));
    private NodeInfo node;
    private int waiting;
    private int pending;
    private int capacity;
    private boolean atLimit;
    private Instant lastGrow = Instant.MIN;
    private Instant lastShrink = Instant.MIN;
    private Instant growPausedUntil = Instant.MIN;
    private GroupCommit commit;
    private boolean gateOnHost; // interfaces with device index 1+ serve pods only once the host data path says so
    private Runnable interfacesChanged = () -> { };

    /**
     * @param clock    the only clock read (cool-downs, lease times)
     * @param cooldown IP_COOLDOWN_PERIOD
     * @param onDemand called (under the lock, must not block) when an ADD finds no free address
     * @param onDrop   called (under the lock, must not block) for each lease dropped without a DEL
     */
    public AddressPool(InstantSource clock, Duration cooldown, Runnable onDemand, Consumer<DropReason> onDrop) {
        this.clock = clock;
        this.cooldown = cooldown;
        this.onDemand = onDemand;
        this.onDrop = onDrop;
    }

    /** Attaches the checkpoint writer; every lease change from now on is made durable through it. */
    public void attach(GroupCommit groupCommit) {
        lock.lock();
        try {
            this.commit = groupCommit;
        } finally {
            lock.unlock();
        }
    }

    /** The state to checkpoint and the change version it includes; called by the writer thread. */
    public GroupCommit.Versioned checkpointState() {
        lock.lock();
        try {
            Map<Ipv4Address, Instant> cool = new HashMap<>();
            for (Slot s : coolingQueue) {
                cool.put(s.address, s.coolingUntil);
            }
            long version = commit == null ? 0 : commit.latest();
            return new GroupCommit.Versioned(new CheckpointState(new ArrayList<>(leases.values()), cool,
                    unprovenLocked(), false), version);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- start-up and cloud truth

    /**
     * Builds the pool from the cloud's view of the node and the checkpoint: every held address becomes a slot;
     * a checkpointed lease keeps its address (on whichever interface the cloud says); one whose address the node no
     * longer holds is kept as lost (see {@link #sync}). Cooling addresses keep their cool-down.
     *
     * <p>Taking a node over: with no checkpoint at all ({@link CheckpointState#fresh()}, the first start on a node
     * aws-node ran, or state lost), every address the node holds may be a running pod's, so each becomes UNPROVEN;
     * so do the addresses an earlier start had not proven yet. They count as held but are neither handed out nor
     * released until {@link #prove} (the AWS CNI trusts its checkpoint alone and hands such addresses out, #3019).
     *
     * @return leases dropped because the checkpoint named their address twice
     */
    public List<Lease> restore(NodeInfo info, CheckpointState state) {
        lock.lock();
        try {
            sync(info);
            List<Lease> dropped = new ArrayList<>();
            for (Lease lease : state.leases()) {
                Slot slot = slots.get(lease.address());
                if (slot != null && slot.state != AddressState.FREE) {
                    dropped.add(lease); // two checkpointed leases on one address: only a corrupt file does this
                    onDrop.accept(DropReason.DUPLICATE_AT_START);
                    continue;
                }
                if (slot == null) {
                    // the node no longer holds it, but its pod may still be using it: keep the lease, never hand
                    // the address out again until the pod's DEL or GC (it may come back in a later describe)
                    slot = new Slot(lease.address(), lease.interfaceId(), null);
                    slot.state = AddressState.ASSIGNED;
                    slot.lost = true;
                    slots.put(slot.address, slot);
                    LOG.warning("lease " + lease.key() + " on " + lease.address()
                            + ": the node no longer holds the address; kept until the pod is deleted");
                } else {
                    setState(slot, AddressState.ASSIGNED);
                }
                slot.lease = lease.key();
                leases.put(lease.key(), lease.onInterface(slot.ifaceId));
            }
            for (Map.Entry<Ipv4Address, Instant> e : state.cooling().entrySet()) {
                Slot slot = slots.get(e.getKey());
                if (slot != null && slot.state == AddressState.FREE && e.getValue().isAfter(clock.instant())) {
                    startCooling(slot, e.getValue());
                }
            }
            int adopted = 0;
            for (Slot slot : slots.values()) {
                if (slot.state == AddressState.FREE && (state.fresh() || state.unproven().contains(slot.address))) {
                    setState(slot, AddressState.UNPROVEN);
                    adopted++;
                }
            }
            if (adopted > 0) {
                LOG.warning(adopted + " addresses on the node are not ipamd's to hand out yet ("
                        + (state.fresh() ? "no checkpoint: taking the node over" : "not proven free at the last start")
                        + "): a pod another CNI wired may hold them; they stay unproven until the pods on the node"
                        + " or aws-node's checkpoint show they are free");
            }
            if ((!dropped.isEmpty() || adopted > 0) && commit != null) {
                commit.changed();
            }
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes the pool agree with the cloud: new addresses and interfaces become FREE slots; free slots the cloud no
     * longer holds disappear. A leased address the cloud no longer lists is kept as <em>lost</em>: its pod still
     * uses it until its DEL, so it is never handed to another pod, even if a later describe lists it again (the AWS
     * CNI drops such leases and can then give the address out twice). An address released in the last minute is
     * not re-added from a describe that may predate the release.
     * RELEASING slots are left to the executor that marked them, except those a failed release or delete left in
     * doubt: this describe settles them (still held: FREE again; gone: dropped).
     */
    public void sync(NodeInfo info) {
        lock.lock();
        try {
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
                    if (slot.state == AddressState.ASSIGNED) {
                        if (!slot.lost) {
                            slot.lost = true;
                            LOG.warning("the cloud no longer lists " + slot.address + " for the pool (gone, or its"
                                    + " interface is now unmanaged; leased to " + slot.lease
                                    + "); it stays with its pod until the pod is deleted");
                        }
                    } else if (slot.state != AddressState.RELEASING || slot.inDoubt) {
                        dropSlot(slot); // not leased: nothing else to undo
                    }
                } else {
                    slot.lost = false;
                    if (!ifaceId.equals(slot.ifaceId)) {
                        moveSlot(slot, ifaceId, prefixOf.get(slot.address));
                    }
                    if (slot.inDoubt) {
                        slot.inDoubt = false;
                        setState(slot, AddressState.FREE);
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
            sortedCache = null;
            changed.signalAll();
            interfacesChanged.run();
        } finally {
            lock.unlock();
        }
    }

    /** The addresses found at the takeover and not yet proven free (see {@link AddressState#UNPROVEN}). */
    public Set<Ipv4Address> unproven() {
        lock.lock();
        try {
            return unprovenLocked();
        } finally {
            lock.unlock();
        }
    }

    private Set<Ipv4Address> unprovenLocked() {
        Set<Ipv4Address> out = new TreeSet<>();
        for (Slot s : slots.values()) {
            if (s.state == AddressState.UNPROVEN) {
                out.add(s.address);
            }
        }
        return out;
    }

    /**
     * Evidence showed that no pod holds these addresses: each that is still UNPROVEN cools down (the old pod's
     * conntrack entries may linger) and is then FREE, to hand out or release like any other. The change is on disk
     * before this returns, so a restart does not make them unproven again.
     *
     * @return how many addresses were proven free
     */
    public int prove(Collection<Ipv4Address> free) throws InterruptedException {
        long version;
        int proven = 0;
        lock.lock();
        try {
            for (Ipv4Address a : free) {
                Slot s = slots.get(a);
                if (s == null || s.state != AddressState.UNPROVEN) {
                    continue;
                }
                if (cooldown.isZero()) {
                    setState(s, AddressState.FREE);
                } else {
                    startCooling(s, clock.instant().plus(cooldown));
                }
                proven++;
            }
            if (proven == 0) {
                return 0;
            }
            changed.signalAll();
            version = commit == null ? 0 : commit.changed();
        } finally {
            lock.unlock();
        }
        if (commit != null) {
            try {
                commit.awaitDurable(version);
            } catch (IOException e) {
                LOG.warning("proven addresses not on disk yet (" + e.getMessage() + "); retried with the next change");
            }
        }
        return proven;
    }

    // ---------------------------------------------------------------- the socket's operations

    /**
     * Gives the attachment an address: its existing lease if it has one, else a FREE address, waiting up to
     * {@code timeout} for the reconciler to bring one.
     *
     * @throws PoolException NO_ADDRESS_AVAILABLE (retryable) after the timeout, NODE_FULL when the node is at its
     *                       limits with every address in use, INTERNAL when the checkpoint cannot be written
     */
    public Grant add(LeaseKey key, String netns, String podNamespace, String podName, Duration timeout)
            throws PoolException, InterruptedException {
        long version;
        Lease lease;
        boolean made = false;
        lock.lock();
        try {
            Lease existing = leases.get(key);
            if (existing != null) {
                lease = addedAgain(existing);
                version = commit == null ? 0 : commit.changed();
            } else {
                long deadline = System.nanoTime() + timeout.toNanos();
                boolean asked = false;
                waiting++;
                waitingKeys.merge(key, 1, Integer::sum);
                try {
                    Slot slot;
                    while (true) {
                        if (cancelled.contains(key)) {
                            // The caller gave up (the plugin timed out) and sent DEL: a lease made now would
                            // be one nobody frees.
                            throw new PoolException("NO_ADDRESS_AVAILABLE", "a DEL of " + key
                                    + " arrived while this ADD waited for an address: the ADD is called off", true);
                        }
                        expireCooling();
                        slot = firstFree();
                        if (slot != null) {
                            break;
                        }
                        if (atLimit && pending == 0 && coolingQueue.isEmpty()) {
                            throw new PoolException("NODE_FULL", "node holds " + slots.size()
                                    + " addresses, all in use, and is at its cloud limits (" + capacity + ")", true);
                        }
                        if (!asked) {
                            onDemand.run();
                            asked = true;
                        }
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            throw new PoolException("NO_ADDRESS_AVAILABLE", "no free address within "
                                    + timeout.toMillis() + " ms (" + waiting + " waiting, " + pending
                                    + " pending from the cloud, " + coolingQueue.size() + " cooling)", true);
                        }
                        changed.awaitNanos(Math.min(left, nanosUntilNextCoolingExpiry()));
                    }
                    // the lease may have been made by a concurrent ADD of the same key while this one waited
                    Lease raced = leases.get(key);
                    if (raced != null) {
                        lease = addedAgain(raced);
                    } else {
                        lease = new Lease(key, slot.address, slot.ifaceId, podNamespace, podName, netns, clock.instant());
                        setState(slot, AddressState.ASSIGNED);
                        slot.lease = key;
                        leases.put(key, lease);
                        made = true;
                    }
                    version = commit == null ? 0 : commit.changed();
                } finally {
                    waiting--;
                    if (waitingKeys.merge(key, -1, Integer::sum) == 0) {
                        waitingKeys.remove(key);
                        cancelled.remove(key);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        try {
            if (commit != null) {
                commit.awaitDurable(version);
            }
        } catch (IOException e) {
            if (made) {
                undoAdd(lease); // a repeated ADD keeps its lease: the pod may be running on it
            }
            throw new PoolException("INTERNAL", "could not record the lease: " + e.getMessage(), true);
        }
        return grant(lease);
    }

    /**
     * A repeated ADD of a live lease: the runtime wired the attachment again, so a DEL spooled before now is stale.
     * The caller makes this durable before answering: a restart applies the spool from the checkpoint, and a proof
     * only in memory would let it free the address of a running pod (then hand it to the next pod).
     */
    private Lease addedAgain(Lease existing) {
        Lease again = existing.addedAgain(clock.instant());
        leases.put(again.key(), again);
        return again;
    }

    private void undoAdd(Lease lease) throws InterruptedException {
        lock.lock();
        try {
            if (leases.remove(lease.key(), lease)) {
                Slot slot = slots.get(lease.address());
                if (slot != null && slot.state == AddressState.ASSIGNED) {
                    slot.lease = null;
                    setState(slot, AddressState.FREE);
                }
                commit.changed();
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        flush();
    }

    /**
     * Waits until every change made so far is on disk. Changes no request waits for (leases dropped by a cloud
     * re-read, an undone ADD) are made durable here, by the reconciler after each pass.
     *
     * @return false if the write failed (it is retried on the next flush or change)
     */
    public boolean flush() throws InterruptedException {
        GroupCommit c;
        lock.lock();
        try {
            c = commit;
        } finally {
            lock.unlock();
        }
        if (c == null) {
            return true;
        }
        try {
            c.awaitDurable(c.latest());
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Releases the attachment's lease; the address cools down before reuse. An unknown key succeeds, once what
     * is in memory is on disk: it may be the retry of a DEL whose write failed, whose release must not come back
     * after a restart. An ADD of the key still waiting for an address is called off: its caller gave up (the
     * plugin timed out and gives the address back), and a lease it made later would never be freed.
     *
     * @return the released lease, or null if there was none
     */
    public Lease del(LeaseKey key) throws PoolException, InterruptedException {
        return del(key, null);
    }

    /** DEL, or, with {@code spooledAt}, a spooled DEL that an ADD served after that time makes obsolete. */
    private Lease del(LeaseKey key, Instant spooledAt) throws PoolException, InterruptedException {
        long version;
        Lease lease;
        lock.lock();
        try {
            lease = leases.get(key);
            if (lease != null && spooledAt != null) {
                Instant touched = lease.lastAddAt();
                if (touched.isAfter(spooledAt.plus(SPOOL_CLOCK_SLACK))) {
                    LOG.info("spooled DEL of " + key + " (" + spooledAt + ") is older than its ADD at " + touched
                            + ": the lease is kept");
                    return null;
                }
            }
            leases.remove(key);
            if (lease == null && spooledAt == null && waitingKeys.containsKey(key)) {
                cancelled.add(key);
                changed.signalAll();
            }
            if (lease != null) {
                releaseLeaseLocked(lease);
                version = commit == null ? 0 : commit.changed();
            } else {
                version = commit == null ? 0 : commit.latest();
            }
        } finally {
            lock.unlock();
        }
        awaitDurable(version);
        return lease;
    }

    /**
     * A DEL the CNI plugin spooled at {@code spooledAt} because ipamd did not take it then. Applied like a DEL,
     * unless an ADD of the same key was served after that time: then the runtime has wired the attachment again
     * (the spooled DEL may never have reached the pool, and the repeated ADD returned the live lease), and applying
     * it would free an address a running pod uses.
     *
     * @return the released lease, or null if there was none or it was kept
     */
    public Lease delSpooled(LeaseKey key, Instant spooledAt) throws PoolException, InterruptedException {
        return del(key, spooledAt);
    }

    /**
     * Drops every lease of {@code network} whose key is not in {@code live}: the runtime's garbage collection.
     *
     * @return how many leases were released
     */
    public int gc(String network, Set<LeaseKey> live) throws PoolException, InterruptedException {
        long version;
        int released = 0;
        lock.lock();
        try {
            for (Lease lease : new ArrayList<>(leases.values())) {
                if (lease.key().network().equals(network) && !live.contains(lease.key())) {
                    leases.remove(lease.key());
                    releaseLeaseLocked(lease);
                    onDrop.accept(DropReason.GC);
                    released++;
                }
            }
            // nothing released here may still mean an earlier release is not on disk yet (a retried GC after a
            // failed write): answer only once what memory says is durable, as DEL does
            version = commit == null ? 0 : released == 0 ? commit.latest() : commit.changed();
        } finally {
            lock.unlock();
        }
        awaitDurable(version);
        return released;
    }

    /**
     * Releases {@code lease} if it is still its key's lease, without a DEL: the pod it was made for is gone (ipamd
     * missed the DEL, e.g. it was down). The address cools down as after a DEL. A lease released or replaced in the
     * meantime is left alone, so a decision made outside the lock can never release a newer lease.
     *
     * @return whether the lease was released
     */
    public boolean release(Lease lease, DropReason reason) throws PoolException, InterruptedException {
        long version;
        lock.lock();
        try {
            Lease current = leases.get(lease.key());
            if (current == null || !current.address().equals(lease.address())
                    || !current.assignedAt().equals(lease.assignedAt())) {
                return false;
            }
            leases.remove(current.key());
            releaseLeaseLocked(current);
            onDrop.accept(reason);
            version = commit == null ? 0 : commit.changed();
        } finally {
            lock.unlock();
        }
        awaitDurable(version);
        return true;
    }

    /** The attachment's current lease with its wiring, or null. */
    public Grant check(LeaseKey key) {
        Lease lease;
        lock.lock();
        try {
            lease = leases.get(key);
        } finally {
            lock.unlock();
        }
        return lease == null ? null : grant(lease);
    }

    private void awaitDurable(long version) throws PoolException, InterruptedException {
        if (commit == null) {
            return;
        }
        try {
            commit.awaitDurable(version);
        } catch (IOException e) {
            throw new PoolException("INTERNAL", "could not record the release: " + e.getMessage(), true);
        }
    }

    private void releaseLeaseLocked(Lease lease) {
        Slot slot = slots.get(lease.address());
        if (slot == null || !lease.key().equals(slot.lease)) {
            return;
        }
        slot.lease = null;
        if (slot.lost) {
            dropSlot(slot); // the node does not hold it: nothing to give back to the pool
        } else if (cooldown.isZero()) {
            setState(slot, AddressState.FREE);
        } else {
            startCooling(slot, clock.instant().plus(cooldown));
        }
        changed.signalAll(); // a waiting ADD that slept with no cool-down to end must now wake when this one ends
    }

    private Grant grant(Lease lease) {
        lock.lock();
        try {
            Iface iface = interfaces.get(lease.interfaceId());
            int deviceIndex = iface == null ? 0 : iface.deviceIndex;
            return new Grant(lease, iface == null ? "" : iface.mac, deviceIndex, RouteTables.forDevice(deviceIndex),
                    iface == null ? null : iface.gateway, node == null ? List.of() : node.vpcCidrs());
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- the reconciler's side

    /** A consistent picture for the planner. Expires cool-downs first. */
    public Snapshot snapshot() {
        lock.lock();
        try {
            expireCooling();
            Map<String, int[]> counts = new HashMap<>();
            Map<String, List<Ipv4Address>> freeSingles = new HashMap<>();
            Map<Cidr, Boolean> prefixIdle = new HashMap<>();
            for (Slot s : slots.values()) {
                if (s.lost) {
                    continue; // not the node's: the planner must not count it
                }
                int[] c = counts.computeIfAbsent(s.ifaceId, k -> new int[STATES]);
                c[s.state.ordinal()]++;
                if (s.prefix == null) {
                    if (s.state == AddressState.FREE) {
                        freeSingles.computeIfAbsent(s.ifaceId, k -> new ArrayList<>()).add(s.address);
                    }
                } else {
                    prefixIdle.merge(s.prefix, s.state == AddressState.FREE, Boolean::logicalAnd);
                }
            }
            List<Snapshot.InterfaceState> states = new ArrayList<>();
            int excluded = 0;
            for (Iface iface : sortedInterfaces()) {
                if (!iface.usable()) {
                    excluded += iface.networkCard == 0 ? 1 : 0; // other cards have limits of their own
                    continue;
                }
                int[] c = counts.getOrDefault(iface.id, new int[STATES]);
                List<Ipv4Address> singles = new ArrayList<>(freeSingles.getOrDefault(iface.id, List.of()));
                singles.sort(null);
                List<Cidr> idlePrefixes = iface.prefixes.stream()
                        .filter(p -> prefixIdle.getOrDefault(p, false)).toList();
                states.add(new Snapshot.InterfaceState(iface.id, iface.deviceIndex, iface.usedSlots(),
                        c[AddressState.FREE.ordinal()], c[AddressState.ASSIGNED.ordinal()],
                        c[AddressState.COOLING.ordinal()], c[AddressState.RELEASING.ordinal()], singles, idlePrefixes,
                        iface.managed, c[AddressState.UNPROVEN.ordinal()]));
            }
            return new Snapshot(states, waiting, lastGrow, lastShrink, growPausedUntil, excluded);
        } finally {
            lock.unlock();
        }
    }

    /** The node as last described, or null before the first describe. */
    public NodeInfo node() {
        lock.lock();
        try {
            return node;
        } finally {
            lock.unlock();
        }
    }

    /** Counts {@code n} addresses as asked of the cloud (PENDING) while a call is in flight. */
    public void pending(int n) {
        lock.lock();
        try {
            pending = Math.max(0, pending + n);
        } finally {
            lock.unlock();
        }
    }

    /** Records what an assign call added: new FREE slots, handed at once to waiting ADDs. */
    public void assigned(String interfaceId, Assignment assignment) {
        lock.lock();
        try {
            Iface iface = interfaces.get(interfaceId);
            if (iface == null || !iface.usable()) {
                return; // the next describe will bring it (or it is not ours to use)
            }
            for (Ipv4Address a : assignment.addresses()) {
                recentlyReleased.remove(a); // the cloud gave it back to us: this is news, not a stale describe
                Slot known = slots.get(a);
                if (known != null && known.lost) {
                    known.lost = false; // held again, and still its pod's
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
                        } else if (known.lost) {
                            known.lost = false; // held again, and still its pod's
                            moveSlot(known, interfaceId, p);
                        }
                    }
                }
            }
            lastGrow = clock.instant();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Records a newly attached interface and its addresses. */
    public void attached(NetworkInterface ni) {
        lock.lock();
        try {
            interfaces.computeIfAbsent(ni.id(), this::newIface).describe(ni, node == null ? null : node.subnet(ni.subnetId()));
            sortedCache = null;
            interfacesChanged.run();
        } finally {
            lock.unlock();
        }
        assigned(ni.id(), new Assignment(ni.secondaryAddresses(), ni.prefixes()));
    }

    /**
     * Marks the given FREE addresses and wholly FREE prefixes RELEASING, so no ADD can take them while the cloud
     * call runs. Anything no longer free (an ADD took it since the snapshot) is left out.
     *
     * @return what was marked, which is all the executor may release
     */
    public Assignment beginRelease(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes) {
        lock.lock();
        try {
            expireCooling();
            List<Ipv4Address> marked = new ArrayList<>();
            for (Ipv4Address a : addresses) {
                Slot s = slots.get(a);
                if (s != null && s.state == AddressState.FREE && s.prefix == null && s.ifaceId.equals(interfaceId)) {
                    setState(s, AddressState.RELEASING);
                    marked.add(a);
                }
            }
            List<Cidr> markedPrefixes = new ArrayList<>();
            for (Cidr p : prefixes) {
                List<Slot> members = new ArrayList<>();
                boolean idle = true;
                for (long i = 0; i < p.size() && idle; i++) {
                    Slot s = slots.get(p.address(i));
                    idle = s != null && s.state == AddressState.FREE && p.equals(s.prefix)
                            && s.ifaceId.equals(interfaceId);
                    members.add(s);
                }
                if (idle) {
                    members.forEach(s -> setState(s, AddressState.RELEASING));
                    markedPrefixes.add(p);
                }
            }
            return new Assignment(marked, markedPrefixes);
        } finally {
            lock.unlock();
        }
    }

    /** Marks every address of an idle secondary interface RELEASING; false if any is in use (nothing marked). */
    public boolean beginDelete(String interfaceId) {
        lock.lock();
        try {
            expireCooling();
            Iface iface = interfaces.get(interfaceId);
            if (iface == null || (iface.deviceIndex == 0 && iface.networkCard == 0) || !iface.usable()) {
                return false;
            }
            List<Slot> members = slots.values().stream().filter(s -> s.ifaceId.equals(interfaceId)).toList();
            if (members.stream().anyMatch(s -> s.state != AddressState.FREE)) {
                return false;
            }
            members.forEach(s -> setState(s, AddressState.RELEASING));
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends a release. APPLIED: the slots go away. REFUSED (throttled: the cloud did nothing): they are FREE again at
     * once. IN_DOUBT: they stay RELEASING until the next {@link #sync}, as the call may still have been applied (a
     * timeout after the cloud did it), and an ADD given an address the node no longer holds would share it with
     * whichever node gets it next; the caller must have the node re-read.
     */
    public void endRelease(String interfaceId, Assignment marked, CallOutcome outcome) {
        boolean success = outcome == CallOutcome.APPLIED;
        lock.lock();
        try {
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
                if (s == null || s.state != AddressState.RELEASING) {
                    continue;
                }
                settle(s, outcome);
            }
            if (success && iface != null) {
                marked.addresses().forEach(iface.secondaries::remove);
                marked.prefixes().forEach(iface.prefixes::remove);
                lastShrink = clock.instant();
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends an interface deletion begun with {@link #beginDelete}, with {@link #endRelease}'s outcomes: IN_DOUBT keeps
     * its addresses RELEASING until the next {@link #sync} (the interface may be detached or gone though the call
     * failed); REFUSED gives them back as they were.
     */
    public void endDelete(String interfaceId, CallOutcome outcome) {
        boolean success = outcome == CallOutcome.APPLIED;
        lock.lock();
        try {
            for (Slot s : new ArrayList<>(slots.values())) {
                if (s.ifaceId.equals(interfaceId) && s.state == AddressState.RELEASING) {
                    settle(s, outcome);
                }
            }
            if (success) {
                interfaces.remove(interfaceId);
                sortedCache = null;
                interfacesChanged.run();
                lastShrink = clock.instant();
                }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- the host data path's side

    /**
     * From now on an interface with device index 1+ serves pods only after {@link #hostApplied} names it: until
     * the node's side of it (link, address, route table) is set up, a pod on it could not leave the node. Call
     * before {@link #restore}.
     */
    public void gateOnHost() {
        lock.lock();
        try {
            gateOnHost = true;
            for (Iface iface : interfaces.values()) {
                iface.hostReady = false;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sets what runs (under the pool lock: it must not block) when interfaces appear, change or go. */
    public void onInterfacesChanged(Runnable hook) {
        lock.lock();
        try {
            interfacesChanged = java.util.Objects.requireNonNull(hook);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public HostView hostView() {
        lock.lock();
        try {
            if (node == null) {
                return new HostView(List.of(), List.of());
            }
            List<HostView.Interface> out = new ArrayList<>();
            for (Iface i : sortedInterfaces()) {
                // interfaces tagged no_manage or on another network card are never touched
                if (i.usable() || (i.deviceIndex == 0 && i.networkCard == 0)) {
                    out.add(new HostView.Interface(i.id, i.mac, i.deviceIndex, i.primaryAddress, i.subnetCidr,
                            i.gateway));
                }
            }
            return new HostView(out, node.vpcCidrs());
        } finally {
            lock.unlock();
        }
    }

    /**
     * What the host data path found and set up: each interface's Linux link ({@code links}, by interface id) and
     * which interfaces are ready for pods ({@code ready}). Interfaces not in {@code ready} stop getting new pods;
     * their leases stay. Wakes waiting ADDs.
     */
    @Override
    public void hostApplied(Map<String, String> links, Set<String> ready) {
        lock.lock();
        try {
            for (Iface iface : interfaces.values()) {
                iface.linkName = links.get(iface.id);
                iface.hostReady = ready.contains(iface.id);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Pauses growth until {@code until} (the subnet ran out: asking again at once only burns API budget). */
    public void pauseGrowth(Instant until) {
        lock.lock();
        try {
            growPausedUntil = until;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Tells the pool whether the node is at its cloud limits and what it can hold, so an ADD with nothing to wait
     * for fails at once instead of after the timeout.
     */
    public void limits(boolean atLimit, int capacity) {
        lock.lock();
        try {
            this.atLimit = atLimit;
            this.capacity = capacity;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Number of ADDs waiting for an address. */
    public int waiting() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    /** Everything, for status and introspection. */
    public PoolStatus status() {
        lock.lock();
        try {
            expireCooling();
            int[] c = new int[STATES];
            int lost = 0;
            Map<String, int[]> perIface = new HashMap<>();
            for (Slot s : slots.values()) {
                c[s.state.ordinal()]++;
                lost += s.lost ? 1 : 0;
                perIface.computeIfAbsent(s.ifaceId, k -> new int[STATES])[s.state.ordinal()]++;
            }
            List<PoolStatus.InterfaceStatus> ifaces = new ArrayList<>();
            for (Iface iface : sortedInterfaces()) {
                int[] ic = perIface.getOrDefault(iface.id, new int[STATES]);
                ifaces.add(new PoolStatus.InterfaceStatus(iface.id, iface.deviceIndex, iface.subnetId,
                        iface.primaryAddress, List.copyOf(iface.secondaries), List.copyOf(iface.prefixes),
                        ic[AddressState.FREE.ordinal()], ic[AddressState.ASSIGNED.ordinal()],
                        iface.usable() ? null : iface.exclusion.label(), iface.mac, iface.linkName,
                        RouteTables.forDevice(iface.deviceIndex), iface.hostReady || iface.deviceIndex == 0));
            }
            List<Lease> ls = new ArrayList<>(leases.values());
            ls.sort(Comparator.comparing(Lease::address));
            return new PoolStatus(node == null ? "" : node.instanceId(), node == null ? "" : node.instanceType(),
                    node == null ? "" : node.zone(), slots.size() - lost, c[AddressState.FREE.ordinal()],
                    c[AddressState.ASSIGNED.ordinal()], c[AddressState.COOLING.ordinal()], pending,
                    c[AddressState.RELEASING.ordinal()], waiting, capacity, ifaces, ls, lost,
                    c[AddressState.UNPROVEN.ordinal()]);
        } finally {
            lock.unlock();
        }
    }

    /** The state of one address, or null if the node does not hold it (for tests and introspection). */
    public AddressState stateOf(Ipv4Address address) {
        lock.lock();
        try {
            expireCooling();
            Slot s = slots.get(address);
            return s == null ? null : s.state;
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- internals (all under lock)

    /** Interfaces by device index; cached, as every ADD walks it (invalidated when interfaces change). */
    private List<Iface> sortedInterfaces() {
        if (sortedCache == null) {
            List<Iface> list = new ArrayList<>(interfaces.values());
            list.sort(Comparator.<Iface>comparingInt(i -> i.networkCard).thenComparingInt(i -> i.deviceIndex));
            sortedCache = List.copyOf(list);
        }
        return sortedCache;
    }

    private Iface newIface(String id) {
        Iface iface = new Iface(id);
        iface.hostReady = !gateOnHost; // device index unknown yet: a gated pool waits for the host either way
        return iface;
    }

    private Slot firstFree() {
        for (Iface iface : sortedInterfaces()) {
            if (!iface.free.isEmpty() && (iface.hostReady || iface.deviceIndex == 0)) {
                return slots.get(iface.free.first());
            }
        }
        return null;
    }

    private void addSlot(Ipv4Address a, String ifaceId, Cidr prefix) {
        Slot s = new Slot(a, ifaceId, prefix);
        slots.put(a, s);
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
        if (s.state == AddressState.FREE) {
            Iface now = interfaces.get(ifaceId);
            if (now != null) {
                now.free.add(s.address);
            }
        }
        if (s.lease != null) {
            Lease l = leases.get(s.lease);
            if (l != null) {
                leases.put(s.lease, l.onInterface(ifaceId));
            }
        }
    }

    private void dropSlot(Slot s) {
        setState(s, AddressState.RELEASING); // leaves free set and cooling queue
        slots.remove(s.address);
    }

    /** Moves one RELEASING slot on as its release call ended. */
    private void settle(Slot s, CallOutcome outcome) {
        switch (outcome) {
            case APPLIED -> {
                dropSlot(s);
                recentlyReleased.put(s.address, clock.instant().plus(RELEASE_SETTLE));
            }
            case REFUSED -> {
                if (!s.inDoubt) {
                    setState(s, AddressState.FREE); // nothing happened: still the node's, as before the call
                }
            }
            case IN_DOUBT -> s.inDoubt = true;
        }
    }

    private void setState(Slot s, AddressState state) {
        Iface iface = interfaces.get(s.ifaceId);
        if (s.state == AddressState.FREE && iface != null) {
            iface.free.remove(s.address);
        }
        if (s.state == AddressState.COOLING) {
            coolingQueue.remove(s);
            s.coolingUntil = null;
        }
        s.state = state;
        if (state == AddressState.FREE && iface != null) {
            iface.free.add(s.address);
        }
    }

    private void startCooling(Slot s, Instant until) {
        setState(s, AddressState.COOLING);
        s.coolingUntil = until;
        coolingQueue.add(s);
    }

    private void expireCooling() {
        Instant now = clock.instant();
        boolean any = false;
        while (!coolingQueue.isEmpty() && !coolingQueue.peek().coolingUntil.isAfter(now)) {
            Slot s = coolingQueue.poll();
            s.coolingUntil = null;
            s.state = AddressState.FREE;
            Iface iface = interfaces.get(s.ifaceId);
            if (iface != null) {
                iface.free.add(s.address);
            }
            any = true;
        }
        if (any) {
            changed.signalAll();
        }
    }

    private long nanosUntilNextCoolingExpiry() {
        Slot next = coolingQueue.peek();
        if (next == null) {
            return Long.MAX_VALUE;
        }
        long millis = Duration.between(clock.instant(), next.coolingUntil).toMillis();
        return TimeUnit.MILLISECONDS.toNanos(Math.max(1, millis));
    }
}
