package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.host.HostView;
import io.vpcipam.ipamd.host.PoolSide;
import io.vpcipam.ipamd.lease.CheckpointState;
import io.vpcipam.ipamd.lease.Durability;
import io.vpcipam.ipamd.lease.GroupCommit;
import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.protocol.ErrorCode;
import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The node's addresses and leases: the datastore both the socket server (ADD, DEL, CHECK, GC; {@link SocketSide}) and
 * the reconciler (cloud results; {@link ReconcilerSide}) change, under one lock. This class owns the lock, the
 * waiting ADDs and the counts of what is asked of the cloud; the leases and their durability are a
 * {@link LeaseTable}, the interfaces and each address's {@link AddressState} an {@link AddressInventory}.
 *
 * <p>An ADD takes a FREE address (lowest device index first, so higher interfaces drain and can be deleted); when
 * there is none it waits, counted as demand, after waking the reconciler, until an address arrives or the bounded
 * timeout passes. A DEL puts the address into COOLING. Releases go through RELEASING, which no ADD can take, so a
 * release can never race an assignment. Each lease change is made durable before the caller is answered; a failed
 * write undoes the ADD.
 *
 * <p>The cloud is the truth for which addresses the node holds ({@link #sync}); the checkpoint is the truth for
 * which are assigned ({@link #restore}).
 *
 * <p>Why this stays one class of some 700 lines: it is the one lock both roles share, and each public method is one
 * operation's lock boundary. What is left here after the split is what cannot move without splitting the lock: the
 * ADD's bounded wait on the lock's condition (with the demand it signals and the DEL that calls it off; the fleet
 * simulator's {@code tryAdd} is the same ADD without the wait), and each
 * lease change's two halves, the change under the lock and the wait for its durability outside it (with the undo of
 * an ADD whose write failed). The contracts are documented once, on {@link SocketSide} and {@link ReconcilerSide}.
 */
public final class AddressPool implements SocketSide, ReconcilerSide, PoolSide, AutoCloseable {

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(AddressPool.class.getName());

    /** Why a lease was dropped without a DEL, for logs and metrics. */
    public enum DropReason { GC, DUPLICATE_AT_START, POD_GONE }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final InstantSource clock;
    private final Duration cooldown;
    private final Runnable onDemand;
    private final Consumer<DropReason> onDrop;

    // all guarded by lock
    private final LeaseTable leases;
    private final AddressInventory inventory;
    private final Map<LeaseKey, Integer> waitingKeys = new HashMap<>(); // ADDs waiting for an address, per key
    private final Set<LeaseKey> cancelled = new HashSet<>(); // waiting ADDs a DEL of their key called off
    private int waiting;
    private int heldBack; // ADDs a caller of tryAdd holds back (see heldBack)
    private int pending;
    private Planner.Shape shape = new Planner.Shape(0, 0, 0, false); // as of the last plan
    private Instant lastGrow = Instant.MIN;
    private Instant lastShrink = Instant.MIN;
    private Instant growPausedUntil = Instant.MIN;

    /**
     * @param clock      the only clock read (cool-downs, lease times)
     * @param cooldown   IP_COOLDOWN_PERIOD
     * @param durability makes lease changes durable, given the state to write (read under this pool's lock with
     *                   the version it includes): typically {@code source -> new GroupCommit(checkpoint, source)}
     * @param onDemand   called (under the lock, must not block) when an ADD finds no free address
     * @param onDrop     called (under the lock, must not block) for each lease dropped without a DEL
     */
    public AddressPool(InstantSource clock, Duration cooldown,
                       Function<Supplier<GroupCommit.Versioned>, ? extends Durability> durability, Runnable onDemand,
                       Consumer<DropReason> onDrop) {
        this.clock = clock;
        this.cooldown = cooldown;
        this.onDemand = onDemand;
        this.onDrop = onDrop;
        this.leases = new LeaseTable(clock, durability.apply(this::checkpointState));
        this.inventory = new AddressInventory(clock, leases::moved);
    }

    /** A pool whose lease changes are not written anywhere (benches, the what-if simulator). */
    public AddressPool(InstantSource clock, Duration cooldown, Runnable onDemand, Consumer<DropReason> onDrop) {
        this(clock, cooldown, source -> Durability.NONE, onDemand, onDrop);
    }

    /** The state to checkpoint and the change version it includes; called by the writer thread. */
    public GroupCommit.Versioned checkpointState() {
        lock.lock();
        try {
            return new GroupCommit.Versioned(leases.checkpointState(inventory.coolingUntil(), inventory.unproven()),
                    leases.latest());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Writes the whole state now, changed or not, and waits until it is on disk: at start-up, so leases dropped or
     * moved by {@link #restore} are durable before anything is served.
     */
    public void persist() throws IOException, InterruptedException {
        long version = locked(() -> leases.changed());
        leases.awaitDurable(version);
    }

    /** Writes what is pending, then makes no further change durable (shutdown). */
    @Override
    public void close() {
        leases.close();
    }

    // ---------------------------------------------------------------- start-up and cloud truth

    /**
     * Builds the pool from the cloud's view of the node and the checkpoint: every held address becomes FREE; a
     * checkpointed lease keeps its address (on whichever interface the cloud says); one whose address the node no
     * longer holds is kept LOST (see {@link #sync}). Cooling addresses keep their cool-down.
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
                String ifaceId = inventory.restoreLease(lease);
                if (ifaceId == null) {
                    dropped.add(lease);
                    onDrop.accept(DropReason.DUPLICATE_AT_START);
                } else {
                    leases.put(lease.onInterface(ifaceId));
                }
            }
            inventory.restoreCooling(state.cooling());
            int adopted = inventory.adopt(state.fresh(), state.unproven());
            if (adopted > 0) {
                LOG.warning(adopted + " addresses on the node are not ipamd's to hand out yet ("
                        + (state.fresh() ? "no checkpoint: taking the node over" : "not proven free at the last start")
                        + "): a pod another CNI wired may hold them; they stay unproven until the pods on the node"
                        + " or aws-node's checkpoint show they are free");
            }
            if (!dropped.isEmpty() || adopted > 0) {
                leases.changed();
            }
            return dropped;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void sync(NodeInfo info) {
        lock.lock();
        try {
            inventory.sync(info);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The addresses found at the takeover and not yet proven free (see {@link AddressState#UNPROVEN}). */
    public Set<Ipv4Address> unproven() {
        return locked(() -> inventory.unproven());
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
                if (inventory.prove(a, cooldown)) {
                    proven++;
                }
            }
            if (proven == 0) {
                return 0;
            }
            changed.signalAll();
            version = leases.changed();
        } finally {
            lock.unlock();
        }
        try {
            leases.awaitDurable(version);
        } catch (IOException e) {
            LOG.warning("proven addresses not on disk yet (" + e.getMessage() + "); retried with the next change");
        }
        return proven;
    }

    // ---------------------------------------------------------------- the socket's operations

    @Override
    public Grant add(LeaseKey key, String netns, String podNamespace, String podName, Duration timeout)
            throws PoolException, InterruptedException {
        long version;
        Lease lease;
        boolean made = false;
        lock.lock();
        try {
            Lease existing = leases.get(key);
            if (existing != null) {
                lease = leases.addedAgain(existing);
                version = leases.changed();
            } else {
                long deadline = System.nanoTime() + timeout.toNanos();
                boolean asked = false;
                waiting++;
                waitingKeys.merge(key, 1, Integer::sum);
                try {
                    Ipv4Address free;
                    while (true) {
                        if (cancelled.contains(key)) {
                            // The caller gave up (the plugin timed out) and sent DEL: a lease made now would
                            // be one nobody frees.
                            throw new PoolException(ErrorCode.NO_ADDRESS_AVAILABLE, "a DEL of " + key
                                    + " arrived while this ADD waited for an address: the ADD is called off", true);
                        }
                        expireCooling();
                        free = inventory.firstFree();
                        if (free != null) {
                            break;
                        }
                        if (full()) {
                            throw nodeFull();
                        }
                        if (!asked) {
                            onDemand.run();
                            asked = true;
                        }
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            throw new PoolException(ErrorCode.NO_ADDRESS_AVAILABLE, "no free address within "
                                    + timeout.toMillis() + " ms (" + waiting + " waiting, " + pending
                                    + " pending from the cloud, " + inventory.cooling() + " cooling)", true);
                        }
                        changed.awaitNanos(Math.min(left, inventory.nanosUntilNextCoolingExpiry()));
                    }
                    // the lease may have been made by a concurrent ADD of the same key while this one waited
                    Lease raced = leases.get(key);
                    if (raced != null) {
                        lease = leases.addedAgain(raced);
                    } else {
                        String ifaceId = inventory.assign(free, key);
                        lease = leases.create(key, free, ifaceId, podNamespace, podName, netns);
                        made = true;
                    }
                    version = leases.changed();
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
        return durable(lease, made, version);
    }

    /**
     * ADD without waiting, for a caller that does its own waiting (the fleet simulator, in virtual time): the
     * attachment's lease, or a FREE address, or null when there is none now. It never calls onDemand; the caller
     * asks for growth and counts the ADDs it holds back with {@link #heldBack}, so the planner sees them as demand
     * exactly as it sees ADDs blocked in {@link #add}.
     *
     * @throws PoolException NODE_FULL when the node is at its limits with every address in use (as {@link #add}),
     *                       INTERNAL when the lease cannot be made durable
     */
    public Grant tryAdd(LeaseKey key, String netns, String podNamespace, String podName)
            throws PoolException, InterruptedException {
        long version;
        Lease lease;
        boolean made = false;
        lock.lock();
        try {
            Lease existing = leases.get(key);
            if (existing != null) {
                lease = leases.addedAgain(existing);
            } else {
                expireCooling();
                Ipv4Address free = inventory.firstFree();
                if (free == null) {
                    if (full()) {
                        throw nodeFull();
                    }
                    return null;
                }
                String ifaceId = inventory.assign(free, key);
                lease = leases.create(key, free, ifaceId, podNamespace, podName, netns);
                made = true;
            }
            version = leases.changed();
        } finally {
            lock.unlock();
        }
        return durable(lease, made, version);
    }

    /**
     * Sets how many ADDs the caller of {@link #tryAdd} holds back for want of an address: counted as waiting demand
     * in {@link #snapshot} and {@link #status}, like ADDs blocked in {@link #add}.
     */
    public void heldBack(int adds) {
        if (adds < 0) {
            throw new IllegalArgumentException("held-back ADDs must be >= 0, got " + adds);
        }
        lock.lock();
        try {
            heldBack = adds;
        } finally {
            lock.unlock();
        }
    }

    /**
     * No address will come: at the limits, nothing pending or cooling, and no interface whose link is still coming
     * up (seconds after an attach on EC2) holds a free one.
     */
    private boolean full() {
        return shape.atLimit() && pending == 0 && inventory.cooling() == 0 && !inventory.freeAwaitingHost();
    }

    private PoolException nodeFull() {
        return new PoolException(ErrorCode.NODE_FULL, "node holds " + inventory.size()
                + " addresses, all in use, and is at its cloud limits (" + shape.capacity() + ")", true);
    }

    /** Waits until the ADD's change is on disk, undoing a new lease whose write failed; the grant to answer with. */
    private Grant durable(Lease lease, boolean made, long version) throws PoolException, InterruptedException {
        try {
            leases.awaitDurable(version);
        } catch (IOException e) {
            if (made) {
                undoAdd(lease); // a repeated ADD keeps its lease: the pod may be running on it
            }
            throw new PoolException(ErrorCode.INTERNAL, "could not record the lease: " + e.getMessage(), true);
        }
        return grant(lease);
    }

    private void undoAdd(Lease lease) throws InterruptedException {
        lock.lock();
        try {
            if (leases.remove(lease)) {
                inventory.unassign(lease);
                leases.changed();
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        flush();
    }

    @Override
    public boolean flush() throws InterruptedException {
        long version = locked(() -> leases.latest());
        try {
            leases.awaitDurable(version);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
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
            if (lease != null && spooledAt != null && LeaseTable.spooledDelIsStale(lease, spooledAt)) {
                return null;
            }
            leases.remove(key);
            if (lease == null && spooledAt == null && waitingKeys.containsKey(key)) {
                cancelled.add(key);
                changed.signalAll();
            }
            if (lease != null) {
                releaseLeaseLocked(lease);
                version = leases.changed();
            } else {
                version = leases.latest();
            }
        } finally {
            lock.unlock();
        }
        awaitDurable(version);
        return lease;
    }

    @Override
    public Lease delSpooled(LeaseKey key, Instant spooledAt) throws PoolException, InterruptedException {
        return del(key, spooledAt);
    }

    @Override
    public int gc(String network, Set<LeaseKey> live) throws PoolException, InterruptedException {
        long version;
        int released = 0;
        lock.lock();
        try {
            for (Lease lease : leases.gcVictims(network, live)) {
                leases.remove(lease.key());
                releaseLeaseLocked(lease);
                onDrop.accept(DropReason.GC);
                released++;
            }
            // nothing released here may still mean an earlier release is not on disk yet (a retried GC after a
            // failed write): answer only once what memory says is durable, as DEL does
            version = released == 0 ? leases.latest() : leases.changed();
        } finally {
            lock.unlock();
        }
        awaitDurable(version);
        return released;
    }

    @Override
    public boolean release(Lease lease, DropReason reason) throws PoolException, InterruptedException {
        long version;
        lock.lock();
        try {
            Lease current = leases.ifCurrent(lease);
            if (current == null) {
                return false;
            }
            leases.remove(current.key());
            releaseLeaseLocked(current);
            onDrop.accept(reason);
            version = leases.changed();
        } finally {
            lock.unlock();
        }
        awaitDurable(version);
        return true;
    }

    @Override
    public Grant check(LeaseKey key) {
        lock.lock();
        try {
            Lease lease = leases.get(key);
            return lease == null ? null : inventory.grant(lease);
        } finally {
            lock.unlock();
        }
    }

    private void awaitDurable(long version) throws PoolException, InterruptedException {
        try {
            leases.awaitDurable(version);
        } catch (IOException e) {
            throw new PoolException(ErrorCode.INTERNAL, "could not record the release: " + e.getMessage(), true);
        }
    }

    private void releaseLeaseLocked(Lease lease) {
        inventory.release(lease, cooldown);
        changed.signalAll(); // a waiting ADD that slept with no cool-down to end must now wake when this one ends
    }

    private Grant grant(Lease lease) {
        return locked(() -> inventory.grant(lease));
    }

    // ---------------------------------------------------------------- the reconciler's side

    @Override
    public Snapshot snapshot() {
        lock.lock();
        try {
            expireCooling();
            AddressInventory.Shape shape = inventory.shape();
            return new Snapshot(shape.interfaces(), waiting + heldBack, lastGrow, lastShrink, growPausedUntil,
                    shape.excluded());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public NodeInfo node() {
        return locked(() -> inventory.node());
    }

    @Override
    public void pending(int n) {
        locked(() -> pending = Math.max(0, pending + n));
    }

    @Override
    public void assigned(String interfaceId, Assignment assignment) {
        lock.lock();
        try {
            if (inventory.assigned(interfaceId, assignment)) {
                lastGrow = clock.instant();
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void attached(NetworkInterface ni) {
        locked(() -> inventory.attached(ni));
        assigned(ni.id(), new Assignment(ni.secondaryAddresses(), ni.prefixes()));
    }

    @Override
    public Assignment beginRelease(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes) {
        lock.lock();
        try {
            expireCooling();
            return inventory.beginRelease(interfaceId, addresses, prefixes);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean beginDelete(String interfaceId) {
        lock.lock();
        try {
            expireCooling();
            return inventory.beginDelete(interfaceId);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void endRelease(String interfaceId, Assignment marked, CallOutcome outcome) {
        lock.lock();
        try {
            if (inventory.endRelease(interfaceId, marked, outcome)) {
                lastShrink = clock.instant();
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void endDelete(String interfaceId, CallOutcome outcome) {
        lock.lock();
        try {
            if (inventory.endDelete(interfaceId, outcome)) {
                lastShrink = clock.instant();
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void pauseGrowth(Instant until) {
        locked(() -> growPausedUntil = until);
    }

    @Override
    public void limits(Planner.Shape shape) {
        lock.lock();
        try {
            this.shape = shape;
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
        locked(() -> inventory.gateOnHost());
    }

    /** Sets what runs (under the pool lock: it must not block) when interfaces appear, change or go. */
    public void onInterfacesChanged(Runnable hook) {
        locked(() -> inventory.onInterfacesChanged(hook));
    }

    @Override
    public HostView hostView() {
        return locked(() -> inventory.hostView());
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
            inventory.hostApplied(links, ready);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- views

    /** Number of ADDs waiting for an address. */
    public int waiting() {
        return locked(() -> waiting);
    }

    @Override
    public PoolStatus status() {
        lock.lock();
        try {
            expireCooling();
            EnumMap<AddressState, Integer> c = inventory.counts();
            int lost = c.get(AddressState.LOST);
            NodeInfo node = inventory.node();
            return new PoolStatus(node == null ? "" : node.instanceId(), node == null ? "" : node.instanceType(),
                    node == null ? "" : node.zone(), inventory.size() - lost, c.get(AddressState.FREE),
                    c.get(AddressState.ASSIGNED) + lost, c.get(AddressState.COOLING), pending,
                    c.get(AddressState.RELEASING) + c.get(AddressState.RELEASE_IN_DOUBT), waiting + heldBack,
                    shape.capacity(),
                    inventory.interfaceStatuses(), leases.sorted(), lost, c.get(AddressState.UNPROVEN));
        } finally {
            lock.unlock();
        }
    }

    /** The state of one address, or null if the node does not hold it (for tests and introspection). */
    public AddressState stateOf(Ipv4Address address) {
        lock.lock();
        try {
            expireCooling();
            return inventory.stateOf(address);
        } finally {
            lock.unlock();
        }
    }

    /** Reads (or changes and returns) under the lock. */
    private <T> T locked(Supplier<T> read) {
        lock.lock();
        try {
            return read.get();
        } finally {
            lock.unlock();
        }
    }

    /** Changes under the lock. */
    private void locked(Runnable change) {
        lock.lock();
        try {
            change.run();
        } finally {
            lock.unlock();
        }
    }

    private void expireCooling() {
        if (inventory.expireCooling()) {
            changed.signalAll();
        }
    }
}
