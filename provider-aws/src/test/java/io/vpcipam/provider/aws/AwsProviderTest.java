package io.vpcipam.provider.aws;

import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudException.CapacityExhausted.Scope;
import io.vpcipam.provider.InterfaceSpec;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.OwnerTags;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The provider's logic through the seam: limits, prefixes, AWS error codes, retries, undo, caching. */
class AwsProviderTest {

    private final FakeEc2 fake = new FakeEc2();
    private final Fixtures.Recorder recorder = new Fixtures.Recorder();
    private final AwsProvider provider = Fixtures.provider(fake, Map.of(), recorder);

    private String primary() throws CloudException {
        return provider.describeNode().primaryInterface().id();
    }

    private static InterfaceSpec spec(int addresses, int prefixes) {
        return new InterfaceSpec(FakeEc2.SUBNET, List.of(), addresses, prefixes, Map.of(OwnerTags.CLUSTER, "c1"), "");
    }

    @Test
    void assign_beyondPerInterfaceLimit_throwsCapacityInterfaceAddresses() throws Exception {
        String eni = primary();
        provider.assign(eni, 9, 0); // m5.large: 10 per ENI, the primary included

        var e = assertThrows(CloudException.CapacityExhausted.class, () -> provider.assign(eni, 1, 0));

        assertEquals(Scope.INTERFACE_ADDRESSES, e.scope());
        assertEquals("PrivateIpAddressLimitExceeded", e.code());
    }

    @Test
    void assign_prefixCountsAgainstTheSameSlots() throws Exception {
        String eni = primary();
        provider.assign(eni, 8, 0);
        Assignment p = provider.assign(eni, 0, 1);

        assertEquals(1, p.prefixes().size());
        assertThrows(CloudException.CapacityExhausted.class, () -> provider.assign(eni, 0, 1));
    }

    @Test
    void assign_subnetFull_throwsCapacitySubnet() throws Exception {
        FakeEc2 small = new FakeEc2("m5.24xlarge", Cidr.parse("10.0.0.0/28"));
        AwsProvider p = Fixtures.provider(small, Map.of(), null);
        String eni = p.describeNode().primaryInterface().id();
        p.assign(eni, 10, 0); // 16 - 5 reserved - the primary = 10

        var e = assertThrows(CloudException.CapacityExhausted.class, () -> p.assign(eni, 1, 0));

        assertEquals(Scope.SUBNET, e.scope());
        assertEquals("InsufficientFreeAddressesInSubnet", e.code());
        assertThrows(CloudException.CapacityExhausted.class, () -> p.assign(eni, 0, 1), "no free /28 either");
    }

    @Test
    void assign_moreThanANearFullSubnetHas_refusedWithWhatItHas_beforeAnyAssignCall() throws Exception {
        FakeEc2 small = new FakeEc2("m5.24xlarge", Cidr.parse("10.0.0.0/27"));
        AwsProvider p = Fixtures.provider(small, Map.of(), null);
        String eni = p.describeNode().primaryInterface().id(); // 32 - 5 reserved - the primary = 26 free

        var e = assertThrows(CloudException.CapacityExhausted.class, () -> p.assign(eni, 30, 0));

        assertEquals(Scope.SUBNET, e.scope());
        assertEquals(26, e.available(), e.getMessage());
        assertTrue(e.getMessage().contains("AvailableIpAddressCount"), e.getMessage());
        assertEquals(0, small.calls("AssignPrivateIpAddresses"), "EC2 is not asked for what it cannot give");
        assertEquals(26, p.assign(eni, 26, 0).addresses().size(), "what it has is given");
    }

    @Test
    void createInterface_moreThanANearFullSubnetHas_countsThePrimaryToo() throws Exception {
        FakeEc2 small = new FakeEc2("m5.24xlarge", Cidr.parse("10.0.0.0/27"));
        AwsProvider p = Fixtures.provider(small, Map.of(), null);

        var e = assertThrows(CloudException.CapacityExhausted.class, () -> p.createInterface(spec(26, 0)));

        assertEquals(26, e.available(), "26 free: 25 secondaries and a primary fit");
        assertEquals(0, small.calls("CreateNetworkInterface"));
        assertEquals(25, p.createInterface(spec(25, 0)).secondaryAddresses().size());
    }

