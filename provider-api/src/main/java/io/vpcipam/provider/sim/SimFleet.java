package io.vpcipam.provider.sim;

import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.Capabilities;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.InterfaceSpec;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.Limits;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.Subnet;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One simulated EC2 account shared by a fleet of nodes: a VPC with subnets every node takes addresses from, one
 * account-wide API token bucket every call of every node pays into (EC2 throttles per account and region, not per
 * node), and a latency on every mutating call. Each {@link #launch launched} instance is a {@link CloudProvider}
 * for one node, with {@link SimulatedCloud}'s rules: the instance type's limits and error codes, the five reserved
 * addresses of each subnet, addresses lowest-first, /28 prefixes on the lowest free aligned block, all-or-nothing
 * calls, describes paying a token but no latency, never a retry (that is the caller's job).
 *
 * <p>Unlike {@link SimulatedCloud} it keeps no state file and injects no faults: it exists so the fleet simulator
 * ({@code ipamd simulate}) can run thousands of nodes against one cloud. Which addresses are in use is kept per
 * subnet by the {@link SubnetLedger} (not recomputed per call), so a call costs the same with ten nodes or ten
 * thousand; the account's settings come from {@link AccountBuilder}, shared with {@link SimulatedCloud}. Time is
 * injected: the token bucket reads {@code clock}, and latency is spent through {@code sleeper} (virtual time in the
 * simulator). Thread-safe: one monitor guards the state and the counters; latency is spent outside it.
 *
 * <p>Why {@link Node} is an inner class of some 200 lines rather than a class of its own: every verb is one
 * {@code call} through the fleet's gate (its monitor, the account's bucket, latency, the counters) on the fleet's
 * ledger and id counter, so the node is the fleet seen from one instance, not a separate owner of anything.
 */
public final class SimFleet {

    /** Spends a call's latency: Thread.sleep in real time, a coroutine's pause in virtual time. */
    @FunctionalInterface
    public interface Sleeper {
        /** Waits {@code d}; called outside the fleet's monitor. */
        void sleep(Duration d) throws InterruptedException;
    }

    /**
     * One subnet's use.
     *
     * @param id     subnet id
     * @param cidr   the block
     * @param usable addresses instances can get (the block less the five reserved)
     * @param used   addresses held by instances (primaries, secondaries and prefix members)
     */
    public record SubnetUse(String id, Cidr cidr, int usable, int used) {
        /** The share of usable addresses in use, 0 to 1. */
        public double utilisation() {
            return usable == 0 ? 1 : (double) used / usable;
        }
    }

    private final InstantSource clock;
    private final Sleeper sleeper;
    private final Duration latency;
    private final TokenBucket bucket;
    private final Cidr vpc;
    private final String zone;
    // guarded by this
    private final SubnetLedger subnets = new SubnetLedger();
    private long nextId = 1;
    private final long[] calls = new long[Verb.values().length];
    private final long[] throttled = new long[Verb.values().length];
    private long subnetRefusals;

    private SimFleet(Builder b) {
        this.clock = b.clock;
        this.sleeper = b.sleeper;
        this.latency = b.latency;
        this.vpc = b.vpc;
        this.zone = b.zone;
        this.bucket = b.bucket();
        if (b.subnets.isEmpty()) {
            throw new IllegalArgumentException("a fleet needs at least one subnet");
        }
        for (Cidr cidr : b.subnets) {
            subnets.add(newId("subnet-0sim"), vpc, cidr, zone);
        }
    }

    /** A builder: VPC 10.0.0.0/8, no latency, no API limit, the system clock and Thread.sleep. */
    public static Builder builder() {
        return new Builder();
    }

    /** Ids of the subnets, in the order given. */
    public synchronized List<String> subnetIds() {
        return subnets.ids();
    }

    /** How much of each subnet is in use now. */
    public synchronized List<SubnetUse> subnetUse() {
        return subnets.use();
    }

    /** Calls of {@code verb} by every node so far, throttled ones included. */
    public synchronized long calls(Verb verb) {
        return calls[verb.ordinal()];
    }

    /** Calls of {@code verb} the account's token bucket refused. */
    public synchronized long throttledCalls(Verb verb) {
        return throttled[verb.ordinal()];
    }

    /** Growth calls refused because a subnet had too few free addresses (or aligned blocks). */
    public synchronized long subnetRefusals() {
        return subnetRefusals;
    }

    /** Launches an instance of {@code instanceType} with its primary interface in {@code subnetId}. */
    public synchronized Node launch(String instanceType, String subnetId) throws CloudException {
        Limits limits = InstanceTypes.limits(instanceType);
        SubnetLedger.Pool pool = subnets.pool(subnetId);
        Node node = new Node(newId("i-0sim"), instanceType, limits);
        SimState.Eni primary = newEni(pool);
        primary.primary = pool.take(1).getFirst();
        primary.deviceIndex = 0;
        node.enis.put(primary.id, primary);
        return node;
    }

    /** Terminates {@code node}: its interfaces go with it (delete on termination) and their addresses are free. */
    public synchronized void terminate(Node node) {
        for (SimState.Eni e : node.enis.values()) {
            subnets.free(e);
        }
        node.enis.clear();
        node.terminated = true;
    }

    private String newId(String prefix) {
        return prefix + String.format("%013x", nextId++);
    }

    private SimState.Eni newEni(SubnetLedger.Pool pool) {
        long n = nextId;
        return SimState.newEni(newId("eni-0sim"), n, pool.subnet.id, clock.instant());
    }

    /** A cloud operation on the fleet's state; runs under the monitor. */
    private interface Op<T> {
        T run() throws CloudException;
    }

    private <T> T call(Node node, Verb verb, Op<T> op) throws CloudException {
        synchronized (this) {
            calls[verb.ordinal()]++;
            node.calls[verb.ordinal()]++;
            if (bucket != null) {
                Duration wait = bucket.tryTake(clock.instant());
                if (!wait.isZero()) {
                    throttled[verb.ordinal()]++;
                    node.throttled[verb.ordinal()]++;
                    throw new CloudException.Throttled("RequestLimitExceeded",
                            "Request limit exceeded (" + verb.ec2Name() + "); next token in " + wait, wait);
                }
            }
        }
        if (verb.mutating() && latency.isPositive()) {
            try {
                sleeper.sleep(latency);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CloudException.Fatal("RequestCanceled", "interrupted while waiting for the simulated cloud",
                        e, true);
            }
        }
        synchronized (this) {
            if (node.terminated) {
                throw new CloudException.Fatal("InvalidInstanceID.NotFound", "The instance ID '" + node.instanceId
                        + "' does not exist", null);
            }
            try {
                return op.run();
            } catch (CloudException.CapacityExhausted e) {
                if (e.scope() == CloudException.CapacityExhausted.Scope.SUBNET) {
                    subnetRefusals++;
                }
                throw e;
            }
        }
    }

    /** One instance of the fleet: the cloud as its node's ipamd sees it. */
    public final class Node implements CloudProvider {
        private final String instanceId;
        private final String instanceType;
        private final Limits limits;
        private final Map<String, SimState.Eni> enis = new LinkedHashMap<>(); // guarded by the fleet
        private final long[] calls = new long[Verb.values().length];
        private final long[] throttled = new long[Verb.values().length];
        private boolean terminated;

        private Node(String instanceId, String instanceType, Limits limits) {
            this.instanceId = instanceId;
            this.instanceType = instanceType;
            this.limits = limits;
        }

        /** The instance id. */
        public String instanceId() {
            return instanceId;
        }

        /** The instance type. */
        public String instanceType() {
            return instanceType;
        }

        /** This node's calls of {@code verb}, throttled ones included. */
        public long calls(Verb verb) {
            synchronized (SimFleet.this) {
                return calls[verb.ordinal()];
            }
        }

        /** This node's calls of {@code verb} the account's bucket refused. */
        public long throttledCalls(Verb verb) {
            synchronized (SimFleet.this) {
                return throttled[verb.ordinal()];
            }
        }

        /** Addresses this node's interfaces hold for pods (secondaries and prefix members), without a call. */
        public int heldAddresses() {
            synchronized (SimFleet.this) {
                int n = 0;
                for (SimState.Eni e : enis.values()) {
                    n += e.secondaries.size() + e.prefixes.size() * (1 << (32 - SimulatedCloud.PREFIX_LENGTH));
                }
                return n;
            }
        }

        @Override
        public String name() {
            return "sim";
        }

        @Override
        public Capabilities capabilities() {
            return SimulatedCloud.CAPABILITIES;
        }

        @Override
        public NodeInfo describeNode() throws CloudException {
            return call(this, Verb.DESCRIBE_NODE, () -> {
                List<NetworkInterface> attached = enis.values().stream().map(SimState.Eni::view).toList();
                Map<String, SubnetLedger.Pool> used = new LinkedHashMap<>();
                enis.values().forEach(e -> used.putIfAbsent(e.subnetId, subnets.of(e)));
                List<Subnet> described = used.values().stream().map(p -> p.subnet)
                        .map(x -> new Subnet(x.id, x.cidr, x.zone, x.cidr.address(1))).toList();
                return new NodeInfo(instanceId, instanceType, zone, limits, attached, described, List.of(vpc));
            });
        }

        @Override
        public NetworkInterface createInterface(InterfaceSpec spec) throws CloudException {
            Objects.requireNonNull(spec, "spec");
            return call(this, Verb.CREATE_INTERFACE, () -> {
                SubnetLedger.Pool pool = subnets.pool(spec.subnetId());
                Ec2Rules.checkSlots(limits, 0, spec.addresses(), spec.prefixes(), "a new interface");
                Set<Integer> devices = new HashSet<>();
                enis.values().forEach(e -> devices.add(e.deviceIndex));
                if (devices.size() >= limits.maxInterfaces()) {
                    throw new CloudException.CapacityExhausted("AttachmentLimitExceeded", "Interface count "
                            + (devices.size() + 1) + " exceeds the limit for " + instanceType + " ("
                            + limits.maxInterfaces() + ")", CloudException.CapacityExhausted.Scope.INSTANCE_INTERFACES);
                }
                pool.allOrNothing(1 + spec.addresses(), spec.prefixes());
                List<Cidr> prefixes = pool.takePrefixes(spec.prefixes());
                List<Ipv4Address> addresses = pool.take(1 + spec.addresses());
                SimState.Eni e = newEni(pool);
                e.primary = addresses.getFirst();
                e.secondaries.addAll(addresses.subList(1, addresses.size()));
                e.prefixes.addAll(prefixes);
                e.tags.putAll(spec.tags());
                e.description = spec.description();
                int index = 1;
                while (devices.contains(index)) {
                    index++;
                }
                e.deviceIndex = index;
                enis.put(e.id, e);
                return e.view();
            });
        }

        @Override
        public void deleteInterface(String interfaceId) throws CloudException {
            call(this, Verb.DELETE_INTERFACE, () -> {
                SimState.Eni e = eni(interfaceId);
                if (e.deviceIndex == 0) {
                    throw new CloudException.Fatal("OperationNotPermitted", "The network interface " + interfaceId
                            + " is the primary interface of " + instanceId + " and cannot be deleted", null);
                }
                enis.remove(interfaceId);
                subnets.free(e);
                return null;
            });
        }

        @Override
        public Assignment assign(String interfaceId, int addresses, int prefixes) throws CloudException {
            Ec2Rules.checkCount(addresses, prefixes);
            return call(this, Verb.ASSIGN, () -> {
                SimState.Eni e = eni(interfaceId);
                Ec2Rules.checkSlots(limits, e.usedSlots(), addresses, prefixes, interfaceId);
                SubnetLedger.Pool pool = subnets.of(e);
                pool.allOrNothing(addresses, prefixes);
                List<Cidr> newPrefixes = pool.takePrefixes(prefixes);
                List<Ipv4Address> newAddresses = pool.take(addresses);
                e.secondaries.addAll(newAddresses);
                e.prefixes.addAll(newPrefixes);
                return new Assignment(newAddresses, newPrefixes);
            });
        }

        @Override
        public void unassign(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes)
                throws CloudException {
            Set<Ipv4Address> gone = Set.copyOf(addresses);
            Set<Cidr> gonePrefixes = Set.copyOf(prefixes);
            call(this, Verb.UNASSIGN, () -> {
                SimState.Eni e = eni(interfaceId);
                Ec2Rules.refusePrimary(e, gone);
                SubnetLedger.Pool pool = subnets.of(e);
                for (Ipv4Address a : gone) {
                    if (e.secondaries.remove(a)) {
                        pool.release(a);
                    }
                }
                for (Cidr p : gonePrefixes) {
                    if (e.prefixes.remove(p)) {
                        pool.release(p);
                    }
                }
                return null;
            });
        }

        @Override
        public List<NetworkInterface> findOrphanedInterfaces(Map<String, String> ownerTags) throws CloudException {
            Ec2Rules.requireOwnerTags(ownerTags);
            // every interface of the fleet is attached from its create to its delete (no faults): none is orphaned
            return call(this, Verb.FIND_ORPHANS, List::of);
        }

        private SimState.Eni eni(String id) throws CloudException {
            return Ec2Rules.interfaceOf(enis, id);
        }
    }

    /** Configures a {@link SimFleet}: the account's settings ({@link AccountBuilder}), how latency is spent, subnets. */
    public static final class Builder extends AccountBuilder<Builder> {
        private Sleeper sleeper = Thread::sleep;
        private final List<Cidr> subnets = new ArrayList<>();

        private Builder() {
            super(Cidr.parse("10.0.0.0/8"));
        }

        /** How latency is spent (default Thread.sleep). */
        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        /** One more subnet (at least one is needed). */
        public Builder subnet(Cidr subnet) {
            this.subnets.add(Objects.requireNonNull(subnet, "subnet"));
            return this;
        }

        /** Builds the fleet's cloud. */
        public SimFleet build() {
            checkAccount();
            return new SimFleet(this);
        }
    }

    /** Whether {@code type} is an instance type the simulated cloud knows; the message names the known ones. */
    public static void checkInstanceType(String type) {
        InstanceTypes.limits(type);
    }
}
