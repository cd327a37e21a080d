package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.protocol.StatusInfo;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;

import java.time.Instant;
import java.util.List;

/**
 * The pool as operators see it, typed: what introspection serves at {@code /v1/pool} (as JSON, each component a
 * key) and what {@code ipamd status} and {@code ipamd explain} read back into the same record. It is also the one
 * place the pool's status becomes the socket's STATUS object ({@link #status}), so the socket and introspection
 * cannot drift apart.
 *
 * @param pool         address counts by state
 * @param maxAddresses how many pod addresses the node can hold at its limits
 * @param targets      the warm targets; null on the socket's STATUS path
 * @param engine       the reconciler's state; null on the socket's STATUS path
 */
public record PoolView(String provider, String instanceId, String instanceType, String zone, boolean prefixMode,
                       Counts pool, int maxAddresses, TargetsView targets, Engine engine, List<Iface> interfaces) {

    public PoolView {
        pool = pool == null ? new Counts(0, 0, 0, 0, 0, 0, 0, 0) : pool;
        interfaces = interfaces == null ? List.of() : List.copyOf(interfaces);
    }

    /** Addresses by state ({@code total}: every address the node holds, lost ones excluded). */
    public record Counts(int total, int free, int assigned, int cooling, int unproven, int pending, int releasing,
                         int waiting) {
    }

    /** The targets, with aws-node's names ({@code maxEni} -1: the instance's limit). */
    public record TargetsView(int warmIpTarget, int minimumIpTarget, int warmEniTarget, int warmPrefixTarget,
                              int maxEni) {
    }

    /**
     * The reconciler: when it last grew and shrank, whether growth is paused, whether the cloud is failing, and
     * whether it provisions at all ({@code provisioning} false: DISABLE_NETWORK_RESOURCE_PROVISIONING).
     * Times are ISO-8601 strings, null for never.
     */
    public record Engine(String lastGrow, String lastShrink, String growthPausedUntil, boolean reconcilerRunning,
                         boolean cloudFailing, int cloudFailures, String cloudNextTry, String cloudError,
                         String takeover, Refusal lastCapacityRefusal, boolean provisioning) {
    }

    /** The last growth the cloud refused for capacity ({@link CapacityRefusal}), or null on the engine. */
    public record Refusal(String at, String reason, String code, String message, String interfaceId, int inARow,
                          String growthPausedUntil) {
    }

    /** One interface; {@code unmanaged} is null for a pool interface, else why ipamd leaves it alone. */
    public record Iface(String id, int deviceIndex, String subnetId, String primaryAddress, List<String> addresses,
                       List<String> prefixes, int free, int assigned, String unmanaged, String mac, String linkName,
                       int routeTable, boolean hostReady) {
        public Iface {
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
            prefixes = prefixes == null ? List.of() : List.copyOf(prefixes);
        }
    }

    /** The view of {@code s}: without targets and engine (the socket's STATUS needs neither). */
    public static PoolView of(String provider, boolean prefixMode, PoolStatus s) {
        return of(provider, prefixMode, s, null, null);
    }

    /** The whole view of {@code s}, with the targets and the reconciler's state. */
    public static PoolView of(String provider, boolean prefixMode, PoolStatus s, TargetsView targets, Engine engine) {
        List<Iface> ifaces = s.interfaces().stream()
                .map(i -> new Iface(i.id(), i.deviceIndex(), i.subnetId(),
                        i.primaryAddress() == null ? null : i.primaryAddress().toString(),
                        i.addresses().stream().map(Ipv4Address::toString).toList(),
                        i.prefixes().stream().map(Cidr::toString).toList(), i.free(), i.assigned(), i.unmanaged(),
                        i.mac(), i.linkName(), i.routeTable(), i.hostReady()))
                .toList();
        return new PoolView(provider, s.instanceId(), s.instanceType(), s.zone(), prefixMode,
                new Counts(s.total(), s.free(), s.assigned(), s.cooling(), s.unproven(), s.pending(), s.releasing(),
                        s.waiting()), s.capacity(), targets, engine, ifaces);
    }

    /** The targets as the view shows them. */
    public static TargetsView targets(Targets t) {
        return new TargetsView(t.warmIp(), t.minimumIp(), t.warmEni(), t.warmPrefix(),
                t.maxInterfaces() == 0 ? -1 : t.maxInterfaces());
    }

    /** The reconciler's state as the view shows it; {@code takeover} says what is left to prove. */
    public static Engine engine(Snapshot snap, boolean reconcilerRunning, Reconciler.CloudHealth cloud,
                                String takeover, CapacityRefusal refusal, boolean provisioning) {
        return new Engine(instant(snap.lastGrow()), instant(snap.lastShrink()), instant(snap.growPausedUntil()),
                reconcilerRunning, cloud.failing(), cloud.failures(), cloud.failing() ? cloud.nextTry().toString()
                : null, cloud.failing() ? cloud.lastError() : null, takeover, refusal == null ? null
                : new Refusal(refusal.at().toString(), refusal.reason(), refusal.code(), refusal.message(),
                        refusal.interfaceId(), refusal.inARow(), refusal.growthPausedUntil().toString()),
                provisioning);
    }

    /** The socket's STATUS object: this view and the leases. */
    public StatusInfo status(List<StatusInfo.LeaseStatus> leases) {
        return new StatusInfo(provider, instanceId, instanceType, zone, prefixMode,
                new StatusInfo.PoolCounts(pool.total(), pool.free(), pool.assigned(), pool.cooling(), pool.pending(),
                        pool.releasing()), maxAddresses,
                interfaces.stream().map(i -> new StatusInfo.InterfaceStatus(i.id(), i.deviceIndex(), i.subnetId(),
                        i.primaryAddress(), i.addresses(), i.prefixes(), i.free(), i.assigned(), i.unmanaged(),
                        i.mac(), i.linkName(), i.routeTable())).toList(), leases);
    }

    /** The leases as STATUS lists them. */
    public static List<StatusInfo.LeaseStatus> leases(List<Lease> leases) {
        return leases.stream().map(l -> LeaseView.of(l).status()).toList();
    }

    private static String instant(Instant i) {
        return i == null || i.equals(Instant.MIN) ? null : i.toString();
    }
}