    @Test
    void assign_ec2RefusesForTheSubnet_theRefusalCarriesWhatTheSubnetHas() throws Exception {
        String eni = primary();
        fake.failNext("AssignPrivateIpAddresses", "InsufficientFreeAddressesInSubnet", 400); // another node won a race

        var e = assertThrows(CloudException.CapacityExhausted.class, () -> provider.assign(eni, 5, 0));

        assertEquals(Scope.SUBNET, e.scope());
        assertEquals(4096 - 5 - 1, e.available(), e.getMessage());
    }

    @Test
    void assign_returnsOnlyWhatDescribeShowsAsNew() throws Exception {
        String eni = primary();
        Assignment first = provider.assign(eni, 3, 0);

        Assignment second = provider.assign(eni, 2, 0);

        assertEquals(2, second.addresses().size());
        assertTrue(second.addresses().stream().noneMatch(first.addresses()::contains));
    }

    @Test
    void assign_staleBeforeReadMissesAHeldAddress_doesNotReportItAsNew() throws Exception {
        String eni = primary();
        List<io.vpcipam.provider.Ipv4Address> first = provider.assign(eni, 3, 0).addresses();
        // ipamd just released first[0]; the "before" read comes from a replica that already shows it gone, but
        // the ENI still holds it, so the "after" read has it
        fake.staleNextDescribe(eni, first.getFirst());

        Assignment second = provider.assign(eni, 2, 0);

        List<io.vpcipam.provider.Ipv4Address> held = provider.describeNode().primaryInterface().secondaryAddresses();
        assertEquals(5, held.size());
        assertEquals(2, second.addresses().size(), second.toString());
        assertFalse(second.addresses().contains(first.getFirst()), "a held address reported as new: " + second);
        Set<io.vpcipam.provider.Ipv4Address> expected = new java.util.HashSet<>(held);
        first.forEach(expected::remove);
        assertEquals(expected, Set.copyOf(second.addresses()));
    }

    @Test
    void assign_answerNamesEveryAddressAsMotoDoes_reportsOnlyTheNewOnes() throws Exception {
        Ec2 motoLike = new ForwardingEc2(fake) {
            @Override
            public List<io.vpcipam.provider.Ipv4Address> assignAddresses(String eniId, int count) {
                super.assignAddresses(eniId, count);
                return fake.eni(eniId).secondaries();
            }
        };
        AwsSettings s = Fixtures.settings(Map.of());
        AwsProvider p = new AwsProvider(motoLike, new Guard(s, null), FakeEc2.INSTANCE, s, java.time.Clock.systemUTC());
        String eni = primary();
        List<io.vpcipam.provider.Ipv4Address> first = p.assign(eni, 3, 0).addresses();

        Assignment second = p.assign(eni, 2, 0);

        assertEquals(3, first.size());
        assertEquals(2, second.addresses().size());
        assertTrue(second.addresses().stream().noneMatch(first::contains));
    }

    @Test
    void assign_stalePrefixRead_reportsOnlyThePrefixTheAnswerNames() throws Exception {
        String eni = primary();
        Ec2 stalePrefixes = new ForwardingEc2(fake) {
            private boolean first = true;

            @Override
            public Eni eni(String eniId) {
                Eni e = super.eni(eniId);
                if (first) { // the "before" read misses every prefix the ENI holds
                    first = false;
                    return new Eni(e.id(), e.mac(), e.status(), e.subnetId(), e.vpcId(), e.primary(), e.secondaries(),
                            List.of(), e.groups(), e.tags(), e.description(), e.attachment());
                }
                return e;
            }
        };
        Cidr held = provider.assign(eni, 0, 1).prefixes().getFirst();
        AwsSettings s = Fixtures.settings(Map.of());
        AwsProvider p = new AwsProvider(stalePrefixes, new Guard(s, null), FakeEc2.INSTANCE, s, java.time.Clock.systemUTC());

        Assignment a = p.assign(eni, 0, 1);

        assertEquals(1, a.prefixes().size());
        assertFalse(a.prefixes().contains(held), "a held prefix reported as new: " + a);
    }

