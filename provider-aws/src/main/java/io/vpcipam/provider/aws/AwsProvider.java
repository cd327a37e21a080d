package io.vpcipam.provider.aws;

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
import io.vpcipam.provider.OwnerTags;
import io.vpcipam.provider.Subnet;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * The AWS provider: the SPI's verbs as EC2 calls through the {@link Ec2} seam, every call under the {@link Guard}.
 *
 * <p>Design notes.
 * <ul>
 *   <li>EC2 is the truth: assign works out what is new by describing the ENI before and after, and keeps only
 *       what the call's answer names (EC2's describe is eventually consistent, so the diff alone can take an address
 *       a stale "before" missed for a new one; moto's answer lists every address, AWS's only the new ones, so the
 *       intersection suits both); delete describes the
 *       ENI before detaching it, and refuses the primary ENI and ENIs attached to another instance.</li>
 *   <li>Mutations are serialised by one lock: two creates must not pick the same free device index (moto silently
 *       overwrites the attachment, AWS rejects the second), and a before/after diff must not see another thread's
 *       addresses. ipamd makes one mutating call at a time anyway, so the lock costs nothing.</li>
 *   <li>Reads that cannot change are cached: the instance (type, zone, VPC, subnet), subnets' CIDRs and the type's
 *       limits; the VPC's blocks are re-read every 10 minutes (a secondary CIDR can be added). Once warm, a
 *       describeNode is one DescribeNetworkInterfaces call.</li>
 *   <li>Undo partial work: a created ENI whose attach (or DeleteOnTermination) fails is deleted before the error
 *       is thrown, so a failed create leaks nothing the leaked-ENI collector must find.</li>
 * </ul>
 */
final class AwsProvider implements CloudProvider {

    /** aws-node's tag naming the instance that created an ENI (written, never read: ownership is vpc-ipam.io/*). */
    static final String AWS_NODE_INSTANCE_ID_TAG = "node.k8s.amazonaws.com/instance_id";
    /** The tag (any value) that offers a subnet to subnet discovery, as aws-node reads it. */
    static final String CNI_SUBNET_TAG = "kubernetes.io/role/cni";
    /** aws-node's cluster tag (CLUSTER_NAME), written beside vpc-ipam.io/cluster. */
    static final String AWS_NODE_CLUSTER_TAG = "cluster.k8s.amazonaws.com/name";

    private static final Logger LOG = Logger.getLogger(AwsProvider.class.getName());
    /** EC2's delegated prefix length. */
    static final int PREFIX_LENGTH = 28;
    /** Most secondary addresses an ENI can hold on any type (50 per ENI, the primary included). */
    static final int MAX_PER_CALL = 49;
    private static final Duration VPC_REFRESH = Duration.ofMinutes(10);

    private final Ec2 ec2;
    private final Guard guard;
    private final String instanceId;
    private final AwsSettings settings;
    private final InstantSource clock;
    private final Capabilities capabilities;
    private final ReentrantLock mutation = new ReentrantLock();
    private final Map<String, Subnet> subnets = new ConcurrentHashMap<>();
    private final Map<String, Limits> limits = new ConcurrentHashMap<>();
    private volatile Ec2.Instance instance;
    private volatile List<Cidr> vpcCidrs;
    private volatile Instant vpcReadAt = Instant.MIN;

    AwsProvider(Ec2 ec2, Guard guard, String instanceId, AwsSettings settings, InstantSource clock) {
        this.ec2 = ec2;
        this.guard = guard;
        this.instanceId = instanceId;
        this.settings = settings;
        this.clock = clock;
        this.capabilities = new Capabilities(true, settings.prefixDelegation(), PREFIX_LENGTH, MAX_PER_CALL);
    }

