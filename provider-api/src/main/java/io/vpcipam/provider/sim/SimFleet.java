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
import java.util.BitSet;
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
 * subnet (not recomputed per call), so a call costs the same with ten nodes or ten thousand. Time is injected:
 * the token bucket reads {@code clock}, and latency is spent through {@code sleeper} (virtual time in the
 * simulator). Thread-safe: one monitor guards the state and the counters; latency is spent outside it.
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

    private static final int RESERVED = 5;

    private final InstantSource clock;
    private final Sleeper sleeper;
    private final Duration latency;
    private final TokenBucket bucket;
    private final Cidr vpc;
    private final String zone;
    private final Map<String, Pool> subnets = new LinkedHashMap<>();
    // guarded by this
    private long nextId = 1;
    private final long[] calls = new long[Verb.values().length];
    private final long[] throttled = new long[Verb.values().length];
    private long subnetRefusals;

    /** A subnet and the addresses in use in it (reserved ones included). */
    private static final class Pool {
        final SimState.SimSubnet subnet;
        final BitSet used = new BitSet();
        int held; // addresses instances hold

        Pool(SimState.SimSubnet subnet) {
            this.subnet = subnet;
            int size = subnet.size();
            used.set(0, Math.min(4, size));
            used.set(size - 1);
        }
    }

    private SimFleet(Builder b) {
        this.clock = b.clock;
        this.sleeper = b.sleeper;
        this.latency = b.latency;
        this.vpc = b.vpc;
        this.zone = b.zone;
        this.bucket = b.apiRate == null ? null
                : new TokenBucket(b.apiRate, b.apiBurst != null ? b.apiBurst : Math.max(1, Math.ceil(b.apiRate)),
                        b.clock.instant());
        if (b.subnets.isEmpty()) {
            throw new IllegalArgumentException("a fleet needs at least one subnet");
        }
        for (Cidr cidr : b.subnets) {
            if (!vpc.contains(cidr)) {
                throw new IllegalArgumentException("subnet " + cidr + " is outside the VPC " + vpc);
            }
            if (cidr.length() < 16 || cidr.length() > 28) {
                throw new IllegalArgumentException("subnet " + cidr + ": EC2 subnets are /16 to /28");
            }
            for (Pool other : subnets.values()) {
                if (other.subnet.cidr.overlaps(cidr)) {
                    throw new IllegalArgumentException("subnet " + cidr + " overlaps " + other.subnet.cidr);
                }
            }
            String id = newId("subnet-0sim");
            subnets.put(id, new Pool(new SimState.SimSubnet(id, cidr, zone, new BitSet())));
        }
    }

    /** A builder: VPC 10.0.0.0/8, no latency, no API limit, the system clock and Thread.sleep. */
    public static Builder builder() {
        return new Builder();
    }

    /** Ids of the subnets, in the order given. */
    public synchronized List<String> subnetIds() {
        return List.copyOf(subnets.keySet());
    }

    /** How much of each subnet is in use now. */
    public synchronized List<SubnetUse> subnetUse() {
        List<SubnetUse> out = new ArrayList<>();
        for (Pool p : subnets.values()) {
            out.add(new SubnetUse(p.subnet.id, p.subnet.cidr, p.subnet.size() - RESERVED, p.held));
        }
        return out;
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
        Pool pool = pool(subnetId);
        Node node = new Node(newId("i-0sim"), instanceType, limits);
        SimState.Eni primary = newEni(pool, node);
        primary.primary = take(pool, 1).getFirst();
        primary.deviceIndex = 0;
        node.enis.put(primary.id, primary);
        return node;
    }

    /** Terminates {@code node}: its interfaces go with it (delete on termination) and their addresses are free. */
    public synchronized void terminate(Node node) {
        for (SimState.Eni e : node.enis.values()) {
            free(e);
        }
        node.enis.clear();
        node.terminated = true;
    }

    private String newId(String prefix) {
        return prefix + String.format("%013x", nextId++);
    }

    private Pool pool(String subnetId) throws CloudException {
        Pool p = subnets.get(subnetId);
        if (p == null) {
            throw new CloudException.NotFound("InvalidSubnetID.NotFound",
                    "The subnet ID '" + subnetId + "' does not exist");
        }
        return p;
    }

    private SimState.Eni newEni(Pool pool, Node node) {
        SimState.Eni e = new SimState.Eni();
        long n = nextId;
        e.id = newId("eni-0sim");
        e.mac = String.format("02:51:4d:%02x:%02x:%02x", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
        e.subnetId = pool.subnet.id;
        e.deviceIndex = NetworkInterface.DETACHED;
        e.createdAt = clock.instant();
        return e;
    }

    private List<Ipv4Address> take(Pool pool, int n) throws CloudException {
        List<Ipv4Address> taken = SimState.takeAddresses(pool.subnet, pool.used, n);
        pool.held += taken.size();
        return taken;
    }

    private List<Cidr> takePrefixes(Pool pool, int n) throws CloudException {
        List<Cidr> taken = SimState.takePrefixes(pool.subnet, pool.used, n, SimulatedCloud.PREFIX_LENGTH);
        pool.held += taken.size() * (1 << (32 - SimulatedCloud.PREFIX_LENGTH));
        return taken;
    }

    /**
     * Takes prefixes then addresses on a copy first when both are asked, so a subnet that has the prefixes but not
     * the addresses refuses the call without keeping the prefixes (each take alone is all-or-nothing already).
     */
    private static void allOrNothing(Pool pool, int addresses, int prefixes) throws CloudException {
        if (prefixes > 0 && addresses > 0) {
            BitSet trial = (BitSet) pool.used.clone();
            SimState.takePrefixes(pool.subnet, trial, prefixes, SimulatedCloud.PREFIX_LENGTH);
            SimState.takeAddresses(pool.subnet, trial, addresses);
        }
    }

    private void release(Pool pool, Ipv4Address a) {
        int offset = pool.subnet.offset(a);
        if (pool.used.get(offset)) {
            pool.used.clear(offset);
            pool.held--;
        }
    }

    private void release(Pool pool, Cidr p) {
        for (long i = 0; i < p.size(); i++) {
            release(pool, p.address(i));
        }
    }

    private void free(SimState.Eni e) {
        Pool pool = subnets.get(e.subnetId);
        release(pool, e.primary);
        e.secondaries.forEach(a -> release(pool, a));
        e.prefixes.forEach(p -> release(pool, p));
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
                Set<String> ids = new java.util.LinkedHashSet<>();
                enis.values().forEach(e -> ids.add(e.subnetId));
                List<Subnet> described = ids.stream().map(subnets::get).map(p -> p.subnet)
                        .map(x -> new Subnet(x.id, x.cidr, x.zone, x.cidr.address(1))).toList();
                return new NodeInfo(instanceId, instanceType, zone, limits, attached, described, List.of(vpc));
            });
        }

        @Override
        public NetworkInterface createInterface(InterfaceSpec spec) throws CloudException {
            Objects.requireNonNull(spec, "spec");
            return call(this, Verb.CREATE_INTERFACE, () -> {
                Pool pool = pool(spec.subnetId());
                checkSlots(0, spec.addresses(), spec.prefixes(), "a new interface");
                Set<Integer> devices = new HashSet<>();
                enis.values().forEach(e -> devices.add(e.deviceIndex));
                if (devices.size() >= limits.maxInterfaces()) {
                    throw new CloudException.CapacityExhausted("AttachmentLimitExceeded", "Interface count "
                            + (devices.size() + 1) + " exceeds the limit for " + instanceType + " ("
                            + limits.maxInterfaces() + ")", CloudException.CapacityExhausted.Scope.INSTANCE_INTERFACES);
                }
                allOrNothing(pool, 1 + spec.addresses(), spec.prefixes());
                List<Cidr> prefixes = takePrefixes(pool, spec.prefixes());
                List<Ipv4Address> addresses = take(pool, 1 + spec.addresses());
                SimState.Eni e = newEni(pool, this);
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
                free(e);
                return null;
            });
        }

        @Override
        public Assignment assign(String interfaceId, int addresses, int prefixes) throws CloudException {
            if (addresses < 0 || prefixes < 0 || addresses > SimulatedCloud.MAX_ADDRESSES_PER_CALL
                    || prefixes > SimulatedCloud.MAX_ADDRESSES_PER_CALL) {
                throw new IllegalArgumentException("addresses and prefixes must be 0.."
                        + SimulatedCloud.MAX_ADDRESSES_PER_CALL + ", got " + addresses + " and " + prefixes);
            }
            return call(this, Verb.ASSIGN, () -> {
                SimState.Eni e = eni(interfaceId);
                checkSlots(e.usedSlots(), addresses, prefixes, interfaceId);
                Pool pool = subnets.get(e.subnetId);
                allOrNothing(pool, addresses, prefixes);
                List<Cidr> newPrefixes = takePrefixes(pool, prefixes);
                List<Ipv4Address> newAddresses = take(pool, addresses);
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
                if (gone.contains(e.primary)) {
                    throw new CloudException.Fatal("InvalidParameterValue", "The primary address " + e.primary
                            + " of " + interfaceId + " cannot be unassigned", null);
                }
                Pool pool = subnets.get(e.subnetId);
                for (Ipv4Address a : gone) {
                    if (e.secondaries.remove(a)) {
                        release(pool, a);
                    }
                }
                for (Cidr p : gonePrefixes) {
                    if (e.prefixes.remove(p)) {
                        release(pool, p);
                    }
                }
                return null;
            });
        }

        @Override
        public List<NetworkInterface> findOrphanedInterfaces(Map<String, String> ownerTags) throws CloudException {
            if (ownerTags == null || ownerTags.isEmpty()) {
                throw new IllegalArgumentException("owner tags are missing: without them every detached interface "
                        + "of the account would match");
            }
            // every interface of the fleet is attached from its create to its delete (no faults): none is orphaned
            return call(this, Verb.FIND_ORPHANS, List::of);
        }

        private SimState.Eni eni(String id) throws CloudException {
            SimState.Eni e = id == null ? null : enis.get(id);
            if (e == null) {
                throw new CloudException.NotFound("InvalidNetworkInterfaceID.NotFound",
                        "The networkInterface ID '" + id + "' does not exist");
            }
            return e;
        }

        private void checkSlots(int used, int addresses, int prefixes, String what) throws CloudException {
            if (used + addresses + prefixes > limits.slotsPerInterface()) {
                throw new CloudException.CapacityExhausted("PrivateIpAddressLimitExceeded", "Number of private "
                        + "addresses and prefixes on " + what + " would be " + (used + addresses + prefixes + 1)
                        + ", the limit is " + limits.addressesPerInterface(),
                        CloudException.CapacityExhausted.Scope.INTERFACE_ADDRESSES);
            }
        }
    }

    /** Configures a {@link SimFleet}. */
    public static final class Builder {
        private InstantSource clock = InstantSource.system();
        private Sleeper sleeper = Thread::sleep;
        private Duration latency = Duration.ZERO;
        private Double apiRate;
        private Double apiBurst;
        private Cidr vpc = Cidr.parse("10.0.0.0/8");
        private String zone = "us-east-1a";
        private final List<Cidr> subnets = new ArrayList<>();

        private Builder() {
        }

        /** The clock the token bucket and creation times read. */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How latency is spent (default Thread.sleep). */
        public Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        /** Latency of every mutating call (default zero). */
        public Builder latency(Duration latency) {
            if (latency == null || latency.isNegative()) {
                throw new IllegalArgumentException("latency must be >= 0, got " + latency);
            }
            this.latency = latency;
            return this;
        }

        /** Account-wide API calls per second (default unlimited); the burst defaults to one second's worth. */
        public Builder apiRate(double callsPerSecond) {
            if (!(callsPerSecond > 0) || Double.isInfinite(callsPerSecond)) {
                throw new IllegalArgumentException("API rate must be a positive number, got " + callsPerSecond);
            }
            this.apiRate = callsPerSecond;
            return this;
        }

        /** Token bucket capacity (default max(1, rate)); needs a rate. */
        public Builder apiBurst(double calls) {
            if (!(calls >= 1) || Double.isInfinite(calls)) {
                throw new IllegalArgumentException("API burst must be >= 1, got " + calls);
            }
            this.apiBurst = calls;
            return this;
        }

        /** The VPC's block (default 10.0.0.0/8). */
        public Builder vpc(Cidr vpc) {
            this.vpc = Objects.requireNonNull(vpc, "vpc");
            return this;
        }

        /** One more subnet (at least one is needed). */
        public Builder subnet(Cidr subnet) {
            this.subnets.add(Objects.requireNonNull(subnet, "subnet"));
            return this;
        }

        /** Builds the fleet's cloud. */
        public SimFleet build() {
            if (apiBurst != null && apiRate == null) {
                throw new IllegalArgumentException("API burst without an API rate");
            }
            return new SimFleet(this);
        }
    }

    /** Whether {@code type} is an instance type the simulated cloud knows; the message names the known ones. */
    public static void checkInstanceType(String type) {
        InstanceTypes.limits(type);
    }
}