    @Test
    void assign_answerLostThenRetrySucceeds_reportsWhatBothTriesAdded() throws Exception {
        String eni = primary();
        fake.loseAnswer("AssignPrivateIpAddresses"); // the first try adds 3 unseen; the retry adds 3 more

        Assignment a = provider.assign(eni, 3, 0);

        List<io.vpcipam.provider.Ipv4Address> held = provider.describeNode().primaryInterface().secondaryAddresses();
        assertEquals(6, held.size());
        assertEquals(Set.copyOf(held), Set.copyOf(a.addresses()), "the node holds addresses ipamd was not told of");
    }

    @Test
    void assign_unknownInterface_throwsNotFoundWithoutRetrying() {
        var e = assertThrows(CloudException.NotFound.class, () -> provider.assign("eni-0123456789abcdef0", 1, 0));

        assertEquals("InvalidNetworkInterfaceID.NotFound", e.code());
        assertEquals(1, fake.calls("DescribeNetworkInterfaces"));
        assertEquals(0, fake.calls("AssignPrivateIpAddresses"));
    }

    @Test
    void createInterface_atInstanceLimit_refusedWithoutCreating() throws Exception {
        provider.createInterface(spec(1, 0));
        provider.createInterface(spec(1, 0)); // m5.large: 3 interfaces

        var e = assertThrows(CloudException.CapacityExhausted.class, () -> provider.createInterface(spec(1, 0)));

        assertEquals(Scope.INSTANCE_INTERFACES, e.scope());
        assertEquals(2, fake.calls("CreateNetworkInterface"));
    }

    @Test
    void createInterface_attachFails_deletesTheCreatedInterface() throws Exception {
        Set<String> before = fake.eniIds();
        fake.failNext("AttachNetworkInterface", "AttachmentLimitExceeded", 400);

        var e = assertThrows(CloudException.CapacityExhausted.class, () -> provider.createInterface(spec(2, 0)));

        assertEquals(Scope.INSTANCE_INTERFACES, e.scope());
        assertEquals(before, fake.eniIds(), "the created ENI was left behind");
        assertEquals(1, fake.calls("DeleteNetworkInterface"));
    }

    @Test
    void createInterface_deleteOnTerminationFails_detachesAndDeletes() throws Exception {
        Set<String> before = fake.eniIds();
        fake.failNext("ModifyNetworkInterfaceAttribute", "UnauthorizedOperation", 403);

        var e = assertThrows(CloudException.Fatal.class, () -> provider.createInterface(spec(1, 0)));

        assertEquals("UnauthorizedOperation", e.code());
        assertFalse(e.retryable());
        assertEquals(before, fake.eniIds());
        assertEquals(1, fake.calls("DetachNetworkInterface"));
    }

    @Test
    void createInterface_setsDeleteOnTerminationOwnerTagsAndThePrimarysGroups() throws Exception {
        NetworkInterface made = provider.createInterface(new InterfaceSpec(FakeEc2.SUBNET, List.of(), 2, 0,
                Map.of("team", "net"), ""));

        assertTrue(fake.deleteOnTermination(made.id()));
        assertEquals(FakeEc2.INSTANCE, made.tags().get(OwnerTags.INSTANCE_ID));
        assertNotNull(made.tags().get(OwnerTags.CREATED_AT));
        assertEquals("net", made.tags().get("team"));
        assertEquals(FakeEc2.INSTANCE, made.tags().get("node.k8s.amazonaws.com/instance_id"), "aws-node's key too");
        assertFalse(made.tags().containsKey("cluster.k8s.amazonaws.com/name"), "no CLUSTER_NAME, no cluster tag");
        assertEquals(1, made.deviceIndex());
        assertEquals(2, made.secondaryAddresses().size());
    }

