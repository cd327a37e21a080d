package io.vpcipam.provider;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What every {@link CloudProvider} must do: the simulated cloud, the AWS provider on moto, the Azure provider on
 * its fake ARM endpoint. Subclass it (the test-jar ships it), supply a fresh provider per test and, where the
 * cloud can, a way to leak an interface.
 *
 * <p>Only behaviour every real cloud shares is asserted. Limits are not (moto enforces none), prefixes only with
 * {@link Capabilities#prefixDelegation()}, created interfaces only with {@link Capabilities#hotAttachInterfaces()};
 * a missing capability skips the test with a message saying which. Tests work on the primary interface and on
 * interfaces they create, use fresh tag values, and delete what they created, so a shared backend stays usable.
 */
public abstract class CloudProviderContract {

    /** A fresh provider for one test; closed after it. */
    protected abstract CloudProvider newProvider() throws Exception;

    /**
     * Creates an interface carrying {@code tags} in the node's subnet and attached to no instance, as a node that
     * died mid-way would leave it; empty when the cloud (or its test double) cannot, which skips the orphan test.
     */
    protected abstract Optional<String> leakInterface(Map<String, String> tags) throws Exception;

    /**
     * Attaches to the node an interface someone else made (an operator, Multus, another CNI), carrying {@code tags}
     * and one secondary address; empty when the cloud (or its test double) cannot, which skips the exclusion tests.
     */
    protected Optional<String> attachForeignInterface(Map<String, String> tags) throws Exception {
        return Optional.empty();
    }

    /** An interface id of the cloud's syntax that does not exist. */
    protected String unknownInterfaceId() {
        return "eni-0123456789abcdef0";
    }

    protected CloudProvider provider;
    private final List<String> created = new ArrayList<>();

    @BeforeEach
    void startProvider() throws Exception {
        provider = newProvider();
        assertNotNull(provider, "newProvider() returned null");
    }

    @AfterEach
    void stopProvider() {
        if (provider == null) {
            return;
        }
        for (String id : created) {
            try {
                provider.deleteInterface(id);
            } catch (CloudException ignored) {
                // already deleted by the test, or the cloud lost it: either way nothing left to clean
            }
        }
        provider.close();
    }

    // ---------------------------------------------------------------- describe

    @Test
    void describeNode_fresh_hasPrimaryInterfaceWithAddress() throws Exception {
        NodeInfo node = provider.describeNode();

        NetworkInterface primary = node.primaryInterface();
        assertNotNull(primary, "no interface at device index 0 in " + node.interfaces());
        Subnet subnet = node.subnet(primary.subnetId());
        assertNotNull(subnet, "the primary's subnet " + primary.subnetId() + " is not among " + node.subnets());
        assertTrue(subnet.cidr().contains(primary.primaryAddress()),
                primary.primaryAddress() + " is outside its subnet " + subnet.cidr());
        assertTrue(node.vpcCidrs().stream().anyMatch(v -> v.contains(subnet.cidr())),
                "subnet " + subnet.cidr() + " is in none of the VPC blocks " + node.vpcCidrs());
        assertTrue(node.limits().maxInterfaces() >= 1 && node.limits().addressesPerInterface() >= 2,
                "limits leave no room for a pod: " + node.limits());
        assertEquals(node.interfaces().size(),
                node.interfaces().stream().map(i -> i.networkCard() + "/" + i.deviceIndex()).distinct().count(),
                "device indices repeat on a network card: " + node.interfaces());
        assertTrue(node.interfaces().stream().allMatch(NetworkInterface::attached));
    }

    // ---------------------------------------------------------------- interfaces ipamd must leave alone

    @Test
    void foreignInterface_taggedAwsNoManage_isReportedExcluded_andEveryMutationIsRefused() throws Exception {
        assertExcludedAndUntouchable(Map.of(NetworkInterface.AWS_NO_MANAGE_TAG, "true"));
    }

    @Test
    void foreignInterface_taggedOurNoManage_isReportedExcluded_andEveryMutationIsRefused() throws Exception {
        assertExcludedAndUntouchable(Map.of(NetworkInterface.NO_MANAGE_TAG, "TRUE"));
    }

    @Test
    void foreignInterface_untagged_isReportedUsable() throws Exception {
        Optional<String> id = attachForeignInterface(Map.of("team", "net"));
        Assumptions.assumeTrue(id.isPresent(), "this cloud's test double cannot attach someone else's interface");

        NetworkInterface ni = interfaceById(provider.describeNode(), id.get());

        assertEquals(NetworkInterface.Exclusion.NONE, ni.exclusion());
        assertTrue(ni.usable());
        assertEquals(1, ni.secondaryAddresses().size(), "its secondary address is reported: " + ni);
    }

    private void assertExcludedAndUntouchable(Map<String, String> tags) throws Exception {
        Optional<String> id = attachForeignInterface(tags);
        Assumptions.assumeTrue(id.isPresent(), "this cloud's test double cannot attach someone else's interface");
        NodeInfo node = provider.describeNode();
        NetworkInterface ni = interfaceById(node, id.get());

        assertEquals(NetworkInterface.Exclusion.NO_MANAGE_TAG, ni.exclusion(), "tags " + ni.tags());
        assertTrue(ni.attached() && !ni.isPrimary(), "reported as attached, not primary: " + ni);
        assertThrows(CloudException.class, () -> provider.assign(ni.id(), 1, 0));
        assertThrows(CloudException.class, () -> provider.unassign(ni.id(), ni.secondaryAddresses(), List.of()));
        assertThrows(CloudException.class, () -> provider.deleteInterface(ni.id()));
        NetworkInterface after = interfaceById(provider.describeNode(), ni.id());
        assertEquals(ni.secondaryAddresses(), after.secondaryAddresses(), "its addresses changed");
        assertEquals(ni.deviceIndex(), after.deviceIndex(), "it was moved or detached");
    }

    // ---------------------------------------------------------------- assign / unassign

    @Test
    void assign_addresses_returnsOnlyNewDistinctAddressesInSubnet() throws Exception {
        provider.assign(provider.describeNode().primaryInterface().id(), 1, 0);  // so there is an old one to leave out
        NodeInfo before = provider.describeNode();
        NetworkInterface primary = before.primaryInterface();
        Cidr subnet = before.subnet(primary.subnetId()).cidr();

        Assignment added = provider.assign(primary.id(), 2, 0);

        assertEquals(2, added.addresses().size(), "asked for 2, got " + added);
        assertEquals(List.of(), added.prefixes());
        assertEquals(2, Set.copyOf(added.addresses()).size(), "duplicates in " + added.addresses());
        for (Ipv4Address a : added.addresses()) {
            assertTrue(subnet.contains(a), a + " is outside the subnet " + subnet);
            assertFalse(allAddresses(before).contains(a), a + " was already held before the call");
            assertFalse(a.equals(subnet.base()) || a.equals(subnet.last()) || a.equals(subnet.address(1)),
                    a + " is the subnet's network, router or broadcast address");
        }
        NetworkInterface after = interfaceById(provider.describeNode(), primary.id());
        Set<Ipv4Address> expected = new HashSet<>(primary.secondaryAddresses());
        expected.addAll(added.addresses());
        assertEquals(expected, Set.copyOf(after.secondaryAddresses()), "describe disagrees with what assign returned");
        assertEquals(primary.primaryAddress(), after.primaryAddress());
    }

    @Test
    void assign_twice_neverReturnsAnAddressTwice() throws Exception {
        String id = provider.describeNode().primaryInterface().id();

        Assignment first = provider.assign(id, 2, 0);
        Assignment second = provider.assign(id, 2, 0);

        Set<Ipv4Address> all = new HashSet<>(first.addresses());
        for (Ipv4Address a : second.addresses()) {
            assertTrue(all.add(a), a + " returned by both calls");
        }
        assertEquals(4, all.size());
        assertTrue(Set.copyOf(interfaceById(provider.describeNode(), id).secondaryAddresses()).containsAll(all));
    }

    @Test
    void unassign_assigned_removesThemFromDescribe() throws Exception {
        String id = provider.describeNode().primaryInterface().id();
        List<Ipv4Address> added = provider.assign(id, 3, 0).addresses();

        provider.unassign(id, added.subList(0, 2), List.of());

        List<Ipv4Address> held = interfaceById(provider.describeNode(), id).secondaryAddresses();
        assertFalse(held.contains(added.get(0)), added.get(0) + " still held");
        assertFalse(held.contains(added.get(1)), added.get(1) + " still held");
        assertTrue(held.contains(added.get(2)), added.get(2) + " was not asked to go but is gone");
    }

    @Test
    void unassign_unknownAddress_isIgnored() throws Exception {
        NodeInfo node = provider.describeNode();
        NetworkInterface primary = node.primaryInterface();
        Cidr subnet = node.subnet(primary.subnetId()).cidr();
        Set<Ipv4Address> held = allAddresses(node);
        Ipv4Address notHeld = null;
        for (long i = subnet.size() - 2; i > 3 && notHeld == null; i--) {
            if (!held.contains(subnet.address(i))) {
                notHeld = subnet.address(i);
            }
        }
        assertNotNull(notHeld);

        provider.unassign(primary.id(), List.of(notHeld), List.of());

        assertEquals(Set.copyOf(primary.secondaryAddresses()),
                Set.copyOf(interfaceById(provider.describeNode(), primary.id()).secondaryAddresses()));
    }

    @Test
    void assign_unknownInterface_throwsNotFound() {
        assertThrows(CloudException.NotFound.class, () -> provider.assign(unknownInterfaceId(), 1, 0));
    }

    @Test
    void unassign_unknownInterface_throwsNotFound() {
        assertThrows(CloudException.NotFound.class,
                () -> provider.unassign(unknownInterfaceId(), List.of(Ipv4Address.parse("10.0.0.9")), List.of()));
    }

    @Test
    void deleteInterface_unknown_throwsNotFound() {
        assertThrows(CloudException.NotFound.class, () -> provider.deleteInterface(unknownInterfaceId()));
    }

    // ---------------------------------------------------------------- create / delete

    @Test
    void createInterface_withAddresses_attachesAtLowestFreeIndexWithTagsAndAddresses() throws Exception {
        assumeHotAttach();
        NodeInfo before = provider.describeNode();
        Assumptions.assumeTrue(before.limits().maxInterfaces() - before.interfaces().size() >= 2,
                "needs room for two more interfaces, the limits are " + before.limits());
        String subnetId = before.primaryInterface().subnetId();
        Map<String, String> tags = freshTags();

        NetworkInterface first = create(subnetId, 2, tags);
        NetworkInterface second = create(subnetId, 1, tags);

        assertEquals(lowestFreeIndex(before), first.deviceIndex());
        assertTrue(second.deviceIndex() > first.deviceIndex(), "second at " + second.deviceIndex());
        assertTrue(first.tags().entrySet().containsAll(tags.entrySet()), "tags " + first.tags() + " lack " + tags);
        assertEquals(2, first.secondaryAddresses().size());
        Cidr subnet = before.subnet(subnetId).cidr();
        assertTrue(subnet.contains(first.primaryAddress()));
        first.secondaryAddresses().forEach(a -> assertTrue(subnet.contains(a), a + " outside " + subnet));
        NetworkInterface described = interfaceById(provider.describeNode(), first.id());
        assertEquals(first.deviceIndex(), described.deviceIndex());
        assertEquals(Set.copyOf(first.secondaryAddresses()), Set.copyOf(described.secondaryAddresses()));
        assertTrue(described.tags().entrySet().containsAll(tags.entrySet()));
        assertNoAddressHeldTwice(provider.describeNode());

        // the freed index is the lowest free one again
        provider.deleteInterface(first.id());
        NetworkInterface third = create(subnetId, 0, tags);
        assertEquals(first.deviceIndex(), third.deviceIndex());
    }

    @Test
    void deleteInterface_created_goneFromDescribe() throws Exception {
        assumeHotAttach();
        NodeInfo before = provider.describeNode();
        Assumptions.assumeTrue(before.interfaces().size() < before.limits().maxInterfaces(), "no room for an interface");
        NetworkInterface made = create(before.primaryInterface().subnetId(), 1, freshTags());

        provider.deleteInterface(made.id());

        NodeInfo after = provider.describeNode();
        assertTrue(after.interfaces().stream().noneMatch(i -> i.id().equals(made.id())), made.id() + " still attached");
        assertEquals(before.interfaces().stream().map(NetworkInterface::id).toList(),
                after.interfaces().stream().map(NetworkInterface::id).toList());
        assertThrows(CloudException.NotFound.class, () -> provider.assign(made.id(), 1, 0));
    }

    @Test
    void deleteInterface_primary_refusedAndPrimaryRemains() throws Exception {
        NetworkInterface primary = provider.describeNode().primaryInterface();

        assertThrows(CloudException.class, () -> provider.deleteInterface(primary.id()));

        NetworkInterface still = provider.describeNode().primaryInterface();
        assertNotNull(still, "the node lost its primary interface");
        assertEquals(primary.id(), still.id());
        assertEquals(primary.primaryAddress(), still.primaryAddress());
    }

    // ---------------------------------------------------------------- prefixes

    @Test
    void assign_prefix_returnsAlignedBlockNotOverlappingAnyAddress() throws Exception {
        Capabilities caps = provider.capabilities();
        Assumptions.assumeTrue(caps.prefixDelegation(), provider.name() + " has no prefix delegation");
        NodeInfo before = provider.describeNode();
        NetworkInterface primary = before.primaryInterface();
        Cidr subnet = before.subnet(primary.subnetId()).cidr();
        provider.assign(primary.id(), 2, 0);

        Assignment added = provider.assign(primary.id(), 0, 1);
        List<Ipv4Address> later = provider.assign(primary.id(), 2, 0).addresses();

        assertEquals(List.of(), added.addresses());
        assertEquals(1, added.prefixes().size(), "asked for one prefix, got " + added);
        Cidr prefix = added.prefixes().getFirst();
        assertEquals(caps.prefixLength(), prefix.length());
        assertEquals(0, prefix.base().unsigned() % caps.addressesPerPrefix(), prefix + " is not aligned");
        assertTrue(subnet.contains(prefix), prefix + " is outside the subnet " + subnet);
        assertFalse(prefix.contains(subnet.base()) || prefix.contains(subnet.address(1))
                || prefix.contains(subnet.last()), prefix + " holds a reserved address of " + subnet);
        later.forEach(a -> assertFalse(prefix.contains(a), "later address " + a + " is inside " + prefix));
        NodeInfo after = provider.describeNode();
        assertTrue(interfaceById(after, primary.id()).prefixes().contains(prefix), "describe lacks " + prefix);
        assertNoAddressHeldTwice(after);

        provider.unassign(primary.id(), List.of(), List.of(prefix));
        assertFalse(interfaceById(provider.describeNode(), primary.id()).prefixes().contains(prefix));
    }

    // ---------------------------------------------------------------- orphans

    @Test
    void findOrphanedInterfaces_leaked_isFoundByTags_andAttachedOnesAreNot() throws Exception {
        Map<String, String> tags = freshTags();
        Optional<String> leaked = leakInterface(tags);
        Assumptions.assumeTrue(leaked.isPresent(), provider.name() + " test setup cannot leak an interface");
        Map<String, String> otherOwner = new HashMap<>(tags);
        otherOwner.put(OwnerTags.INSTANCE_ID, "i-" + UUID.randomUUID());
        Optional<String> someoneElses = leakInterface(otherOwner);
        String attachedId = null;
        NodeInfo node = provider.describeNode();
        if (provider.capabilities().hotAttachInterfaces() && node.interfaces().size() < node.limits().maxInterfaces()) {
            attachedId = create(node.primaryInterface().subnetId(), 0, tags).id();
        }

        List<NetworkInterface> found = provider.findOrphanedInterfaces(tags);

        List<String> ids = found.stream().map(NetworkInterface::id).toList();
        assertEquals(List.of(leaked.get()), ids, "expected exactly the leaked interface");
        assertFalse(found.getFirst().attached(), "an orphan is reported as attached: " + found.getFirst());
        assertTrue(found.getFirst().tags().entrySet().containsAll(tags.entrySet()));
        if (attachedId != null) {
            assertFalse(ids.contains(attachedId), "an attached interface was reported as orphan");
        }
        someoneElses.ifPresent(other -> assertFalse(ids.contains(other), "another owner's interface matched"));
    }

    // ---------------------------------------------------------------- invariants

    @Test
    void mixedSequence_ofCalls_neverHoldsAnAddressTwiceAcrossInterfaces() throws Exception {
        Random random = new Random(42);
        boolean hotAttach = provider.capabilities().hotAttachInterfaces();
        boolean prefixes = provider.capabilities().prefixDelegation();
        Map<String, String> tags = freshTags();
        for (int step = 0; step < 30; step++) {
            NodeInfo node = provider.describeNode();
            assertNoAddressHeldTwice(node);
            Limits limits = node.limits();
            List<NetworkInterface> ifaces = node.interfaces();
            NetworkInterface target = ifaces.get(random.nextInt(ifaces.size()));
            int room = limits.slotsPerInterface() - target.usedSlots();
            switch (random.nextInt(5)) {
                case 0, 1 -> {
                    if (room > 0) {
                        boolean prefix = prefixes && random.nextBoolean();
                        provider.assign(target.id(), prefix ? 0 : Math.min(room, 1 + random.nextInt(3)), prefix ? 1 : 0);
                    }
                }
                case 2 -> {
                    List<Ipv4Address> some = target.secondaryAddresses().stream().filter(a -> random.nextBoolean()).toList();
                    List<Cidr> somePrefixes = target.prefixes().stream().filter(p -> random.nextBoolean()).toList();
                    provider.unassign(target.id(), some, somePrefixes);
                }
                case 3 -> {
                    if (hotAttach && ifaces.size() < limits.maxInterfaces()) {
                        create(node.primaryInterface().subnetId(), random.nextInt(Math.min(3, limits.slotsPerInterface()) + 1), tags);
                    }
                }
                default -> {
                    if (!target.isPrimary() && created.contains(target.id())) {
                        provider.deleteInterface(target.id());
                    }
                }
            }
        }
        assertNoAddressHeldTwice(provider.describeNode());
    }

    // ---------------------------------------------------------------- helpers

    /** Creates an interface and remembers it for clean-up. */
    protected NetworkInterface create(String subnetId, int addresses, Map<String, String> tags) throws CloudException {
        NetworkInterface made = provider.createInterface(
                new InterfaceSpec(subnetId, List.of(), addresses, 0, tags, "vpc-ipam contract test"));
        created.add(made.id());
        return made;
    }

    private void assumeHotAttach() {
        Assumptions.assumeTrue(provider.capabilities().hotAttachInterfaces(),
                provider.name() + " cannot hot-attach interfaces");
    }

    private static Map<String, String> freshTags() {
        return Map.of(OwnerTags.INSTANCE_ID, "i-contract", OwnerTags.CLUSTER, "contract-" + UUID.randomUUID());
    }

    private static int lowestFreeIndex(NodeInfo node) {
        Set<Integer> used = new HashSet<>();
        node.interfaces().forEach(i -> used.add(i.deviceIndex()));
        int i = 1;
        while (used.contains(i)) {
            i++;
        }
        return i;
    }

    private static NetworkInterface interfaceById(NodeInfo node, String id) {
        return node.interfaces().stream().filter(i -> i.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError(id + " is not among " + node.interfaces()));
    }

    /** Primaries, secondaries and prefix members of every interface. */
    private static Set<Ipv4Address> allAddresses(NodeInfo node) {
        Set<Ipv4Address> all = new LinkedHashSet<>();
        for (NetworkInterface i : node.interfaces()) {
            all.add(i.primaryAddress());
            all.addAll(i.secondaryAddresses());
            for (Cidr p : i.prefixes()) {
                for (long k = 0; k < p.size(); k++) {
                    all.add(p.address(k));
                }
            }
        }
        return all;
    }

    /** Fails if any address (primary, secondary or prefix member) is held twice across the node's interfaces. */
    protected static void assertNoAddressHeldTwice(NodeInfo node) {
        Map<Ipv4Address, String> owner = new HashMap<>();
        for (NetworkInterface i : node.interfaces()) {
            List<Ipv4Address> mine = new ArrayList<>();
            mine.add(i.primaryAddress());
            mine.addAll(i.secondaryAddresses());
            for (Cidr p : i.prefixes()) {
                for (long k = 0; k < p.size(); k++) {
                    mine.add(p.address(k));
                }
            }
            for (Ipv4Address a : mine) {
                String previous = owner.put(a, i.id());
                if (previous != null) {
                    fail(a + " is held by " + previous + " and " + i.id() + " in " + node.interfaces());
                }
            }
        }
    }
}
