package io.vpcipam.provider.aws;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.Limits;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An in-memory EC2 behind the {@link Ec2} seam that enforces what moto does not: the instance type's ENI and
 * per-ENI limits (a prefix takes a slot like an address), device-index conflicts, aligned /28 prefixes that overlap
 * no address, the subnet's five reserved addresses, subnet exhaustion, "in use" on deleting an attached ENI, a
 * detach that takes a few reads to finish, CreateNetworkInterface's ClientToken idempotency, and AWS's error codes
 * for each. Fault controls: {@link #failNext}, {@link #throttle}, {@link #loseAnswer},
 * {@link #staleNextDescribe}; per-verb counters:
 * {@link #calls}. Thread-safe (one monitor).
 */
final class FakeEc2 implements Ec2 {

    static final String INSTANCE = "i-0feed00000000001";
    static final String VPC = "vpc-0fake000000000001";
    static final String SUBNET = "subnet-0fake00000000001";
    static final Cidr VPC_CIDR = Cidr.parse("10.0.0.0/16");

    private static final Map<String, Limits> TYPES = Map.of("m5.large", new Limits(3, 10), "t3.medium",
            new Limits(3, 6), "m5.24xlarge", new Limits(15, 50), "c5.4xlarge", new Limits(8, 30));

    private static final class E {
        String id;
        String mac;
        String subnet;
        Ipv4Address primary;
        final List<Ipv4Address> secondaries = new ArrayList<>();
        final List<Cidr> prefixes = new ArrayList<>();
        final Map<String, String> tags = new HashMap<>();
        List<String> groups = List.of("sg-0fake0000000001");
        String description;
        Attachment attachment;
        boolean deleteOnTermination;
        int detachingReads;
    }

    private final String instanceType;
    private final Cidr subnetCidr;
    private final Map<String, E> enis = new LinkedHashMap<>();
    private final Map<String, Integer> calls = new HashMap<>();
    private final Map<String, Deque<ApiError>> faults = new HashMap<>();
    private final Map<String, Integer> lostAnswers = new HashMap<>();
    private final Map<String, String> clientTokens = new HashMap<>();
    private final Map<String, Set<Ipv4Address>> staleReads = new HashMap<>();
    private int nextId = 1;
    private int detachReads;
    private boolean typesDenied;
    private boolean closed;

    FakeEc2(String instanceType, Cidr subnetCidr) {
        this.instanceType = instanceType;
        this.subnetCidr = subnetCidr;
        E primary = newEni(SUBNET);
        primary.primary = take(subnetCidr);
        primary.attachment = new Attachment("eni-attach-" + id(), INSTANCE, 0, "attached");
        enis.put(primary.id, primary);
    }

    /** An m5.large (3 ENIs x 10 addresses) in 10.0.0.0/20. */
    FakeEc2() {
        this("m5.large", Cidr.parse("10.0.0.0/20"));
    }

    // ---------------------------------------------------------------- controls

    /** The next call of {@code verb} fails with this EC2 error. */
    synchronized FakeEc2 failNext(String verb, String code, int status) {
        faults.computeIfAbsent(verb, v -> new ArrayDeque<>()).add(ApiError.of(code, status, "injected by the test"));
        return this;
    }

    /** The next {@code times} calls of {@code verb} are throttled (RequestLimitExceeded, HTTP 503 as EC2 sends it). */
    synchronized FakeEc2 throttle(String verb, int times) {
        for (int i = 0; i < times; i++) {
            failNext(verb, "RequestLimitExceeded", 503);
        }
        return this;
    }

    /**
     * The next call of {@code verb} is carried out, but its answer never arrives: the caller sees a network failure
     * (as with a read timeout after EC2 applied the request), which the guard retries.
     */
    synchronized FakeEc2 loseAnswer(String verb) {
        lostAnswers.merge(verb, 1, Integer::sum);
        return this;
    }

    /**
     * Eventual consistency: the next DescribeNetworkInterfaces of {@code eniId} by id comes from a replica that already
     * shows {@code omitted} released, while the ENI still holds them (EC2 has not applied the release yet, or it
     * was never applied). Later reads see the truth.
     */
    synchronized FakeEc2 staleNextDescribe(String eniId, Ipv4Address... omitted) {
        staleReads.computeIfAbsent(eniId, k -> new HashSet<>()).addAll(List.of(omitted));
        return this;
    }

    /** A detach leaves the ENI "detaching" for this many DescribeNetworkInterfaces reads. */
    synchronized FakeEc2 detachTakes(int reads) {
        this.detachReads = reads;
        return this;
    }

    /** DescribeInstanceTypes answers UnauthorizedOperation (a policy without ec2:DescribeInstanceTypes). */
    synchronized FakeEc2 denyInstanceTypes() {
        this.typesDenied = true;
        return this;
    }

    /** Calls of {@code verb} so far, failed ones included. */
    synchronized int calls(String verb) {
        return calls.getOrDefault(verb, 0);
    }

    /** Calls of every verb so far. */
    synchronized int totalCalls() {
        return calls.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Ids of every ENI that exists. */
    synchronized Set<String> eniIds() {
        return new HashSet<>(enis.keySet());
    }

    /** Whether DeleteOnTermination was set on {@code eniId}'s attachment. */
    synchronized boolean deleteOnTermination(String eniId) {
        return enis.get(eniId).deleteOnTermination;
    }

    /** An ENI with {@code tags}, attached to nothing. */
    synchronized String leak(Map<String, String> tags) {
        E e = newEni(SUBNET);
        e.primary = take(subnetCidr);
        e.tags.putAll(tags);
        enis.put(e.id, e);
        return e.id;
    }

    /**
     * An ENI someone else attached to this node (an operator, Multus, EFA, aws-node) at the lowest free device index
     * of {@code networkCard}, with {@code tags} and {@code secondaries} secondary addresses. EC2 numbers device
     * indexes per card; moto reports card 0 for everything, so other cards are only tested here.
     */
    synchronized String attachForeign(Map<String, String> tags, int networkCard, int secondaries) {
        E e = newEni(SUBNET);
        e.primary = take(subnetCidr);
        for (int i = 0; i < secondaries; i++) {
            e.secondaries.add(take(subnetCidr));
        }
        e.tags.putAll(tags);
        Set<Integer> used = new HashSet<>();
        enis.values().stream().filter(x -> x.attachment != null && x.attachment.instanceId().equals(INSTANCE)
                && x.attachment.networkCard() == networkCard).forEach(x -> used.add(x.attachment.deviceIndex()));
        int index = networkCard == 0 ? 1 : 0;
        while (used.contains(index)) {
            index++;
        }
        e.attachment = new Attachment("eni-attach-" + id(), INSTANCE, index, "attached", networkCard);
        enis.put(e.id, e);
        return e.id;
    }

    /** An ENI attached to another instance at index 1. */
    synchronized String attachedElsewhere() {
        E e = newEni(SUBNET);
        e.primary = take(subnetCidr);
        e.attachment = new Attachment("eni-attach-" + id(), "i-0other00000000001", 1, "attached");
        enis.put(e.id, e);
        return e.id;
    }

    synchronized boolean closed() {
        return closed;
    }

    // ---------------------------------------------------------------- seam

    @Override
    public synchronized Instance describeInstance(String instanceId) {
        enter("DescribeInstances");
        if (!INSTANCE.equals(instanceId)) {
            throw ApiError.of("InvalidInstanceID.NotFound", 400, "The instance ID '" + instanceId + "' does not exist");
        }
        return new Instance(INSTANCE, instanceType, "us-east-1a", VPC, SUBNET);
    }

    @Override
    public synchronized List<Eni> enisOfInstance(String instanceId) {
        enter("DescribeNetworkInterfaces");
        return enis.values().stream().peek(this::progressDetach)
                .filter(e -> e.attachment != null && e.attachment.instanceId().equals(instanceId))
                .map(FakeEc2::view).toList();
    }

    @Override
    public synchronized Eni eni(String eniId) {
        enter("DescribeNetworkInterfaces");
        E e = find(eniId);
        progressDetach(e);
        Eni seen = view(e);
        Set<Ipv4Address> stale = staleReads.remove(eniId);
        if (stale == null) {
            return seen;
        }
        return new Eni(seen.id(), seen.mac(), seen.status(), seen.subnetId(), seen.vpcId(), seen.primary(),
                seen.secondaries().stream().filter(a -> !stale.contains(a)).toList(), seen.prefixes(), seen.groups(),
                seen.tags(), seen.description(), seen.attachment());
    }

    @Override
    public synchronized List<Eni> availableEnis(Map<String, String> tags) {
        enter("DescribeNetworkInterfaces");
        return enis.values().stream().peek(this::progressDetach)
                .filter(e -> e.attachment == null && e.tags.entrySet().containsAll(tags.entrySet()))
                .map(FakeEc2::view).toList();
    }

    @Override
    public synchronized List<SubnetInfo> subnets(Collection<String> subnetIds) {
        enter("DescribeSubnets");
        for (String id : subnetIds) {
            if (!SUBNET.equals(id)) {
                throw ApiError.of("InvalidSubnetID.NotFound", 400, "The subnet ID '" + id + "' does not exist");
            }
        }
        long free = 0;
        Set<Ipv4Address> used = used();
        for (long i = 0; i < subnetCidr.size(); i++) {
            Ipv4Address a = subnetCidr.address(i);
            if (!reserved(subnetCidr, a) && !used.contains(a)) {
                free++;
            }
        }
        return List.of(new SubnetInfo(SUBNET, subnetCidr, "us-east-1a", VPC, (int) free, Map.of()));
    }

    @Override
    public synchronized List<SubnetInfo> subnetsInZone(String vpcId, String zone) {
        if (!VPC.equals(vpcId) || !"us-east-1a".equals(zone)) {
            enter("DescribeSubnets");
            return List.of();
        }
        return subnets(List.of(SUBNET));
    }

    @Override
    public synchronized List<Cidr> vpcCidrs(String vpcId) {
        enter("DescribeVpcs");
        return List.of(VPC_CIDR);
    }

    @Override
    public synchronized Optional<Limits> instanceTypeLimits(String type) {
        enter("DescribeInstanceTypes");
        if (typesDenied) {
            throw ApiError.of("UnauthorizedOperation", 403, "You are not authorized to perform this operation.");
        }
        return Optional.ofNullable(TYPES.get(type));
    }

    @Override
    public synchronized Eni createEni(String clientToken, String subnetId, List<String> groups, int addresses,
                                      int prefixes, Map<String, String> tags, String description) {
        enter("CreateNetworkInterface");
        String earlier = clientToken == null ? null : clientTokens.get(clientToken);
        if (earlier != null && enis.containsKey(earlier)) {
            return answer("CreateNetworkInterface", view(enis.get(earlier))); // EC2: same token, same ENI
        }
        if (!SUBNET.equals(subnetId)) {
            throw ApiError.of("InvalidSubnetID.NotFound", 400, "The subnet ID '" + subnetId + "' does not exist");
        }
        if (addresses > 0 && prefixes > 0) {
            throw ApiError.of("InvalidParameterCombination", 400, "SecondaryPrivateIpAddressCount and Ipv4PrefixCount");
        }
        E e = newEni(subnetId);
        e.primary = take(subnetCidr);
        enis.put(e.id, e); // so the primary counts as used while the rest is taken
        try {
            for (int i = 0; i < addresses; i++) {
                e.secondaries.add(take(subnetCidr));
            }
            for (int i = 0; i < prefixes; i++) {
                e.prefixes.add(takePrefix());
            }
        } catch (ApiError full) {
            enis.remove(e.id);
            throw full;
        }
        if (!groups.isEmpty()) {
            e.groups = List.copyOf(groups);
        }
        e.tags.putAll(tags);
        e.description = description;
        if (clientToken != null) {
            clientTokens.put(clientToken, e.id);
        }
        return answer("CreateNetworkInterface", view(e));
    }

    @Override
    public synchronized String attach(String eniId, String instanceId, int deviceIndex) {
        enter("AttachNetworkInterface");
        E e = find(eniId);
        if (e.attachment != null) {
            throw ApiError.of("InvalidNetworkInterface.InUse", 400, "Interface " + eniId + " is already attached");
        }
        Limits limits = TYPES.get(instanceType);
        // AttachNetworkInterface without NetworkCardIndex attaches through card 0; its limit and indexes are card 0's
        List<E> here = enis.values().stream()
                .filter(x -> x.attachment != null && x.attachment.instanceId().equals(instanceId)
                        && x.attachment.networkCard() == 0).toList();
        if (here.size() >= limits.maxInterfaces()) {
            throw ApiError.of("AttachmentLimitExceeded", 400, "Interface count " + (here.size() + 1)
                    + " exceeds the limit for " + instanceType);
        }
        if (here.stream().anyMatch(x -> x.attachment.deviceIndex() == deviceIndex)) {
            throw ApiError.of("InvalidParameterValue", 400, "Instance '" + instanceId
                    + "' already has an interface attached at device index '" + deviceIndex + "'.");
        }
        if (e.secondaries.size() + e.prefixes.size() + 1 > limits.addressesPerInterface()) {
            throw ApiError.of("PrivateIpAddressLimitExceeded", 400, "Number of private addresses exceeds the limit");
        }
        e.attachment = new Attachment("eni-attach-" + id(), instanceId, deviceIndex, "attached");
        return e.attachment.attachmentId();
    }

    @Override
    public synchronized void deleteOnTermination(String eniId, String attachmentId) {
        enter("ModifyNetworkInterfaceAttribute");
        E e = find(eniId);
        if (e.attachment == null || !e.attachment.attachmentId().equals(attachmentId)) {
            throw ApiError.of("InvalidAttachmentID.NotFound", 400, "Attachment '" + attachmentId + "' not found");
        }
        e.deleteOnTermination = true;
    }

    @Override
    public synchronized void detach(String attachmentId) {
        enter("DetachNetworkInterface");
        E e = enis.values().stream().filter(x -> x.attachment != null
                && x.attachment.attachmentId().equals(attachmentId)).findFirst().orElseThrow(() ->
                ApiError.of("InvalidAttachmentID.NotFound", 400, "Attachment '" + attachmentId + "' not found"));
        if (e.attachment.deviceIndex() == 0) {
            throw ApiError.of("OperationNotPermitted", 400, "The network interface at device index 0 cannot be detached.");
        }
        e.attachment = new Attachment(attachmentId, e.attachment.instanceId(), e.attachment.deviceIndex(), "detaching",
                e.attachment.networkCard());
        e.detachingReads = detachReads;
        progressDetach(e);
    }

    @Override
    public synchronized void deleteEni(String eniId) {
        enter("DeleteNetworkInterface");
        E e = find(eniId);
        if (e.attachment != null) {
            throw ApiError.of("InvalidNetworkInterface.InUse", 400, "The interface " + eniId + " is currently in use.");
        }
        enis.remove(eniId);
    }

    @Override
    public synchronized List<Ipv4Address> assignAddresses(String eniId, int count) {
        enter("AssignPrivateIpAddresses");
        E e = find(eniId);
        checkRoom(e, count);
        List<Ipv4Address> added = takeAll(count, () -> take(subnetCidr), e.secondaries);
        return answer("AssignPrivateIpAddresses", added); // EC2 names only what this call assigned
    }

    @Override
    public synchronized List<Cidr> assignPrefixes(String eniId, int count) {
        enter("AssignPrivateIpAddresses");
        E e = find(eniId);
        checkRoom(e, count);
        return answer("AssignPrivateIpAddresses", takeAll(count, this::takePrefix, e.prefixes));
    }

    /** Takes {@code count} with {@code take} onto {@code held}, all or nothing (as EC2); returns what it took. */
    private static <T> List<T> takeAll(int count, java.util.function.Supplier<T> take, Collection<T> held) {
        List<T> added = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                T x = take.get();
                held.add(x);
                added.add(x);
            }
        } catch (ApiError full) {
            held.removeAll(added);
            throw full;
        }
        return List.copyOf(added);
    }

    @Override
    public synchronized void unassign(String eniId, List<Ipv4Address> addresses, List<Cidr> prefixes) {
        enter("UnassignPrivateIpAddresses");
        E e = find(eniId);
        for (Ipv4Address a : addresses) {
            if (!e.secondaries.contains(a)) {
                throw ApiError.of("InvalidParameterValue", 400, "Some of the specified addresses are not assigned to interface " + eniId);
            }
        }
        for (Cidr p : prefixes) {
            if (!e.prefixes.contains(p)) {
                throw ApiError.of("InvalidParameterValue", 400, "Prefix " + p + " is not assigned to interface " + eniId);
            }
        }
        e.secondaries.removeAll(addresses);
        e.prefixes.removeAll(prefixes);
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    // ---------------------------------------------------------------- internals

    private void enter(String verb) {
        calls.merge(verb, 1, Integer::sum);
        Deque<ApiError> q = faults.get(verb);
        if (q != null && !q.isEmpty()) {
            throw q.poll();
        }
    }

    /** {@code result}, unless a lost answer was asked for {@code verb}: then the work is done but the caller fails. */
    private <T> T answer(String verb, T result) {
        Integer lost = lostAnswers.get(verb);
        if (lost != null && lost > 0) {
            lostAnswers.put(verb, lost - 1);
            throw new ApiError(ApiError.NETWORK, 0, "read timed out (injected by the test; the call was applied)",
                    true, null);
        }
        return result;
    }

    private void progressDetach(E e) {
        if (e.attachment != null && "detaching".equals(e.attachment.status()) && e.detachingReads-- <= 0) {
            e.attachment = null;
            e.deleteOnTermination = false;
        }
    }

    private void checkRoom(E e, int more) {
        if (e.attachment == null) {
            return; // EC2 checks the type's limit at attach for a detached ENI
        }
        int max = TYPES.get(instanceType).addressesPerInterface();
        if (e.secondaries.size() + e.prefixes.size() + 1 + more > max) {
            throw ApiError.of("PrivateIpAddressLimitExceeded", 400, "Number of private addresses will exceed limit.");
        }
    }

    private E find(String eniId) {
        E e = enis.get(eniId);
        if (e == null) {
            throw ApiError.of("InvalidNetworkInterfaceID.NotFound", 400, "The networkInterface ID '" + eniId + "' does not exist");
        }
        return e;
    }

    private E newEni(String subnet) {
        E e = new E();
        int n = nextId;
        e.id = "eni-0fake" + String.format("%012x", id());
        e.mac = String.format("02:fa:ce:00:%02x:%02x", (n >> 8) & 0xff, n & 0xff);
        e.subnet = subnet;
        return e;
    }

    private int id() {
        return nextId++;
    }

    private Set<Ipv4Address> used() {
        Set<Ipv4Address> used = new HashSet<>();
        for (E e : enis.values()) {
            if (e.primary != null) {
                used.add(e.primary);
            }
            used.addAll(e.secondaries);
            for (Cidr p : e.prefixes) {
                for (long i = 0; i < p.size(); i++) {
                    used.add(p.address(i));
                }
            }
        }
        return used;
    }

    private static boolean reserved(Cidr subnet, Ipv4Address a) {
        long i = a.unsigned() - subnet.base().unsigned();
        return i <= 3 || a.equals(subnet.last());
    }

    private Ipv4Address take(Cidr subnet) {
        Set<Ipv4Address> used = used();
        for (long i = 0; i < subnet.size(); i++) {
            Ipv4Address a = subnet.address(i);
            if (!reserved(subnet, a) && !used.contains(a)) {
                return a;
            }
        }
        throw ApiError.of("InsufficientFreeAddressesInSubnet", 400, "The specified subnet does not have enough free addresses");
    }

    private Cidr takePrefix() {
        Set<Ipv4Address> used = used();
        for (long i = 0; i + 16 <= subnetCidr.size(); i += 16) {
            Cidr p = new Cidr(subnetCidr.address(i), 28);
            boolean free = true;
            for (long k = 0; k < 16 && free; k++) {
                free = !used.contains(p.address(k)) && !reserved(subnetCidr, p.address(k));
            }
            if (free) {
                return p;
            }
        }
        throw ApiError.of("InsufficientCidrBlocks", 400, "There are not enough free cidr blocks in the specified subnet");
    }

    private static Eni view(E e) {
        String status = e.attachment == null ? "available" : "in-use";
        return new Eni(e.id, e.mac, status, e.subnet, VPC, e.primary, e.secondaries, e.prefixes, e.groups, e.tags,
                e.description, e.attachment);
    }
}