    @Test
    void createInterface_withAClusterName_writesAwsNodesClusterTagToo() throws Exception {
        NetworkInterface made = provider.createInterface(spec(1, 0));

        assertEquals("c1", made.tags().get(OwnerTags.CLUSTER));
        assertEquals("c1", made.tags().get("cluster.k8s.amazonaws.com/name"));
        assertEquals(FakeEc2.INSTANCE, made.tags().get("node.k8s.amazonaws.com/instance_id"));
    }

    @Test
    void createInterface_addressesAndPrefixes_bothEndUpOnTheInterface() throws Exception {
        NetworkInterface made = provider.createInterface(spec(2, 1));

        assertEquals(2, made.secondaryAddresses().size());
        assertEquals(1, made.prefixes().size());
        assertEquals(28, made.prefixes().getFirst().length());
    }

    @Test
    void createInterface_prefixesIgnoredByEndpoint_failsSayingSoAndLeavesNothing() throws Exception {
        // what moto does: Ipv4PrefixCount accepted, no prefix assigned
        Ec2 ignoring = new ForwardingEc2(fake) {
            @Override
            public Eni createEni(String token, String subnet, List<String> groups, int addresses, int prefixes,
                                 Map<String, String> tags, String description) {
                return super.createEni(token, subnet, groups, addresses, 0, tags, description);
            }
        };
        AwsSettings s = Fixtures.settings(Map.of());
        AwsProvider p = new AwsProvider(ignoring, new Guard(s, null), FakeEc2.INSTANCE, s, java.time.Clock.systemUTC());
        Set<String> before = fake.eniIds();

        var e = assertThrows(CloudException.Fatal.class, () -> p.createInterface(spec(0, 1)));

        assertEquals("PrefixNotAssigned", e.code());
        assertTrue(e.getMessage().contains(AwsSettings.PREFIX_DELEGATION), e.getMessage());
        assertEquals(before, fake.eniIds());
    }

    @Test
    void createInterface_createAnswerLostAndRetried_leavesOneInterface() throws Exception {
        Set<String> before = fake.eniIds();
        fake.loseAnswer("CreateNetworkInterface"); // EC2 made the ENI; the answer timed out; the guard retries

        NetworkInterface made = provider.createInterface(spec(2, 0));

        assertEquals(2, fake.calls("CreateNetworkInterface"), "the lost answer was retried");
        Set<String> now = fake.eniIds();
        now.removeAll(before);
        assertEquals(Set.of(made.id()), now, "the retry created a second ENI, which nobody attaches");
        assertTrue(provider.findOrphanedInterfaces(Map.of(OwnerTags.CLUSTER, "c1")).isEmpty());
    }

    @Test
    void createInterface_everyAnswerLost_leftoverIsFoundByThisNodesTagAndDeleted() throws Exception {
        AwsProvider p = Fixtures.provider(fake, Map.of(AwsSettings.MAX_ATTEMPTS, "2"), recorder);
        Set<String> before = fake.eniIds();
        fake.loseAnswer("CreateNetworkInterface").loseAnswer("CreateNetworkInterface");

        var e = assertThrows(CloudException.Fatal.class, () -> p.createInterface(spec(2, 0)));
        assertTrue(e.retryable());

        // what ipamd's reconciler looks for after such a create, and at its next start
        List<NetworkInterface> left = p.findOrphanedInterfaces(Map.of(OwnerTags.INSTANCE_ID, FakeEc2.INSTANCE));
        Set<String> made = fake.eniIds();
        made.removeAll(before);
        assertEquals(made, Set.copyOf(left.stream().map(NetworkInterface::id).toList()), "one ENI, found by its tag");
        assertNotNull(left.getFirst().tags().get(OwnerTags.CREATED_AT));
        p.deleteInterface(left.getFirst().id());
        assertEquals(before, fake.eniIds());
    }