    @Override
    public String name() {
        return "aws";
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public NodeInfo describeNode() throws CloudException {
        Ec2.Instance self = instance();
        List<Ec2.Eni> enis = guard.call("DescribeNetworkInterfaces", () -> ec2.enisOfInstance(instanceId));
        List<NetworkInterface> interfaces = new ArrayList<>();
        Set<String> subnetIds = new LinkedHashSet<>();
        subnetIds.add(self.subnetId());
        for (Ec2.Eni e : enis) {
            if (attachedHere(e)) {
                interfaces.add(toInterface(e, e.attachment().deviceIndex()));  // excluded ones too: they hold indexes
                subnetIds.add(e.subnetId());
            }
        }
        return new NodeInfo(instanceId, self.type(), self.zone(), limits(self.type()), interfaces,
                subnets(subnetIds), vpcCidrs(self.vpcId()));
    }

    @Override
    public NetworkInterface createInterface(InterfaceSpec spec) throws CloudException {
        if (spec.addresses() + spec.prefixes() > MAX_PER_CALL) {
            throw new IllegalArgumentException("at most " + MAX_PER_CALL + " addresses and prefixes per interface, asked "
                    + spec.addresses() + " + " + spec.prefixes());
        }
        if (spec.prefixes() > 0 && !capabilities.prefixDelegation()) {
            throw new IllegalArgumentException("prefixes asked of a provider without prefix delegation");
        }
        mutation.lock();
        try {
            Ec2.Instance self = instance();
            // card 0's: the pool's ENIs go there, and device indexes are numbered per card
            List<Ec2.Eni> attached = guard.call("DescribeNetworkInterfaces", () -> ec2.enisOfInstance(instanceId))
                    .stream().filter(this::attachedHere).filter(e -> e.attachment().networkCard() == 0).toList();
            Limits max = limits(self.type());
            int index = lowestFreeIndex(attached);
            if (attached.size() >= max.maxInterfaces()) {
                // checked here as well as by EC2: saves a create that could only be undone (and moto checks nothing)
                throw new CloudException.CapacityExhausted("AttachmentLimitExceeded", "instance " + instanceId + " ("
                        + self.type() + ") has all " + max.maxInterfaces() + " interfaces it may",
                        CloudException.CapacityExhausted.Scope.INSTANCE_INTERFACES);
            }
            List<String> groups = spec.securityGroups();
            if (groups.isEmpty()) {
                groups = attached.stream().filter(e -> e.attachment().deviceIndex() == 0).findFirst()
                        .map(Ec2.Eni::groups).orElse(List.of());
            }
            Map<String, String> tags = new LinkedHashMap<>(spec.tags());
            tags.putIfAbsent(OwnerTags.INSTANCE_ID, instanceId);
            tags.putIfAbsent(OwnerTags.CREATED_AT, clock.instant().toString());
            // aws-node's own keys as well, so IAM conditions and cost reports written for aws-node keep matching
            tags.putIfAbsent(AWS_NODE_INSTANCE_ID_TAG, instanceId);
            if (tags.containsKey(OwnerTags.CLUSTER)) {
                tags.putIfAbsent(AWS_NODE_CLUSTER_TAG, tags.get(OwnerTags.CLUSTER));
            }
            String description = spec.description().isEmpty() ? "vpc-ipam " + instanceId : spec.description();
            // EC2 takes an address count or a prefix count on create, not both: prefixes then follow after attach
            boolean both = spec.addresses() > 0 && spec.prefixes() > 0;
            List<String> finalGroups = groups;
            // one token for every attempt: a retry after a lost answer gets the ENI the first attempt made
            // instead of a second one that nobody attaches (a leak until the collector's grace period ends)
            String token = UUID.randomUUID().toString();
            Ec2.SubnetInfo target = placement(self, spec.subnetId());
            int free = target.available();
            if (spec.prefixes() == 0 && free >= 0 && free < spec.addresses() + 1) {
                throw new CloudException.CapacityExhausted("InsufficientFreeAddressesInSubnet", "subnet "
                        + target.id() + " has " + free + " free addresses (AvailableIpAddressCount); a new interface"
                        + " with " + spec.addresses() + " secondary addresses needs " + (spec.addresses() + 1),
                        CloudException.CapacityExhausted.Scope.SUBNET, free);
            }
            Ec2.Eni made;
            try {
                made = guard.call("CreateNetworkInterface", () -> ec2.createEni(token, target.id(),
                        finalGroups, spec.addresses(), both ? 0 : spec.prefixes(), tags, description));
            } catch (CloudException.CapacityExhausted e) {
                throw withSubnetFree(e, target.id());
            }
            try {
                String attachment = guard.call("AttachNetworkInterface", () -> ec2.attach(made.id(), instanceId, index));
                guard.run("ModifyNetworkInterfaceAttribute", () -> ec2.deleteOnTermination(made.id(), attachment));
                if (both) {
                    guard.run("AssignPrivateIpAddresses", () -> ec2.assignPrefixes(made.id(), spec.prefixes()));
                    return toInterface(guard.call("DescribeNetworkInterfaces", () -> ec2.eni(made.id())), index);
                }
            } catch (CloudException e) {
                undoCreate(made.id(), e);
                throw e;
            }
            if (!both && spec.prefixes() > 0 && made.prefixes().size() < spec.prefixes()) {
                CloudException e = prefixesIgnored(made.id(), spec.prefixes(), made.prefixes().size());
                undoCreate(made.id(), e);
                throw e;
            }
            return toInterface(made, index);
        } finally {
            mutation.unlock();
        }
    }

    /**
     * Refuses, before EC2 is asked, a growth the subnet cannot hold: EC2 would refuse it whole
     * (InsufficientFreeAddressesInSubnet) and ipamd would get nothing, where the subnet's last addresses could still
     * serve pods. The refusal carries what the subnet has, so the reconciler asks for that instead (issue 13.10); it
     * also keeps emulators that never run out (moto) honest. One DescribeSubnets per growth call, never on an idle
     * node; EC2's count can lag, so a refusal from EC2 itself is answered the same way ({@link #withSubnetFree}).
     */
    private void fitsSubnet(String subnetId, int addresses, String what) throws CloudException {
        int free = subnetFree(subnetId);
        if (free >= 0 && free < addresses) {
            throw new CloudException.CapacityExhausted("InsufficientFreeAddressesInSubnet", "subnet " + subnetId
                    + " has " + free + " free addresses (AvailableIpAddressCount); " + what + " needs " + addresses,
                    CloudException.CapacityExhausted.Scope.SUBNET, free);
        }
    }

    /**
     * The subnet a new ENI goes to, with its free count read now (one DescribeSubnets). {@code asked} as ipamd chose
     * it (IPAMD_POD_SUBNET, the node's NetworkConfig, or the primary ENI's subnet); with subnet discovery on and
     * {@code asked} the primary's subnet (ipamd's default), aws-node's choice instead: the subnet with the most free
     * addresses among the primary's and those of the node's VPC and zone tagged {@value #CNI_SUBNET_TAG} (the
     * primary's on a tie). An explicit choice is never overridden, as aws-node's custom networking is not.
     */
    private Ec2.SubnetInfo placement(Ec2.Instance self, String asked) throws CloudException {
        if (!settings.subnetDiscovery() || !asked.equals(self.subnetId())) {
            List<Ec2.SubnetInfo> found = guard.call("DescribeSubnets", () -> ec2.subnets(List.of(asked)));
            return found.isEmpty() ? new Ec2.SubnetInfo(asked, null, "", "", -1, Map.of()) : found.getFirst();
        }
        List<Ec2.SubnetInfo> zone = guard.call("DescribeSubnets", () -> ec2.subnetsInZone(self.vpcId(), self.zone()));
        Ec2.SubnetInfo best = null;
        for (Ec2.SubnetInfo s : zone) {
            if (s.id().equals(asked)) {
                best = s;
            }
        }
        for (Ec2.SubnetInfo s : zone) {
            if (s.tags().containsKey(CNI_SUBNET_TAG) && !s.id().equals(asked)
                    && (best == null || s.available() > best.available())) {
                best = s;
            }
        }
        if (best == null) {
            return new Ec2.SubnetInfo(asked, null, "", "", -1, Map.of());
        }
        if (!best.id().equals(asked)) {
            LOG.info("subnet discovery: new interface in " + best.id() + " (" + best.available() + " free, tagged "
                    + CNI_SUBNET_TAG + ") rather than the primary's " + asked);
        }
        return best;
    }

    /** The subnet's free addresses now (DescribeSubnets AvailableIpAddressCount), -1 when EC2 does not say. */
    private int subnetFree(String subnetId) throws CloudException {
        List<Ec2.SubnetInfo> found = guard.call("DescribeSubnets", () -> ec2.subnets(List.of(subnetId)));
        return found.isEmpty() ? -1 : found.getFirst().available();
    }

    /** EC2's own subnet refusal, with what the subnet has (read now) when EC2's answer did not say. */
    private CloudException withSubnetFree(CloudException.CapacityExhausted e, String subnetId) {
        if (e.scope() != CloudException.CapacityExhausted.Scope.SUBNET || e.available() >= 0
                || !"InsufficientFreeAddressesInSubnet".equals(e.code())) {
            return e; // InsufficientCidrBlocks: free addresses do not say whether an aligned /28 is free
        }
        try {
            int free = subnetFree(subnetId);
            return free < 0 ? e : new CloudException.CapacityExhausted(e.code(), e.getMessage() + " (the subnet has "
                    + free + " free)", e.scope(), free);
        } catch (CloudException readFailed) {
            e.addSuppressed(readFailed);
            return e;
        }
    }

    private void undoCreate(String eniId, CloudException cause) {
        try {
            detachAndDelete(eniId);
            LOG.info("deleted " + eniId + " after its set-up failed: " + cause.getMessage());
        } catch (CloudException e) {
            cause.addSuppressed(e);
            LOG.warning("could not delete " + eniId + " after its set-up failed (" + e.getMessage()
                    + "); the leaked-interface collector will find it by its tags");
        }
    }

    @Override
    public void deleteInterface(String interfaceId) throws CloudException {
        mutation.lock();
        try {
            detachAndDelete(interfaceId);
        } finally {
            mutation.unlock();
        }
    }

    /** Detach (if attached), wait until EC2 reports it available, delete; retried while EC2 says it is in use. */
    private void detachAndDelete(String eniId) throws CloudException {
        Ec2.Eni eni = guard.call("DescribeNetworkInterfaces", () -> ec2.eni(eniId));
        Ec2.Attachment att = eni.attachment();
        refuseExcluded(eni, "delete");
        if (att != null) {
            if (att.deviceIndex() == 0 && att.networkCard() == 0) {
                throw new CloudException.Fatal("OperationNotPermitted", eniId + " is the primary interface of "
                        + att.instanceId() + "; it is never deleted", null);
            }
            if (!instanceId.equals(att.instanceId())) {
                throw new CloudException.Conflict("InvalidNetworkInterface.InUse", eniId + " is attached to "
                        + att.instanceId() + ", not to this node " + instanceId);
            }
            try {
                guard.run("DetachNetworkInterface", () -> ec2.detach(att.attachmentId()));
            } catch (CloudException.NotFound e) {
                // detached meanwhile (InvalidAttachmentID.NotFound): nothing to wait for
            }
        }
        try {
            deleteDetached(eniId, att != null);
        } catch (CloudException.Throttled e) {
            if (att == null) {
                throw e;
            }
            throw partlyApplied(e, "the detach of " + eniId);
        }
    }

    /** The delete half of {@link #detachAndDelete}: waits for a detach to finish when there was one. */
    private void deleteDetached(String eniId, boolean wasAttached) throws CloudException {
        long deadline = System.nanoTime() + settings.detachTimeout().toNanos();
        long pause = 100;
        while (true) {
            try {
                if (wasAttached) {
                    Ec2.Eni now = guard.call("DescribeNetworkInterfaces", () -> ec2.eni(eniId));
                    if (now.attachment() != null && !"available".equals(now.status())) {
                        throw new CloudException.Conflict("IncorrectState", eniId + " is still "
                                + now.attachment().status() + " to " + now.attachment().instanceId());
                    }
                }
                guard.run("DeleteNetworkInterface", () -> ec2.deleteEni(eniId));
                return;
            } catch (CloudException.NotFound e) {
                return; // gone already: what we wanted
            } catch (CloudException.Conflict e) {
                if (System.nanoTime() + pause * 1_000_000 > deadline) {
                    throw new CloudException.Conflict(e.code(), eniId + " could not be deleted within "
                            + settings.detachTimeout() + ": " + e.getMessage());
                }
                sleep(pause);
                pause = Math.min(2_000, pause * 2);
            }
        }
    }

    @Override
    public Assignment assign(String interfaceId, int addresses, int prefixes) throws CloudException {
        if (addresses < 0 || prefixes < 0 || addresses + prefixes > MAX_PER_CALL) {
            throw new IllegalArgumentException("addresses and prefixes must be >= 0 and at most " + MAX_PER_CALL
                    + " together, got " + addresses + ", " + prefixes);
        }
        if (prefixes > 0 && !capabilities.prefixDelegation()) {
            throw new IllegalArgumentException("prefixes asked of a provider without prefix delegation");
        }
        mutation.lock();
        try {
            Ec2.Eni before = guard.call("DescribeNetworkInterfaces", () -> ec2.eni(interfaceId));
            refuseExcluded(before, "assign to");
            if (addresses == 0 && prefixes == 0) {
                return new Assignment(List.of(), List.of());
            }
            // Two sources, each wrong alone. The diff of two describes: EC2's reads are eventually consistent, so a
            // stale "before" that misses an address the ENI still holds makes that address look new. The answer:
            // AWS names only what this call assigned, but a try whose answer was lost added addresses no answer
            // names, and moto names every address of the ENI. So a clean call reports (after - before) intersected
            // with what its answer names; a call that failed, or succeeded only on a retry, may have been applied
            // unseen, and reports everything new in a fresh describe, so the node never holds addresses ipamd was
            // not told of. Only when nothing is new is a failure thrown.
            List<Cidr> newPrefixes = List.of();
            if (prefixes > 0) {
                Outcome<Cidr> o = attempt(() -> ec2.assignPrefixes(interfaceId, prefixes));
                Ec2.Eni after = describeAfter(interfaceId, o.failed());
                newPrefixes = o.newOf(before.prefixes(), after.prefixes());
                if (o.failed() != null) {
                    if (newPrefixes.isEmpty()) {
                        throw o.failed();
                    }
                    return new Assignment(List.of(), newPrefixes);
                }
                if (newPrefixes.isEmpty()) {
                    // before any address is added, so a refusal here leaves the ENI as it was
                    throw prefixesIgnored(interfaceId, prefixes, 0);
                }
            }
            List<Ipv4Address> newAddresses = List.of();
            if (addresses > 0) {
                if (newPrefixes.isEmpty()) { // after prefixes were added, the addresses are asked for regardless
                    fitsSubnet(before.subnetId(), addresses, addresses + " more addresses on " + interfaceId);
                }
                Outcome<Ipv4Address> o = attempt(() -> ec2.assignAddresses(interfaceId, addresses));
                Ec2.Eni after = describeAfter(interfaceId, o.failed());
                newAddresses = o.newOf(before.secondaries(), after.secondaries());
                if (o.failed() != null && newAddresses.isEmpty() && newPrefixes.isEmpty()) {
                    throw o.failed() instanceof CloudException.CapacityExhausted c
                            ? withSubnetFree(c, before.subnetId()) : o.failed();
                }
            }
            return new Assignment(newAddresses, newPrefixes);
        } finally {
            mutation.unlock();
        }
    }

    /**
     * One AssignPrivateIpAddresses through the guard: what its last answer named, how many tries reached EC2, and
     * the failure it finally ended in (null when it succeeded).
     */
    private record Outcome<T>(List<T> named, int tries, CloudException failed) {

        /** Whether only the answer's names may be trusted: one try, and it succeeded. */
        boolean clean() {
            return failed == null && tries == 1;
        }

        /** What is new on the ENI: after minus before, and, for a clean call, only what the answer names. */
        List<T> newOf(List<T> before, List<T> after) {
            Set<T> old = new HashSet<>(before);
            Set<T> named = new HashSet<>(this.named);
            return after.stream().filter(x -> !old.contains(x) && (!clean() || named.contains(x))).toList();
        }
    }

    /** Runs an assign call; its failure is returned in the outcome, not thrown. */
    private <T> Outcome<T> attempt(java.util.function.Supplier<List<T>> call) {
        java.util.concurrent.atomic.AtomicInteger tries = new java.util.concurrent.atomic.AtomicInteger();
        try {
            List<T> named = guard.call("AssignPrivateIpAddresses", () -> {
                tries.incrementAndGet();
                return call.get();
            });
            return new Outcome<>(named, tries.get(), null);
        } catch (CloudException e) {
            return new Outcome<>(List.of(), tries.get(), e);
        }
    }

    /** The ENI after an assign; if it cannot be read after a failed assign, that failure is what is thrown. */
    private Ec2.Eni describeAfter(String interfaceId, CloudException failed) throws CloudException {
        try {
            return guard.call("DescribeNetworkInterfaces", () -> ec2.eni(interfaceId));
        } catch (CloudException e) {
            if (failed == null) {
                throw e;
            }
            failed.addSuppressed(e);
            throw failed;
        }
    }

    /**
     * The SPI's {@link CloudException.Throttled} promises that nothing of the verb was applied; once part of it was
     * (a detach, an earlier chunk), a later throttle leaves the node's state in doubt, which only a describe settles.
     */
    private static CloudException partlyApplied(CloudException.Throttled e, String done) {
        return new CloudException.Fatal(e.code(), e.getMessage() + " (after " + done + " was applied)", e, true);
    }

    private CloudException prefixesIgnored(String eniId, int asked, int got) {
        return new CloudException.Fatal("PrefixNotAssigned", "EC2 accepted Ipv4PrefixCount=" + asked + " for "
                + eniId + " but the interface shows " + got + " new prefixes; this endpoint does not implement prefix"
                + " delegation (moto ignores it): set " + AwsSettings.PREFIX_DELEGATION + "=false", null);
    }

    @Override
    public void unassign(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes)
            throws CloudException {
        mutation.lock();
        try {
            Ec2.Eni eni = guard.call("DescribeNetworkInterfaces", () -> ec2.eni(interfaceId));
            refuseExcluded(eni, "unassign from");
            // only what the ENI holds: EC2 rejects the whole call for one address it does not hold
            Set<Ipv4Address> held = new HashSet<>(eni.secondaries());
            List<Ipv4Address> drop = addresses.stream().distinct().filter(held::contains).toList();
            List<Cidr> dropPrefixes = prefixes.stream().distinct().filter(eni.prefixes()::contains).toList();
            int applied = 0;
            try {
                for (int i = 0; i < drop.size(); i += MAX_PER_CALL) {
                    List<Ipv4Address> chunk = drop.subList(i, Math.min(drop.size(), i + MAX_PER_CALL));
                    guard.run("UnassignPrivateIpAddresses", () -> ec2.unassign(interfaceId, chunk, List.of()));
                    applied++;
                }
                for (int i = 0; i < dropPrefixes.size(); i += MAX_PER_CALL) {
                    List<Cidr> chunk = dropPrefixes.subList(i, Math.min(dropPrefixes.size(), i + MAX_PER_CALL));
                    guard.run("UnassignPrivateIpAddresses", () -> ec2.unassign(interfaceId, List.of(), chunk));
                    applied++;
                }
            } catch (CloudException.Throttled e) {
                if (applied == 0) {
                    throw e;
                }
                throw partlyApplied(e, applied + " earlier UnassignPrivateIpAddresses of " + interfaceId);
            }
        } finally {
            mutation.unlock();
        }
    }

    @Override
    public List<NetworkInterface> findOrphanedInterfaces(Map<String, String> ownerTags) throws CloudException {
        if (ownerTags.isEmpty()) {
            // without an owner every available ENI in the account would match: never collect what is not ours
            throw new IllegalArgumentException("owner tags are required to find orphaned interfaces");
        }
        return guard.call("DescribeNetworkInterfaces", () -> ec2.availableEnis(ownerTags)).stream()
                .filter(e -> e.attachment() == null && "available".equals(e.status()))
                .filter(e -> e.tags().entrySet().containsAll(ownerTags.entrySet()))
                .limit(settings.maxOrphans())
                .map(e -> toInterface(e, NetworkInterface.DETACHED))
                .toList();
    }

    @Override
    public void close() {
        ec2.close();
    }

    /** The node's instance id. */
    String instanceId() {
        return instanceId;
    }

    // ---------------------------------------------------------------- reads

    private Ec2.Instance instance() throws CloudException {
        Ec2.Instance i = instance;
        if (i == null) {
            i = guard.call("DescribeInstances", () -> ec2.describeInstance(instanceId));
            instance = i;
        }
        return i;
    }

    /** DescribeInstanceTypes once per type; the built-in table when EC2 cannot say. */
    Limits limits(String type) throws CloudException {
        Limits cached = limits.get(type);
        if (cached != null) {
            return cached;
        }
        Optional<Limits> fromEc2;
        try {
            fromEc2 = guard.call("DescribeInstanceTypes", () -> ec2.instanceTypeLimits(type));
        } catch (CloudException e) {
            Optional<Limits> table = InstanceLimits.builtIn(type);
            if (table.isEmpty()) {
                if (e instanceof CloudException.Throttled) {
                    throw e; // worth asking again soon
                }
                throw new CloudException.Fatal(e.code(), "no limits for instance type '" + type
                        + "': DescribeInstanceTypes failed (" + e.getMessage() + ") and the built-in table lacks it",
                        e, e.retryable());
            }
            LOG.warning("DescribeInstanceTypes failed for " + type + " (" + e.getMessage()
                    + "); using the built-in table: " + table.get());
            return table.get(); // not cached: EC2 is asked again next time
        }
        Limits found = fromEc2.or(() -> InstanceLimits.builtIn(type)).orElseThrow(() -> new CloudException.Fatal(
                "InvalidInstanceType", "EC2 knows no limits for instance type '" + type
                        + "' and the built-in table has none", null));
        limits.put(type, found);
        return found;
    }

    private List<Subnet> subnets(Set<String> ids) throws CloudException {
        List<String> missing = ids.stream().filter(id -> !subnets.containsKey(id)).toList();
        if (!missing.isEmpty()) {
            for (Ec2.SubnetInfo s : guard.call("DescribeSubnets", () -> ec2.subnets(missing))) {
                subnets.put(s.id(), new Subnet(s.id(), s.cidr(), s.zone(), null));
            }
        }
        List<Subnet> out = new ArrayList<>();
        for (String id : ids) {
            Subnet s = subnets.get(id);
            if (s == null) {
                throw new CloudException.NotFound("InvalidSubnetID.NotFound", "DescribeSubnets: no subnet " + id);
            }
            out.add(s);
        }
        return out;
    }

    private List<Cidr> vpcCidrs(String vpcId) throws CloudException {
        Instant now = clock.instant();
        List<Cidr> cached = vpcCidrs;
        if (cached == null || !now.isBefore(vpcReadAt.plus(VPC_REFRESH))) {
            cached = guard.call("DescribeVpcs", () -> ec2.vpcCidrs(vpcId));
            vpcCidrs = cached;
            vpcReadAt = now;
        }
        return cached;
    }

    // ---------------------------------------------------------------- helpers

    private boolean attachedHere(Ec2.Eni e) {
        Ec2.Attachment a = e.attachment();
        return a != null && instanceId.equals(a.instanceId()) && a.deviceIndex() >= 0
                && !"detaching".equals(a.status()) && !"detached".equals(a.status());
    }

    private static int lowestFreeIndex(List<Ec2.Eni> attached) {
        Set<Integer> used = new HashSet<>();
        attached.forEach(e -> used.add(e.attachment().deviceIndex()));
        int i = 1;
        while (used.contains(i)) {
            i++;
        }
        return i;
    }

    private static NetworkInterface toInterface(Ec2.Eni e, int deviceIndex) {
        int card = e.attachment() == null || deviceIndex == NetworkInterface.DETACHED ? 0 : e.attachment().networkCard();
        return new NetworkInterface(e.id(), e.mac(), deviceIndex, e.subnetId(), e.primary(), e.secondaries(),
                e.prefixes(), e.tags(), card);
    }

    /**
     * ipamd never names an excluded ENI (no_manage tag, another network card) in a mutating call; should a bug make
     * it, the ENI is refused here, after the describe every such call makes anyway, instead of being changed.
     */
    private static void refuseExcluded(Ec2.Eni e, String what) throws CloudException {
        NetworkInterface view = toInterface(e, e.attachment() == null ? NetworkInterface.DETACHED
                : Math.max(0, e.attachment().deviceIndex()));
        if (!view.usable()) {
            throw new CloudException.Fatal("OperationNotPermitted", "refusing to " + what + " " + e.id() + ": "
                    + view.exclusion().label() + " (never managed by ipamd)", null);
        }
    }

    private static void sleep(long millis) throws CloudException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudException.Fatal("Interrupted", "interrupted while waiting for a detach", e, true);
        }
    }
}
