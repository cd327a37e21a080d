package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.CheckpointState;
import io.vpcipam.ipamd.lease.Durability;
import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.provider.Ipv4Address;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The node's leases, one per (network, containerId, ifName), and how their changes become durable. Not thread-safe:
 * every method runs under {@link AddressPool}'s lock except {@link #awaitDurable}, which runs after it is released.
 *
 * <p>It holds the rules that are about leases alone: a repeated ADD proves the attachment live again (so a DEL spooled
 * before it is stale), which leases a runtime GC drops, and what the checkpoint holds.
 */
final class LeaseTable {

    private static final Logger LOG = Logger.getLogger(LeaseTable.class.getName());

    /**
     * File times come from the kernel's coarse clock, up to a tick behind the clock leases are stamped with: an ADD
     * only this much after a spool file's time may well have come before it.
     */
    private static final Duration SPOOL_CLOCK_SLACK = Duration.ofMillis(20);

    private final InstantSource clock;
    private final Durability durability;
    private final Map<LeaseKey, Lease> leases = new HashMap<>();

    LeaseTable(InstantSource clock, Durability durability) {
        this.clock = clock;
        this.durability = durability;
    }

    Lease get(LeaseKey key) {
        return leases.get(key);
    }

    void put(Lease lease) {
        leases.put(lease.key(), lease);
    }

    Lease remove(LeaseKey key) {
        return leases.remove(key);
    }

    boolean remove(Lease lease) {
        return leases.remove(lease.key(), lease);
    }

    Collection<Lease> all() {
        return leases.values();
    }

    /** Every lease, by address (status, introspection). */
    List<Lease> sorted() {
        List<Lease> ls = new ArrayList<>(leases.values());
        ls.sort(Comparator.comparing(Lease::address));
        return ls;
    }

    /** A new lease for {@code key} on {@code address}, stamped now and recorded. */
    Lease create(LeaseKey key, Ipv4Address address, String interfaceId, String podNamespace, String podName,
                 String netns) {
        Lease lease = new Lease(key, address, interfaceId, podNamespace, podName, netns, clock.instant());
        leases.put(key, lease);
        return lease;
    }

    /** Records that a lease's address now sits on another interface. */
    void moved(LeaseKey key, String interfaceId) {
        Lease l = leases.get(key);
        if (l != null) {
            leases.put(key, l.onInterface(interfaceId));
        }
    }

    /**
     * A repeated ADD of a live lease: the runtime wired the attachment again, so a DEL spooled before now is stale.
     * The caller makes this durable before answering: a restart applies the spool from the checkpoint, and a proof
     * only in memory would let it free the address of a running pod (then hand it to the next pod).
     */
    Lease addedAgain(Lease existing) {
        Lease again = existing.addedAgain(clock.instant());
        leases.put(again.key(), again);
        return again;
    }

    /**
     * Whether a DEL spooled at {@code spooledAt} must leave {@code lease} alone: an ADD of its key was served after
     * that time, so the runtime has wired the attachment again.
     */
    static boolean spooledDelIsStale(Lease lease, Instant spooledAt) {
        Instant touched = lease.lastAddAt();
        if (touched.isAfter(spooledAt.plus(SPOOL_CLOCK_SLACK))) {
            LOG.info("spooled DEL of " + lease.key() + " (" + spooledAt + ") is older than its ADD at " + touched
                    + ": the lease is kept");
            return true;
        }
        return false;
    }

    /** The leases of {@code network} whose key is not in {@code live}: what the runtime's GC drops. */
    List<Lease> gcVictims(String network, Set<LeaseKey> live) {
        List<Lease> out = new ArrayList<>();
        for (Lease lease : leases.values()) {
            if (lease.key().network().equals(network) && !live.contains(lease.key())) {
                out.add(lease);
            }
        }
        return out;
    }

    /**
     * The current lease of {@code lease}'s key if it is still that lease (same address, same assignment), else null:
     * a decision made outside the lock must never release a newer lease.
     */
    Lease ifCurrent(Lease lease) {
        Lease current = leases.get(lease.key());
        if (current == null || !current.address().equals(lease.address())
                || !current.assignedAt().equals(lease.assignedAt())) {
            return null;
        }
        return current;
    }

    /** The state to checkpoint: the leases, the given cool-downs and the unproven addresses. */
    CheckpointState checkpointState(Map<Ipv4Address, Instant> cooling, Set<Ipv4Address> unproven) {
        return new CheckpointState(new ArrayList<>(leases.values()), cooling, unproven, false);
    }

    /** Records a change; under the pool lock. */
    long changed() {
        return durability.changed();
    }

    /** The last change's version; under the pool lock. */
    long latest() {
        return durability.latest();
    }

    /** Writes what is pending and stops (shutdown); outside the pool lock. */
    void close() {
        durability.close();
    }

    /** Waits, outside the pool lock, until change {@code version} is on disk. */
    void awaitDurable(long version) throws IOException, InterruptedException {
        durability.awaitDurable(version);
    }
}