    @Test
    void assign_answerLostThenRetryHitsTheLimit_returnsWhatTheFirstTryAdded() throws Exception {
        String eni = primary();
        // m5.large: 10 per ENI. The first try adds 5 and its answer is lost; the retry (5 more) passes the limit
        fake.loseAnswer("AssignPrivateIpAddresses");

        Assignment a = provider.assign(eni, 5, 0);

        List<io.vpcipam.provider.Ipv4Address> held = provider.describeNode().primaryInterface().secondaryAddresses();
        assertEquals(5, held.size());
        assertEquals(Set.copyOf(held), Set.copyOf(a.addresses()), "the node holds addresses ipamd was not told of");
    }

    @Test
    void assign_addressesRefusedAfterThePrefixWasAdded_returnsThePrefix() throws Exception {
        Ec2 noAddresses = new ForwardingEc2(fake) {
            @Override
            public List<io.vpcipam.provider.Ipv4Address> assignAddresses(String eniId, int count) {
                throw ApiError.of("InsufficientFreeAddressesInSubnet", 400, "injected by the test");
            }
        };
        AwsSettings s = Fixtures.settings(Map.of());
        AwsProvider p = new AwsProvider(noAddresses, new Guard(s, null), FakeEc2.INSTANCE, s, java.time.Clock.systemUTC());
        String eni = primary();

        Assignment a = p.assign(eni, 2, 1); // the prefix goes first and is added; then the addresses are refused

        assertEquals(1, a.prefixes().size());
        assertEquals(provider.describeNode().primaryInterface().prefixes(), a.prefixes());
        assertTrue(a.addresses().isEmpty());
    }

    @Test
    void deleteInterface_waitsForTheDetachToFinish() throws Exception {
        fake.detachTakes(3);
        NetworkInterface made = provider.createInterface(spec(1, 0));

        provider.deleteInterface(made.id());

        assertFalse(fake.eniIds().contains(made.id()));
        assertEquals(1, fake.calls("DeleteNetworkInterface"), "deleted before the detach finished");
    }

    @Test
    void deleteInterface_inUseOnce_isRetried() throws Exception {
        NetworkInterface made = provider.createInterface(spec(1, 0));
        fake.failNext("DeleteNetworkInterface", "InvalidNetworkInterface.InUse", 400);

        provider.deleteInterface(made.id());

        assertFalse(fake.eniIds().contains(made.id()));
        assertEquals(2, fake.calls("DeleteNetworkInterface"));
    }

    @Test
    void deleteInterface_attachedToAnotherInstance_isRefusedAsConflict() {
        String other = fake.attachedElsewhere();

        assertThrows(CloudException.Conflict.class, () -> provider.deleteInterface(other));

        assertTrue(fake.eniIds().contains(other));
        assertEquals(0, fake.calls("DetachNetworkInterface"));
    }

    @Test
    void unassign_onlySendsWhatTheInterfaceHolds() throws Exception {
        String eni = primary();
        Assignment a = provider.assign(eni, 2, 0);

        // the fake, as EC2, rejects the whole call for an address the ENI does not hold
        provider.unassign(eni, List.of(a.addresses().getFirst(), io.vpcipam.provider.Ipv4Address.parse("10.0.9.9")),
                List.of(Cidr.parse("10.0.8.0/28")));

        assertEquals(List.of(a.addresses().get(1)), provider.describeNode().primaryInterface().secondaryAddresses());
    }

    // A Throttled from a mutating verb promises that nothing was applied (the pool then takes the addresses back
    // without a describe); when part of the work was done, the error must say "in doubt" instead.

    @Test
    void deleteInterface_throttledBeforeAnythingWasDone_isThrottled() throws Exception {
        AwsProvider p = Fixtures.provider(fake, Map.of(AwsSettings.MAX_ATTEMPTS, "1"), recorder);
        NetworkInterface made = p.createInterface(spec(1, 0));
        fake.throttle("DescribeNetworkInterfaces", 1);

        assertThrows(CloudException.Throttled.class, () -> p.deleteInterface(made.id()));

        assertEquals(0, fake.calls("DetachNetworkInterface"));
        assertTrue(fake.eniIds().contains(made.id()));
    }

