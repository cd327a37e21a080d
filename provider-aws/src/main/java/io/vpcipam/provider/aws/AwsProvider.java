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

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The AWS provider: the SPI's verbs as EC2 calls through the {@link Ec2} seam, every call under the {@link Guard}.
 * This class keeps describeNode and the address calls (assign, unassign), and owns the mutation lock; the rest is
 * delegated to the classes each owning one job: {@link NodeReads} (the cached instance, limits, subnets and VPC
 * reads), {@link SubnetRoom} (subnet discovery and the near-full-subnet read), {@link EniLifecycle} (an ENI's
 * create, attach, detach and delete, with undo) and {@link Enis} (how an ENI reads as the SPI's interface).
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
 *   <li>Reads that cannot change are cached ({@link NodeReads}). Once warm, a describeNode is one
 *       DescribeNetworkInterfaces call.</li>
 * </ul>
 */
final class AwsProvider implements CloudProvider {

    /** EC2's delegated prefix length. */
    static final int PREFIX_LENGTH = 28;
    /** Most secondary addresses an ENI can hold on any type (50 per ENI, the primary included). */
    static final int MAX_PER_CALL = 49;

    private final Ec2 ec2;
    private final Guard guard;
    private final String instanceId;
    private final AwsSettings settings;
    private final Capabilities capabilities;
    private final ReentrantLock mutation = new ReentrantLock();
    private final NodeReads reads;
    private final SubnetRoom room;
    private final EniLifecycle lifecycle;

    AwsProvider(Ec2 ec2, Guard guard, String instanceId, AwsSettings settings, InstantSource clock) {
        this.ec2 = ec2;
        this.guard = guard;
        this.instanceId = instanceId;
        this.settings = settings;
        this.capabilities = new Capabilities(true, settings.prefixDelegation(), PREFIX_LENGTH, MAX_PER_CALL);
        this.reads = new NodeReads(ec2, guard, instanceId, clock);
        this.room = new SubnetRoom(ec2, guard, settings.subnetDiscovery());
        this.lifecycle = new EniLifecycle(ec2, guard, instanceId, settings, clock, reads, room);
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
        Ec2.Instance self = reads.instance();
        List<Ec2.Eni> enis = guard.call("DescribeNetworkInterfaces", () -> ec2.enisOfInstance(instanceId));
        List<NetworkInterface> interfaces = new ArrayList<>();
        Set<String> subnetIds = new LinkedHashSet<>();
        subnetIds.add(self.subnetId());
        for (Ec2.Eni e : enis) {
            if (Enis.attachedTo(e, instanceId)) {
                interfaces.add(Enis.toInterface(e, e.attachment().deviceIndex()));  // excluded ones too: they hold indexes
                subnetIds.add(e.subnetId());
            }
        }
        return new NodeInfo(instanceId, self.type(), self.zone(), reads.limits(self.type()), interfaces,
                reads.subnets(subnetIds), reads.vpcCidrs(self.vpcId()));
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
            return lifecycle.create(spec);
        } finally {
            mutation.unlock();
        }
    }

    @Override
    public void deleteInterface(String interfaceId) throws CloudException {
        mutation.lock();
        try {
            lifecycle.detachAndDelete(interfaceId);
        } finally {
            mutation.unlock();
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
            Enis.refuseExcluded(before, "assign to");
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
                    throw Enis.prefixesIgnored(interfaceId, prefixes, 0);
                }
            }
            List<Ipv4Address> newAddresses = List.of();
            if (addresses > 0) {
                if (newPrefixes.isEmpty()) { // after prefixes were added, the addresses are asked for regardless
                    room.fits(before.subnetId(), addresses, addresses + " more addresses on " + interfaceId);
                }
                Outcome<Ipv4Address> o = attempt(() -> ec2.assignAddresses(interfaceId, addresses));
                Ec2.Eni after = describeAfter(interfaceId, o.failed());
                newAddresses = o.newOf(before.secondaries(), after.secondaries());
                if (o.failed() != null && newAddresses.isEmpty() && newPrefixes.isEmpty()) {
                    throw o.failed() instanceof CloudException.CapacityExhausted c
                            ? room.withSubnetFree(c, before.subnetId()) : o.failed();
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

    @Override
    public void unassign(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes)
            throws CloudException {
        mutation.lock();
        try {
            Ec2.Eni eni = guard.call("DescribeNetworkInterfaces", () -> ec2.eni(interfaceId));
            Enis.refuseExcluded(eni, "unassign from");
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
                throw Enis.partlyApplied(e, applied + " earlier UnassignPrivateIpAddresses of " + interfaceId);
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
                .map(e -> Enis.toInterface(e, NetworkInterface.DETACHED))
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

    /** DescribeInstanceTypes once per type; the built-in table when EC2 cannot say. */
    Limits limits(String type) throws CloudException {
        return reads.limits(type);
    }
}
