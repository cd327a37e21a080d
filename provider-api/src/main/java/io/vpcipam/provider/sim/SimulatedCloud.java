package io.vpcipam.provider.sim;

import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.Capabilities;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudCallListener;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.InterfaceSpec;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.Limits;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.Subnet;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * A simulated EC2 VPC with one instance (the node): ipamd's embedded default provider ({@code --provider sim}) and
 * the fake every test uses. It behaves like EC2 where ipamd's correctness depends on it:
 * <ul>
 *   <li>real CIDR allocation: never the five AWS-reserved addresses of a subnet (network, .1 router, .2 DNS,
 *       .3 reserved, broadcast), never an address twice, and a /28 prefix only on an aligned block none of whose
 *       addresses is in use; addresses are taken lowest-first, prefixes from the lowest free aligned block;</li>
 *   <li>the instance type's real limits (interfaces x IPv4 per interface, primary included; a prefix takes one
 *       slot like an address), with EC2's error code for each limit;</li>
 *   <li>every call is all-or-nothing: it works on a copy of the state and swaps it in only after the copy is
 *       persisted, so a failed call (limit, fault, full disk) changes nothing;</li>
 *   <li>an account-wide token bucket that throttles like EC2 ({@code RequestLimitExceeded} with the time until the
 *       next token); describes pay too. The sim never retries: retrying is the caller's job, as on EC2;</li>
 *   <li>per-call latency (a real sleep, outside the lock, so concurrent calls overlap as they do on EC2).</li>
 * </ul>
 * {@link #MAX_ADDRESSES_PER_CALL} is 1000: EC2 has no documented per-call bound below the per-interface limit
 * (at most 49 secondaries on the largest types), so any sane batch fits, as on EC2; larger asks are a caller bug
 * (IllegalArgumentException). Security groups in an {@link InterfaceSpec} are accepted and ignored.
 *
 * <h2>Fault and test controls</h2>
 * Random faults ({@link Builder#randomFaults}: a share of all SPI calls fails, is throttled, or is applied with its
 * answer lost; optionally only for a while after start; seeded, so a run can be repeated), {@link #failNext},
 * {@link #addLatency}, per-verb counters ({@link #calls}, {@link #failedCalls},
 * {@link #throttledCalls}, {@link #mutatingCalls}), other tenants ({@link #occupy}, {@link #leaveFree},
 * {@link #fragment}), {@link #leakInterface} and {@link #heldAddresses}. Test controls bypass the counters, the
 * token bucket and the faults.
 *
 * <h2>State file</h2>
 * With a state file (ipamd gives {@code <stateDir>/sim-cloud.state}) the whole cloud is written after every
 * change, before the call returns (temp file, fsync, ATOMIC_MOVE, fsync of the directory), and a new sim over the
 * same file starts from it: a kill -9 of ipamd behaves like a node crash, the cloud still holds what it held.
 * The format is UTF-8 text, one record per line, fields separated by one space; tags and descriptions are
 * URL-encoded (so they hold no space); lists are repeated records:
 * <pre>
 * vpc-ipam-sim-state 1
 * vpc 10.0.0.0/16
 * instance i-0sim0000000000001 c5.4xlarge us-east-1a
 * next-id 3
 * subnet subnet-0sim0000000000001 10.0.0.0/20 us-east-1a      (the first subnet is the node's)
 * occupied subnet-0sim0000000000001 10.0.0.5-10.0.0.9          (other tenants; a single address or a range)
 * eni eni-0sim0000000000002 02:51:4d:00:00:02 subnet-0sim0000000000001 0 10.0.0.4 2026-01-01T00:00:00Z
 *                                       (id mac subnet deviceIndex|detached primaryAddress createdAt)
 * card eni-0sim0000000000003 1                                (network card, only when not 0)
 * description eni-0sim0000000000002 aws-K8S-i-0sim0000000000001
 * tag eni-0sim0000000000002 vpc-ipam.io%2Finstance-id i-0sim0000000000001
 * address eni-0sim0000000000002 10.0.0.10
 * prefix eni-0sim0000000000002 10.0.0.16/28
 * end                                   (trailer: a file without it is truncated)
 * </pre>
 * A file that cannot be read or parsed, or whose contents break the invariants (overlaps, reserved addresses, no
 * primary interface), is refused with an IllegalStateException naming it; so is a file written for another
 * instance type or node subnet than the one asked for.
 *
 * <p>Thread-safe: one monitor guards the state, the counters and the faults; latency sleeps happen outside it.
 *
 * <h2>Why one class</h2>
 * Some 900 lines: each SPI verb is a short copy-change-persist-swap over {@link SimState} under one lock, with the
 * same fault, latency and token-bucket gate in front; the verbs, the gate and the test controls share that lock and
 * that copy discipline, and the pure parts (state, format, faults, the hypervisor) are classes of their own already.
 */
public final class SimulatedCloud implements CloudProvider {

    /** Most addresses or prefixes one assign call may ask for (see the class comment). */
    public static final int MAX_ADDRESSES_PER_CALL = 1000;
    /** Length of a delegated prefix, as on EC2. */
    public static final int PREFIX_LENGTH = 28;
    /** The file name the sim uses in ipamd's state dir. */
    public static final String STATE_FILE_NAME = "sim-cloud.state";

    /** The retry-after an injected throttle carries (EC2 gives none; one second is a polite client's pause). */
    static final Duration INJECTED_RETRY_AFTER = Duration.ofSeconds(1);

    static final Capabilities CAPABILITIES =
            new Capabilities(true, true, PREFIX_LENGTH, MAX_ADDRESSES_PER_CALL);

    private final InstantSource clock;
    private final Limits limits;
    private final Duration latency;
    private final TokenBucket bucket;
    private final StateFile stateFile;
    private final CloudCallListener listener;
    private final List<Fault> faultKinds;
    private final Instant faultsFrom;
    private final Instant faultsUntil;
    private final Hypervisor hypervisor; // null: no links are plugged anywhere

    // guarded by this
    private double faultRate;
    private final java.util.Random faultDice;
    private boolean answerLost; // true while a call whose answer will be lost is applied
    private SimState state;
    private final long[] calls = new long[Verb.values().length];
    private final long[] failed = new long[Verb.values().length];
    private final long[] throttled = new long[Verb.values().length];
    private final Map<Verb, Deque<Supplier<? extends CloudException>>> faults = new EnumMap<>(Verb.class);
    private final Map<Verb, Duration> extraLatency = new EnumMap<>(Verb.class);

    private SimulatedCloud(Builder b) {
        this.clock = b.clock;
        this.limits = InstanceTypes.limits(b.instanceType);
        this.latency = b.latency;
        this.bucket = b.bucket();
        this.stateFile = b.stateFile == null ? null : new StateFile(b.stateFile);
        this.listener = b.listener;
        this.faultRate = b.faultRate;
        this.faultKinds = List.copyOf(b.faultKinds);
        this.faultsFrom = b.clock.instant().plus(b.faultDelay);
        this.faultsUntil = b.faultWindow == null ? Instant.MAX : faultsFrom.plus(b.faultWindow);
        this.faultDice = new java.util.Random(b.faultSeed);
        this.hypervisor = b.fabricNetns == null ? null : new Hypervisor(b.plugNetns, b.fabricNetns);
        Optional<SimState> stored = stateFile == null ? Optional.empty() : stateFile.load();
        if (stored.isPresent()) {
            SimState s = stored.get();
            if (!s.instanceType.equals(b.instanceType) || !s.nodeSubnet().cidr.equals(b.subnet)) {
                throw new IllegalStateException("the simulated cloud's state file " + stateFile.path()
                        + " holds a " + s.instanceType + " node in " + s.nodeSubnet().cidr + ", but a "
                        + b.instanceType + " node in " + b.subnet
                        + " was asked for; delete the file to start a new simulated node");
            }
            this.state = s;
        } else {
            this.state = fresh(b);
            persist(state);
        }
        plug();
    }

    /** Plugs and unplugs links as the hypervisor would (when configured); a failure is logged, not thrown. */
    private void plug() {
        if (hypervisor == null) {
            return;
        }
        try {
            hypervisor.sync(nodeInfo(state));
        } catch (java.io.IOException | RuntimeException e) {
            System.getLogger(SimulatedCloud.class.getName()).log(System.Logger.Level.WARNING,
                    "simulated hypervisor: cannot plug the node's interfaces: " + e.getMessage());
        }
    }

    private SimState fresh(Builder b) {
        SimState s = new SimState();
        s.vpc = b.vpc;
        s.instanceType = b.instanceType;
        s.zone = b.zone;
        s.instanceId = b.instanceId != null ? b.instanceId : s.newId("i-0sim");
        List<Cidr> all = new ArrayList<>();
        all.add(b.subnet);
        all.addAll(b.extraSubnets);
        for (Cidr cidr : all) {
            addSubnet(s, cidr);
        }
        SimState.SimSubnet node = s.nodeSubnet();
        SimState.Eni primary = newEni(s, node.id);
        try {
            primary.primary = SimState.takeAddresses(node, s.used(node), 1).getFirst();
        } catch (CloudException e) {
            throw new IllegalArgumentException("subnet " + b.subnet + " has no address for the primary interface", e);
        }
        primary.deviceIndex = 0;
        s.enis.put(primary.id, primary);
        return s;
    }

    private static String addSubnet(SimState s, Cidr cidr) {
        SimState.checkNewSubnet(s.vpc, cidr, s.subnets.values());
        String id = s.newId("subnet-0sim");
        s.subnets.put(id, new SimState.SimSubnet(id, cidr, s.zone, new BitSet()));
        return id;
    }

    private SimState.Eni newEni(SimState s, String subnetId) {
        long n = s.nextId;
        return SimState.newEni(s.newId("eni-0sim"), n, subnetId, clock.instant());
    }

    /** A builder with EC2-like defaults: c5.4xlarge, VPC 10.0.0.0/16, node subnet 10.0.0.0/20, no latency, no limit, no file. */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- SPI

    @Override
    public String name() {
        return "sim";
    }

    @Override
    public Capabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public NodeInfo describeNode() throws CloudException {
        return call(Verb.DESCRIBE_NODE, () -> nodeInfo(state));
    }

    @Override
    public NetworkInterface createInterface(InterfaceSpec spec) throws CloudException {
        Objects.requireNonNull(spec, "spec");
        Ec2Rules.checkCount(spec.addresses(), spec.prefixes());
        return mutate(Verb.CREATE_INTERFACE, s -> {
            SimState.SimSubnet subnet = s.subnets.get(spec.subnetId());
            if (subnet == null) {
                throw new CloudException.NotFound("InvalidSubnetID.NotFound",
                        "The subnet ID '" + spec.subnetId() + "' does not exist");
            }
            Ec2Rules.checkSlots(limits, 0, spec.addresses(), spec.prefixes(), "a new interface");
            Set<Integer> devices = new HashSet<>(); // card 0's: the pool's interfaces are attached through card 0
            s.enis.values().stream().filter(e -> e.attached() && e.networkCard == 0)
                    .forEach(e -> devices.add(e.deviceIndex));
            if (devices.size() >= limits.maxInterfaces()) {
                throw new CloudException.CapacityExhausted("AttachmentLimitExceeded", "Interface count "
                        + (devices.size() + 1) + " exceeds the limit for " + s.instanceType + " ("
                        + limits.maxInterfaces() + ")", CloudException.CapacityExhausted.Scope.INSTANCE_INTERFACES);
            }
            BitSet used = s.used(subnet);
            // prefixes first: aligned free blocks are the scarcer resource
            List<Cidr> prefixes = SimState.takePrefixes(subnet, used, spec.prefixes(), PREFIX_LENGTH);
            List<Ipv4Address> addresses = SimState.takeAddresses(subnet, used, 1 + spec.addresses());
            SimState.Eni e = newEni(s, subnet.id);
            e.primary = addresses.getFirst();
            e.secondaries.addAll(addresses.subList(1, addresses.size()));
            e.prefixes.addAll(prefixes);
            e.tags.putAll(spec.tags());
            e.description = spec.description();
            int index = 1;
            while (devices.contains(index)) {
                index++;
            }
            // a create whose answer is lost never reaches its attach: the caller has no id to attach
            e.deviceIndex = answerLost ? NetworkInterface.DETACHED : index;
            s.enis.put(e.id, e);
            return e.view();
        });
    }

    @Override
    public void deleteInterface(String interfaceId) throws CloudException {
        requireId(interfaceId);
        mutate(Verb.DELETE_INTERFACE, s -> {
            SimState.Eni e = eni(s, interfaceId);
            if (e.deviceIndex == 0 && e.networkCard == 0) {
                throw new CloudException.Fatal("OperationNotPermitted", "The network interface " + interfaceId
                        + " is the primary interface of " + s.instanceId + " and cannot be deleted", null);
            }
            refuseExcluded(e, "delete");
            s.enis.remove(interfaceId);
            return null;
        });
    }

    @Override
    public Assignment assign(String interfaceId, int addresses, int prefixes) throws CloudException {
        requireId(interfaceId);
        Ec2Rules.checkCount(addresses, prefixes);
        return mutate(Verb.ASSIGN, s -> {
            SimState.Eni e = eni(s, interfaceId);
            refuseExcluded(e, "assign to");
            Ec2Rules.checkSlots(limits, e.usedSlots(), addresses, prefixes, interfaceId);
            SimState.SimSubnet subnet = s.subnets.get(e.subnetId);
            BitSet used = s.used(subnet);
            List<Cidr> newPrefixes = SimState.takePrefixes(subnet, used, prefixes, PREFIX_LENGTH);
            List<Ipv4Address> newAddresses = SimState.takeAddresses(subnet, used, addresses);
            e.secondaries.addAll(newAddresses);
            e.prefixes.addAll(newPrefixes);
            return new Assignment(newAddresses, newPrefixes);
        });
    }

    @Override
    public void unassign(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes)
            throws CloudException {
        requireId(interfaceId);
        Set<Ipv4Address> goneAddresses = Set.copyOf(addresses);
        Set<Cidr> gonePrefixes = Set.copyOf(prefixes);
        mutate(Verb.UNASSIGN, s -> {
            SimState.Eni e = eni(s, interfaceId);
            refuseExcluded(e, "unassign from");
            Ec2Rules.refusePrimary(e, goneAddresses);
            e.secondaries.removeAll(goneAddresses);
            e.prefixes.removeAll(gonePrefixes);
            return null;
        });
    }

    @Override
    public List<NetworkInterface> findOrphanedInterfaces(Map<String, String> ownerTags) throws CloudException {
        Ec2Rules.requireOwnerTags(ownerTags);
        Map<String, String> wanted = Map.copyOf(ownerTags);
        return call(Verb.FIND_ORPHANS, () -> state.enis.values().stream()
                .filter(e -> !e.attached() && e.tags.entrySet().containsAll(wanted.entrySet()))
                .map(SimState.Eni::view).toList());
    }

    // ---------------------------------------------------------------- test and fault controls

    /** Makes the next {@code times} calls of {@code verb} fail with a fresh exception from {@code error} (after the token bucket and latency). */
    public synchronized void failNext(Verb verb, int times, Supplier<? extends CloudException> error) {
        Objects.requireNonNull(error, "error");
        for (int i = 0; i < times; i++) {
            faults.computeIfAbsent(verb, v -> new ArrayDeque<>()).add(error);
        }
    }

    /** Makes the next call of {@code verb} fail with {@code error}. */
    public void failNext(Verb verb, CloudException error) {
        failNext(verb, 1, () -> error);
    }

    /** Adds {@code extra} latency (a real sleep) to every later call of {@code verb}; zero removes it. */
    public synchronized void addLatency(Verb verb, Duration extra) {
        extraLatency.put(verb, extra);
    }

    /** Drops all pending faults, extra latencies and random faults. */
    public synchronized void clearFaults() {
        faultRate = 0;
        faults.clear();
        extraLatency.clear();
    }

    /** Calls of {@code verb} so far, failed and throttled ones included. */
    public synchronized long calls(Verb verb) {
        return calls[verb.ordinal()];
    }

    /** Calls of {@code verb} that threw a CloudException (throttled ones included). */
    public synchronized long failedCalls(Verb verb) {
        return failed[verb.ordinal()];
    }

    /** Calls of {@code verb} refused by the token bucket or failed with an injected Throttled. */
    public synchronized long throttledCalls(Verb verb) {
        return throttled[verb.ordinal()];
    }

    /** All calls of the mutating verbs so far (create, delete, assign, unassign), failed ones included. */
    public synchronized long mutatingCalls() {
        long n = 0;
        for (Verb v : Verb.values()) {
            n += v.mutating() ? calls[v.ordinal()] : 0;
        }
        return n;
    }

    /** Sets every counter back to zero. */
    public synchronized void resetCounters() {
        java.util.Arrays.fill(calls, 0);
        java.util.Arrays.fill(failed, 0);
        java.util.Arrays.fill(throttled, 0);
    }

    /** The node as describeNode would return it, without counting a call, paying a token or hitting a fault. */
    public synchronized NodeInfo peekNode() {
        return nodeInfo(state);
    }

    /** The instance's id. */
    public synchronized String instanceId() {
        return state.instanceId;
    }

    /** The id of the node's subnet (the one its primary interface is in). */
    public synchronized String nodeSubnetId() {
        return state.nodeSubnet().id;
    }

    /** Ids of all subnets, the node's first. */
    public synchronized List<String> subnetIds() {
        return List.copyOf(state.subnets.keySet());
    }

    /**
     * Every address the node's attached, usable interfaces hold for pods: secondaries and every member of every
     * prefix (primaries and excluded interfaces left out).
     */
    public synchronized SortedSet<Ipv4Address> heldAddresses() {
        SortedSet<Ipv4Address> held = new TreeSet<>();
        for (SimState.Eni e : state.enis.values()) {
            if (e.attached() && e.usable()) {
                held.addAll(e.secondaries);
                for (Cidr p : e.prefixes) {
                    for (long i = 0; i < p.size(); i++) {
                        held.add(p.address(i));
                    }
                }
            }
        }
        return held;
    }

    /** Free addresses left in {@code subnetId}. */
    public synchronized int freeAddresses(String subnetId) {
        SimState.SimSubnet s = subnet(state, subnetId);
        return s.size() - state.used(s).cardinality();
    }

    /** Lets other tenants take the {@code n} lowest free addresses of the node's subnet (all or none). */
    public synchronized void occupy(int n) throws CloudException {
        occupy(state.nodeSubnet().id, n);
    }

    /** Lets other tenants take the {@code n} lowest free addresses of {@code subnetId} (all or none). */
    public synchronized void occupy(String subnetId, int n) throws CloudException {
        change(s -> {
            SimState.SimSubnet subnet = subnet(s, subnetId);
            SimState.takeAddresses(subnet, s.used(subnet), n).forEach(a -> subnet.foreign.set(subnet.offset(a)));
        });
    }

    /** Lets other tenants take these addresses; each must be free and inside a subnet. */
    public synchronized void occupy(Ipv4Address... addresses) {
        change(s -> {
            for (Ipv4Address a : addresses) {
                SimState.SimSubnet subnet = s.subnets.values().stream().filter(x -> x.cidr.contains(a)).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException(a + " is in no subnet"));
                if (s.used(subnet).get(subnet.offset(a))) {
                    throw new IllegalArgumentException(a + " is not free");
                }
                subnet.foreign.set(subnet.offset(a));
            }
        });
    }

    /** Lets other tenants take all but {@code n} free addresses of the node's subnet (the highest n stay free). */
    public synchronized void leaveFree(int n) throws CloudException {
        int free = freeAddresses(state.nodeSubnet().id);
        if (n < 0 || n > free) {
            throw new IllegalArgumentException("cannot leave " + n + " free: only " + free + " are");
        }
        occupy(free - n);
    }

    /** Lets other tenants take one address in every free aligned /28 of the node's subnet, so no prefix fits. */
    public synchronized void fragment() {
        change(s -> {
            SimState.SimSubnet subnet = s.nodeSubnet();
            BitSet used = s.used(subnet);
            for (int start = 0; start + 16 <= subnet.size(); start += 16) {
                int next = used.nextSetBit(start);
                if (next < 0 || next >= start + 16) {
                    subnet.foreign.set(start + 15);
                }
            }
        });
    }

    /** Adds a subnet to the VPC; returns its id. */
    public synchronized String addSubnet(Cidr cidr) {
        String[] id = new String[1];
        change(s -> id[0] = addSubnet(s, cidr));
        return id[0];
    }

    /**
     * Creates an interface with {@code tags} that is attached to no instance, as a node that died between create and
     * attach (or detach and delete) leaves behind; returns its id.
     */
    public synchronized String leakInterface(String subnetId, Map<String, String> tags) throws CloudException {
        String[] id = new String[1];
        change(s -> {
            SimState.SimSubnet subnet = subnet(s, subnetId);
            SimState.Eni e = newEni(s, subnet.id);
            e.primary = SimState.takeAddresses(subnet, s.used(subnet), 1).getFirst();
            e.tags.putAll(tags);
            s.enis.put(e.id, e);
            id[0] = e.id;
        });
        return id[0];
    }

    /**
     * Attaches an interface someone else made (an operator, Multus, EFA, another CNI), at the lowest free device index
     * of {@code networkCard}, with {@code tags} and {@code secondaries} secondary addresses from {@code subnetId};
     * returns its id. Nothing checks the instance's limits: the point is to hand ipamd a node it did not shape.
     */
    public synchronized String attachForeignInterface(String subnetId, int networkCard, Map<String, String> tags,
                                                      int secondaries) throws CloudException {
        if (networkCard < 0) {
            throw new IllegalArgumentException("network card must be >= 0, got " + networkCard);
        }
        String[] id = new String[1];
        change(s -> {
            SimState.SimSubnet subnet = subnet(s, subnetId);
            SimState.Eni e = newEni(s, subnet.id);
            List<Ipv4Address> addresses = SimState.takeAddresses(subnet, s.used(subnet), 1 + secondaries);
            e.primary = addresses.getFirst();
            e.secondaries.addAll(addresses.subList(1, addresses.size()));
            e.tags.putAll(tags);
            e.networkCard = networkCard;
            Set<Integer> devices = new HashSet<>();
            s.enis.values().stream().filter(x -> x.attached() && x.networkCard == networkCard)
                    .forEach(x -> devices.add(x.deviceIndex));
            int index = networkCard == 0 ? 1 : 0;
            while (devices.contains(index)) {
                index++;
            }
            e.deviceIndex = index;
            s.enis.put(e.id, e);
            id[0] = e.id;
        });
        return id[0];
    }

    /** Sets (or, with a null value, removes) a tag on an interface, as an operator's CreateTags would. */
    public synchronized void tag(String interfaceId, String key, String value) {
        change(s -> {
            SimState.Eni e = eni(s, interfaceId);
            if (value == null) {
                e.tags.remove(key);
            } else {
                e.tags.put(key, value);
            }
        });
    }

    /** The state file, if the sim keeps one. */
    public Optional<Path> stateFile() {
        return Optional.ofNullable(stateFile).map(StateFile::path);
    }

    // ---------------------------------------------------------------- machinery

    /** An operation on the current state; runs under the monitor. */
    private interface Op<T> {
        T run() throws CloudException;
    }

    /** A change to a copy of the state; runs under the monitor. */
    private interface Change<T> {
        T apply(SimState copy) throws CloudException;
    }

    /** A test control's change to a copy of the state. */
    private interface Edit {
        void apply(SimState copy) throws CloudException;
    }

    private <T> T mutate(Verb verb, Change<T> change) throws CloudException {
        return call(verb, () -> {
            SimState copy = state.copy();
            T result = change.apply(copy);
            try {
                persist(copy);
            } catch (UncheckedIOException e) {
                throw new CloudException.Fatal("StateFileWriteFailed", e.getMessage(), e);
            }
            state = copy;
            plug();
            return result;
        });
    }

    /** Applies a test control's edit all-or-nothing; CloudExceptions escape through a sneaky rethrow. */
    private void change(Edit edit) {
        SimState copy = state.copy();
        try {
            edit.apply(copy);
        } catch (CloudException e) {
            throw sneaky(e);
        }
        persist(copy);
        state = copy;
        plug();
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
        throw (E) e;
    }

    private void persist(SimState s) {
        if (stateFile != null) {
            stateFile.store(s);
        }
    }

    private <T> T call(Verb verb, Op<T> op) throws CloudException {
        Instant start = clock.instant();
        String condition = null;
        try {
            Supplier<? extends CloudException> fault;
            Fault random;
            Duration sleep;
            synchronized (this) {
                calls[verb.ordinal()]++;
                if (bucket != null) {
                    Duration wait = bucket.tryTake(clock.instant());
                    if (!wait.isZero()) {
                        throw new CloudException.Throttled("RequestLimitExceeded",
                                "Request limit exceeded (" + verb.ec2Name() + "); next token in " + wait, wait);
                    }
                }
                Deque<Supplier<? extends CloudException>> pending = faults.get(verb);
                fault = pending == null ? null : pending.poll();
                random = fault == null ? rollFault() : null;
                sleep = (verb.mutating() ? latency : Duration.ZERO).plus(extraLatency.getOrDefault(verb, Duration.ZERO));
            }
            sleep(sleep);
            if (fault != null) {
                throw fault.get();
            }
            if (random == Fault.THROTTLED) {
                throw new CloudException.Throttled("RequestLimitExceeded", "Request limit exceeded ("
                        + verb.ec2Name() + "; injected fault, not applied)", INJECTED_RETRY_AFTER);
            }
            if (random == Fault.FAILED) {
                throw new CloudException.Fatal("InternalError", verb.ec2Name() + ": an internal error has occurred"
                        + " (injected fault, not applied)", null, true);
            }
            T result;
            synchronized (this) {
                answerLost = random == Fault.LOST;
                try {
                    result = op.run();
                } finally {
                    answerLost = false;
                }
            }
            if (random == Fault.LOST) {
                throw new CloudException.Fatal("RequestTimeout", verb.ec2Name() + ": no answer in time (injected"
                        + " fault; the call was applied)", null, true);
            }
            return result;
        } catch (CloudException e) {
            condition = e.condition();
            synchronized (this) {
                failed[verb.ordinal()]++;
                if (e instanceof CloudException.Throttled) {
                    throttled[verb.ordinal()]++;
                }
            }
            if (e instanceof CloudException.Throttled) {
                listener.onThrottle(verb.ec2Name());
            }
            throw e;
        } finally {
            listener.onCall(verb.ec2Name(), Duration.between(start, clock.instant()), condition);
        }
    }

    /** Decides, under the monitor, whether this call gets a random fault and which. */
    private Fault rollFault() {
        Instant now = clock.instant();
        if (faultRate <= 0 || now.isBefore(faultsFrom) || !now.isBefore(faultsUntil)) {
            return null;
        }
        if (faultDice.nextDouble() >= faultRate) {
            return null;
        }
        return faultKinds.get(faultDice.nextInt(faultKinds.size()));
    }

    private static void sleep(Duration d) throws CloudException {
        if (d.isZero() || d.isNegative()) {
            return;
        }
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudException.Fatal("RequestCanceled", "interrupted while waiting for the simulated cloud", e,
                    true);
        }
    }

    private NodeInfo nodeInfo(SimState s) {
        List<NetworkInterface> attached = s.enis.values().stream().filter(SimState.Eni::attached)
                .map(SimState.Eni::view).toList();
        Set<String> subnetIds = new LinkedHashSet<>();
        subnetIds.add(s.nodeSubnet().id);
        attached.forEach(i -> subnetIds.add(i.subnetId()));
        List<Subnet> subnets = subnetIds.stream().map(s.subnets::get)
                .map(x -> new Subnet(x.id, x.cidr, x.zone, x.cidr.address(1))).toList();
        return new NodeInfo(s.instanceId, s.instanceType, s.zone, limits, attached, subnets, List.of(s.vpc));
    }

    /**
     * ipamd never names an excluded interface in a mutating call (SPI); the sim refuses it loudly, so a bug that
     * does shows up in every test instead of quietly taking an operator's interface.
     */
    private static void refuseExcluded(SimState.Eni e, String what) throws CloudException {
        if (!e.usable()) {
            throw new CloudException.Fatal("OperationNotPermitted", "refusing to " + what + " " + e.id + ": "
                    + e.view().exclusion().label() + " (never managed by ipamd)", null);
        }
    }

    private static void requireId(String interfaceId) {
        if (interfaceId == null || interfaceId.isBlank()) {
            throw new IllegalArgumentException("interface id is missing");
        }
    }

    private static SimState.Eni eni(SimState s, String id) throws CloudException {
        return Ec2Rules.interfaceOf(s.enis, id);
    }

    private static SimState.SimSubnet subnet(SimState s, String id) {
        SimState.SimSubnet subnet = s.subnets.get(id);
        if (subnet == null) {
            throw new IllegalArgumentException("unknown subnet " + id);
        }
        return subnet;
    }

    /** Configures a {@link SimulatedCloud}; every setting has an EC2-like default. */
    public static final class Builder extends AccountBuilder<Builder> {
        private String instanceType = "c5.4xlarge";
        private String instanceId;
        private Cidr subnet = Cidr.parse("10.0.0.0/20");
        private final List<Cidr> extraSubnets = new ArrayList<>();
        private Path stateFile;
        private CloudCallListener listener = CloudCallListener.NOOP;
        private double faultRate;
        private List<Fault> faultKinds = List.of(Fault.values());
        private Duration faultDelay = Duration.ZERO;
        private Duration faultWindow;
        private long faultSeed = new java.util.Random().nextLong();
        private String plugNetns;
        private String fabricNetns;

        private Builder() {
            super(Cidr.parse("10.0.0.0/16"));
        }

        /**
         * Random faults: each SPI call (describes included) gets one of {@code kinds}, chosen evenly, with probability
         * {@code rate}, from {@code delay} after the sim's creation for {@code window} (null = for the rest of its
         * life); {@code seed} makes the sequence repeatable. Test controls never get one.
         */
        public Builder randomFaults(double rate, java.util.Set<Fault> kinds, Duration delay, Duration window,
                                    long seed) {
            if (!(rate >= 0 && rate <= 1)) {
                throw new IllegalArgumentException("fault rate must be between 0 and 1, got " + rate);
            }
            if (kinds == null || kinds.isEmpty()) {
                throw new IllegalArgumentException("fault kinds are missing");
            }
            if (window != null && window.isNegative() || delay == null || delay.isNegative()) {
                throw new IllegalArgumentException("fault delay and window must be >= 0, got " + delay + ", " + window);
            }
            this.faultDelay = delay;
            this.faultRate = rate;
            this.faultKinds = java.util.EnumSet.copyOf(kinds).stream().toList();
            this.faultWindow = window;
            this.faultSeed = seed;
            return this;
        }

        /** EC2 instance type; sets the limits. Unknown types are refused. */
        public Builder instanceType(String type) {
            InstanceTypes.limits(type);
            this.instanceType = type;
            return this;
        }

        /** Instance id (default {@code i-0sim...}). */
        public Builder instanceId(String id) {
            this.instanceId = token(id, "instance id");
            return this;
        }

        /** Availability zone (default us-east-1a). */
        public Builder zone(String zone) {
            this.zone = token(zone, "zone");
            return this;
        }

        /** The node's subnet (default 10.0.0.0/20). */
        public Builder subnet(Cidr subnet) {
            this.subnet = Objects.requireNonNull(subnet, "subnet");
            return this;
        }

        /** One more subnet in the VPC (for interfaces in other subnets). */
        public Builder extraSubnet(Cidr subnet) {
            this.extraSubnets.add(Objects.requireNonNull(subnet, "subnet"));
            return this;
        }

        /** The file the whole cloud is kept in, loaded if it exists; null (the default) keeps it in memory only. */
        public Builder stateFile(Path file) {
            this.stateFile = file;
            return this;
        }

        /**
         * Plugs every attached interface into the real kernel as a hypervisor would: a veth whose end with the
         * interface's MAC goes into {@code nodeNetns} (null: this process's namespace) and whose other end is a port
         * of the VPC fabric namespace {@code fabricNetns}, which delivers the interface's addresses to it (see
         * {@link Hypervisor}). Both namespaces must exist. Default: nothing is plugged.
         */
        public Builder plug(String nodeNetns, String fabricNetns) {
            this.plugNetns = nodeNetns;
            this.fabricNetns = token(fabricNetns, "fabric netns");
            return this;
        }

        /** Metrics hooks (default none). */
        public Builder listener(CloudCallListener listener) {
            this.listener = listener == null ? CloudCallListener.NOOP : listener;
            return this;
        }

        /** Creates the sim, or loads it from the state file. */
        public SimulatedCloud build() {
            checkAccount();
            return new SimulatedCloud(this);
        }

        private static String token(String value, String what) {
            if (value == null || value.isBlank() || value.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException(what + " must be non-blank without spaces, got '" + value + "'");
            }
            return value;
        }
    }
}