    @Test
    void deleteInterface_throttledAfterTheDetach_isInDoubtNotThrottled() throws Exception {
        AwsProvider p = Fixtures.provider(fake, Map.of(AwsSettings.MAX_ATTEMPTS, "1"), recorder);
        NetworkInterface made = p.createInterface(spec(1, 0));
        fake.throttle("DeleteNetworkInterface", 1);

        var e = assertThrows(CloudException.class, () -> p.deleteInterface(made.id()));

        assertFalse(e instanceof CloudException.Throttled, "the detach was applied, yet: " + e);
        assertTrue(e.retryable());
        assertEquals(1, fake.calls("DetachNetworkInterface"));
    }

    @Test
    void unassign_throttledAfterAnEarlierCallWasApplied_isInDoubtNotThrottled() throws Exception {
        AwsSettings s = Fixtures.settings(Map.of(AwsSettings.MAX_ATTEMPTS, "1"));
        int[] unassigns = {0};
        Ec2 secondThrottled = new ForwardingEc2(fake) {
            @Override
            public void unassign(String eniId, List<io.vpcipam.provider.Ipv4Address> addresses, List<Cidr> prefixes) {
                if (++unassigns[0] == 2) {
                    throw ApiError.of("RequestLimitExceeded", 503, "injected on the second call");
                }
                super.unassign(eniId, addresses, prefixes);
            }
        };
        AwsProvider p = new AwsProvider(secondThrottled, new Guard(s, recorder), FakeEc2.INSTANCE, s,
                java.time.Clock.systemUTC());
        String eni = primary();
        Assignment a = p.assign(eni, 1, 1);

        var e = assertThrows(CloudException.class, () -> p.unassign(eni, a.addresses(), a.prefixes()));

        assertFalse(e instanceof CloudException.Throttled, "the addresses' call was applied, yet: " + e);
        assertTrue(provider.describeNode().primaryInterface().secondaryAddresses().isEmpty());
    }

    @Test
    void unassign_answerLostThenThrottled_isInDoubtNotThrottled() throws Exception {
        AwsSettings s = Fixtures.settings(Map.of(AwsSettings.MAX_ATTEMPTS, "2"));
        int[] unassigns = {0};
        Ec2 lostThenThrottled = new ForwardingEc2(fake) {
            @Override
            public void unassign(String eniId, List<io.vpcipam.provider.Ipv4Address> addresses, List<Cidr> prefixes) {
                if (++unassigns[0] == 1) {
                    super.unassign(eniId, addresses, prefixes);
                    throw new ApiError(ApiError.NETWORK, 0, "read timed out (injected after applying)", true, null);
                }
                throw ApiError.of("RequestLimitExceeded", 503, "injected on the retry");
            }
        };
        AwsProvider p = new AwsProvider(lostThenThrottled, new Guard(s, recorder), FakeEc2.INSTANCE, s,
                java.time.Clock.systemUTC());
        String eni = primary();
        Assignment a = p.assign(eni, 2, 0);

        var e = assertThrows(CloudException.class, () -> p.unassign(eni, a.addresses(), List.of()));

        assertFalse(e instanceof CloudException.Throttled, "the first try may have been applied, yet: " + e);
        assertTrue(e.retryable());
        assertEquals(2, unassigns[0]);
    }

    @Test
    void throttled_thenAnswered_isRetriedAndEachThrottleReported() throws Exception {
        fake.throttle("AssignPrivateIpAddresses", 3);

        Assignment a = provider.assign(primary(), 1, 0);

        assertEquals(1, a.addresses().size());
        assertEquals(4, fake.calls("AssignPrivateIpAddresses"));
        assertEquals(3, recorder.count("throttle AssignPrivateIpAddresses"));
        assertTrue(recorder.events.contains("call AssignPrivateIpAddresses ok"));
    }

    @Test
    void throttled_beyondMaxAttempts_throwsThrottledWithRetryAfter() throws Exception {
        AwsProvider p = Fixtures.provider(fake, Map.of(AwsSettings.MAX_ATTEMPTS, "3"), recorder);
        String eni = primary();
        fake.throttle("AssignPrivateIpAddresses", 5);

        var e = assertThrows(CloudException.Throttled.class, () -> p.assign(eni, 1, 0));

        assertEquals("RequestLimitExceeded", e.code());
        assertTrue(e.retryAfter().isPositive());
        assertEquals(3, fake.calls("AssignPrivateIpAddresses"));
        assertTrue(recorder.events.contains("call AssignPrivateIpAddresses throttled"));
    }

    @Test
    void serverErrors_openTheCircuit_thenCallsAreRefusedWithoutReachingEc2() throws Exception {
        AwsProvider p = Fixtures.provider(fake, Map.of(AwsSettings.MAX_ATTEMPTS, "1"), recorder);
        for (int i = 0; i < 10; i++) {
            fake.failNext("DescribeInstances", "InternalError", 500);
        }
        for (int i = 0; i < 10; i++) {
            var e = assertThrows(CloudException.Fatal.class, p::describeNode);
            assertTrue(e.retryable(), "a 500 is transient");
        }
        int sent = fake.totalCalls();

        var open = assertThrows(CloudException.Fatal.class, p::describeNode);

        assertEquals(ApiError.CIRCUIT_OPEN, open.code());
        assertTrue(open.retryable());
        assertEquals(sent, fake.totalCalls(), "a call reached EC2 through an open circuit");
        assertTrue(open.retryAfter().isPositive() && open.retryAfter().compareTo(java.time.Duration.ofSeconds(30)) <= 0,
                "the pool engine waits for the breaker's remaining open time, got " + open.retryAfter());
    }

    @Test
    void circuitOpen_retryAfterIsTheTimeLeft_andACallGoesThroughOnceItPassed() throws Exception {
        AwsProvider p = Fixtures.provider(fake, Map.of(AwsSettings.MAX_ATTEMPTS, "1",
                AwsSettings.CIRCUIT_OPEN, "300ms"), recorder);
        for (int i = 0; i < 10; i++) {
            fake.failNext("DescribeInstances", "InternalError", 500);
            assertThrows(CloudException.Fatal.class, p::describeNode);
        }
        var open = assertThrows(CloudException.Fatal.class, p::describeNode);
        assertEquals(ApiError.CIRCUIT_OPEN, open.code());
        assertTrue(open.retryAfter().toMillis() <= 300, open.retryAfter().toString());

        Thread.sleep(open.retryAfter().toMillis() + 20);

        assertNotNull(p.describeNode(), "the breaker lets a call through once its open time passed");
    }

    @Test
    void malformedAnswer_isFatalAndNotRetried() {
        fake.failNext("DescribeInstances", ApiError.MALFORMED, 0);

        var e = assertThrows(CloudException.Fatal.class, provider::describeNode);

        assertEquals(ApiError.MALFORMED, e.code());
        assertFalse(e.retryable());
        assertEquals(1, fake.calls("DescribeInstances"));
    }

    @Test
    void describeNode_twice_readsStaticFactsOnce() throws Exception {
        provider.describeNode();
        provider.describeNode();

        assertEquals(1, fake.calls("DescribeInstances"));
        assertEquals(1, fake.calls("DescribeInstanceTypes"));
        assertEquals(1, fake.calls("DescribeSubnets"));
        assertEquals(1, fake.calls("DescribeVpcs"));
        assertEquals(2, fake.calls("DescribeNetworkInterfaces"));
    }

    @Test
    void limits_describeInstanceTypesDenied_fallsBackToTheBuiltInTable() throws Exception {
        fake.denyInstanceTypes();

        assertEquals(new io.vpcipam.provider.Limits(3, 10), provider.describeNode().limits());
    }

    @Test
    void limits_unknownTypeAndDenied_failsNamingTheType() {
        FakeEc2 odd = new FakeEc2("c5.4xlarge", Cidr.parse("10.0.0.0/20")).denyInstanceTypes();
        AwsProvider p = Fixtures.provider(odd, Map.of(), null);

        var e = assertThrows(CloudException.Fatal.class, () -> p.limits("x9.nonsense"));

        assertTrue(e.getMessage().contains("'x9.nonsense'"), e.getMessage());
        assertEquals("UnauthorizedOperation", e.code());
    }

    @Test
    void limits_denied_butInTable_usesTheTable() throws Exception {
        FakeEc2 odd = new FakeEc2("c5.4xlarge", Cidr.parse("10.0.0.0/20")).denyInstanceTypes();

        assertEquals(new io.vpcipam.provider.Limits(8, 30), Fixtures.provider(odd, Map.of(), null).limits("c5.4xlarge"));
    }

    @Test
    void findOrphanedInterfaces_withoutOwnerTags_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> provider.findOrphanedInterfaces(Map.of()));
    }

    @Test
    void close_closesTheClient() {
        provider.close();

        assertTrue(fake.closed());
    }

    @Test
    void describeNode_eniOnAnotherNetworkCard_isReportedExcluded_andCreateUsesCardZeroIndexes() throws Exception {
        String efa = fake.attachForeign(Map.of(), 1, 1); // device index 0 on card 1
        String multus = fake.attachForeign(Map.of(NetworkInterface.AWS_NO_MANAGE_TAG, "true"), 0, 1); // index 1

        NodeInfo node = provider.describeNode();
        NetworkInterface made = provider.createInterface(spec(1, 0));

        NetworkInterface onCard1 = node.interfaces().stream().filter(i -> i.id().equals(efa)).findFirst().orElseThrow();
        assertEquals(NetworkInterface.Exclusion.OTHER_NETWORK_CARD, onCard1.exclusion());
        assertEquals(1, onCard1.networkCard());
        assertFalse(onCard1.isPrimary(), "device 0 of card 1 is not the instance's primary");
        assertEquals(NetworkInterface.Exclusion.NO_MANAGE_TAG, node.interfaces().stream()
                .filter(i -> i.id().equals(multus)).findFirst().orElseThrow().exclusion());
        assertEquals(2, made.deviceIndex(), "index 1 of card 0 is the no_manage ENI's; card 1's index 0 is not ours");
        assertEquals(0, made.networkCard());
    }

    @Test
    void createInterface_cardZeroFull_isCapacity_thoughAnotherCardHasInterfaces() throws Exception {
        fake.attachForeign(Map.of(), 1, 0);
        fake.attachForeign(Map.of(NetworkInterface.NO_MANAGE_TAG, "true"), 0, 0); // m5.large: 3 on card 0
        provider.createInterface(spec(1, 0));

        var e = assertThrows(CloudException.CapacityExhausted.class, () -> provider.createInterface(spec(1, 0)));

        assertEquals(Scope.INSTANCE_INTERFACES, e.scope());
    }

    @Test
    void mutatingCalls_onANoManageEni_areRefusedAndChangeNothing() throws Exception {
        String multus = fake.attachForeign(Map.of(NetworkInterface.AWS_NO_MANAGE_TAG, "true"), 0, 2);
        NetworkInterface before = provider.describeNode().interfaces().stream().filter(i -> i.id().equals(multus))
                .findFirst().orElseThrow();

        assertEquals("OperationNotPermitted",
                assertThrows(CloudException.Fatal.class, () -> provider.deleteInterface(multus)).code());
        assertThrows(CloudException.Fatal.class, () -> provider.assign(multus, 1, 0));
        assertThrows(CloudException.Fatal.class,
                () -> provider.unassign(multus, before.secondaryAddresses(), List.of()));

        assertEquals(before, provider.describeNode().interfaces().stream().filter(i -> i.id().equals(multus))
                .findFirst().orElseThrow());
        assertEquals(0, fake.calls("DetachNetworkInterface") + fake.calls("UnassignPrivateIpAddresses")
                + fake.calls("AssignPrivateIpAddresses"));
    }
}
