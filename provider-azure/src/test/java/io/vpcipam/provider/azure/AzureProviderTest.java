package io.vpcipam.provider.azure;

import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.CloudCallListener;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.ProviderContext;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The provider's Azure-specific behaviour, through the real SDK against the fake ARM endpoint. */
class AzureProviderTest extends OnTestNode {

    private AzureProvider start(String subnet, int nics, Map<String, String> env, CloudCallListener listener)
            throws Exception {
        return start(subnet, nics, false, env, listener);
    }

    private AzureProvider start() throws Exception {
        return start("10.240.0.0/22", 1, Map.of(), CloudCallListener.NOOP);
    }

    @Test
    void assign_thirtyAddresses_isOneNicPutCarryingAllOfThem() throws Exception {
        start();

        Assignment added = provider.assign(node.primaryNic(), 30, 0);

        assertEquals(1, node.arm.nicPuts());
        assertEquals(List.of(30), node.arm.addedPerPut());
        assertEquals(30, Set.copyOf(added.addresses()).size());
        assertEquals(Set.copyOf(added.addresses().stream().map(Ipv4Address::toString).toList()),
                Set.copyOf(node.arm.secondaryAddresses(node.primaryNic())));
    }

    @Test
    void unassign_severalAddresses_isOneNicPutAndLeavesTheRest() throws Exception {
        start();
        List<Ipv4Address> added = provider.assign(node.primaryNic(), 10, 0).addresses();

        provider.unassign(node.primaryNic(), added.subList(0, 6), List.of());

        assertEquals(2, node.arm.nicPuts());
        assertEquals(Set.copyOf(added.subList(6, 10).stream().map(Ipv4Address::toString).toList()),
                Set.copyOf(node.arm.secondaryAddresses(node.primaryNic())));
    }

    @Test
    void assignAndUnassign_foreignIpConfiguration_isSentBackUnchanged() throws Exception {
        start();
        String foreign = node.arm.addForeignIpConfiguration(node.primaryNic(), "lb-frontend");

        List<Ipv4Address> added = provider.assign(node.primaryNic(), 3, 0).addresses();
        provider.unassign(node.primaryNic(), added, List.of());

        assertEquals(List.of(), node.arm.modifiedExisting(), "existing ip-configurations changed by a PUT");
        assertEquals(List.of(foreign), node.arm.secondaryAddresses(node.primaryNic()));
    }

    @Test
    void unassign_foreignAddressAmongOthers_removesOnlyOursThatWasAsked() throws Exception {
        start();
        String foreign = node.arm.addForeignIpConfiguration(node.primaryNic(), "lb-frontend");
        List<Ipv4Address> added = provider.assign(node.primaryNic(), 2, 0).addresses();
        NetworkInterface primary = provider.describeNode().primaryInterface();
        assertEquals(Set.copyOf(added), Set.copyOf(primary.secondaryAddresses()), "only ipamd's configurations are the pool");

        provider.unassign(node.primaryNic(), List.of(added.getFirst(), primary.primaryAddress(), Ipv4Address.parse(foreign)),
                List.of());

        NetworkInterface after = provider.describeNode().primaryInterface();
        assertEquals(primary.primaryAddress(), after.primaryAddress(), "the primary address must never go");
        assertEquals(List.of(added.get(1)), after.secondaryAddresses());
        assertEquals(Set.of(foreign, added.get(1).toString()), Set.copyOf(node.arm.secondaryAddresses(node.primaryNic())),
                "the foreign configuration must stay on the NIC");
    }

    @Test
    void describeAssignUnassign_foreignConfigurationWithPublicIp_isNeverPoolAndSentBackByteIdentical() throws Exception {
        start();
        String foreign = node.arm.addIpConfigurationWithPublicIp(node.primaryNic(), "user-frontend");
        Map<String, Object> stored = node.arm.ipConfigurationProperties(node.primaryNic(), "user-frontend");

        assertFalse(provider.describeNode().primaryInterface().secondaryAddresses().contains(Ipv4Address.parse(foreign)),
                "a user's ip-configuration with a public IP reported as a pool address");
        List<Ipv4Address> added = provider.assign(node.primaryNic(), 3, 0).addresses();
        provider.unassign(node.primaryNic(), List.of(added.getFirst(), Ipv4Address.parse(foreign)), List.of());
        provider.unassign(node.primaryNic(), added.subList(1, 3), List.of());

        assertFalse(added.contains(Ipv4Address.parse(foreign)));
        List<String> sent = node.arm.sentIpConfigurations("user-frontend");
        assertEquals(3, sent.size(), "one assign and two unassigns, each a PUT carrying the configuration");
        assertEquals(1, Set.copyOf(sent).size(), "the foreign configuration changed between PUTs: " + sent);
        assertTrue(sent.getFirst().contains("publicIPAddresses/user-frontend-pip"), sent.getFirst());
        assertEquals(List.of(), node.arm.modifiedExisting(), "existing ip-configurations changed by a PUT");
        assertEquals(withoutProvisioningState(stored), withoutProvisioningState(node.arm.ipConfigurationProperties(node.primaryNic(), "user-frontend")));
        assertEquals(List.of(foreign), node.arm.secondaryAddresses(node.primaryNic()));
    }

    @Test
    void describeAndUnassign_configurationWithOurPrefixButAPublicIp_isNeverOurs() throws Exception {
        start();
        String linked = node.arm.addIpConfigurationWithPublicIp(node.primaryNic(), AzureProvider.CONFIG_PREFIX + "0123456789abcdef");
        String pooled = node.arm.addForeignIpConfiguration(node.primaryNic(), AzureProvider.CONFIG_PREFIX + "00000000000000aa");

        List<Ipv4Address> seen = provider.describeNode().primaryInterface().secondaryAddresses();
        provider.unassign(node.primaryNic(), List.of(Ipv4Address.parse(linked), Ipv4Address.parse(pooled)), List.of());

        assertEquals(List.of(), seen, "a public IP or a load-balancer pool makes a configuration the user's");
        assertEquals(0, node.arm.nicPuts(), "nothing of ours was asked for, so nothing is written");
        assertEquals(Set.of(linked, pooled), Set.copyOf(node.arm.secondaryAddresses(node.primaryNic())));
    }

    private static Map<String, Object> withoutProvisioningState(Map<String, Object> props) {
        Map<String, Object> copy = new java.util.HashMap<>(props);
        copy.remove("provisioningState");
        return copy;
    }

    @Test
    void assign_etagMovedByAnotherWriter_rereadsAndAppliesOnce() throws Exception {
        start();
        node.arm.concurrentWriterBeforeNextPuts(2);

        Assignment added = provider.assign(node.primaryNic(), 4, 0);

        assertEquals(4, added.addresses().size());
        assertEquals(2, node.arm.preconditionFailures(), "each PUT must carry If-Match with the ETag it read");
        assertEquals(1, node.arm.nicPuts(), "the two 412s must not have been accepted");
        assertEquals(4, node.arm.secondaryAddresses(node.primaryNic()).size());
    }

    @Test
    void assign_operationFailsWithConflict_reappliesWithoutDuplicates() throws Exception {
        start();
        node.arm.failNextOperation("AnotherOperationInProgress");

        Assignment added = provider.assign(node.primaryNic(), 5, 0);

        assertEquals(2, node.arm.nicPuts(), "the failed operation's PUT and the re-applied one");
        assertEquals(5, added.addresses().size());
        assertEquals(5, node.arm.secondaryAddresses(node.primaryNic()).size());
    }

    @Test
    void assign_throttledWithRetryAfter_waitsThatLongThenSucceeds() throws Exception {
        AtomicInteger throttles = new AtomicInteger();
        start("10.240.0.0/22", 1, Map.of(), new CloudCallListener() {
            @Override
            public void onThrottle(String verb) {
                throttles.incrementAndGet();
            }
        });
        node.arm.throttleNext(1, 1);
        long t0 = System.nanoTime();

        provider.assign(node.primaryNic(), 2, 0);

        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(took.compareTo(Duration.ofMillis(950)) >= 0, "retried after " + took + ", before Retry-After: 1");
        assertEquals(1, throttles.get());
        assertEquals(2, node.arm.secondaryAddresses(node.primaryNic()).size());
    }

    @Test
    void assign_retryAfterLongerThanAllowed_throwsThrottledWithTheHint() throws Exception {
        start("10.240.0.0/22", 1, Map.of("AZURE_API_MAX_RETRY_AFTER", "2s"), CloudCallListener.NOOP);
        node.arm.throttleNext(1, 40);

        CloudException.Throttled e = assertThrows(CloudException.Throttled.class,
                () -> provider.assign(node.primaryNic(), 2, 0));

        assertEquals(Duration.ofSeconds(40), e.retryAfter());
        assertEquals(0, node.arm.nicPuts());
    }

    @Test
    void assign_serverErrorsThenSuccess_retriesTransparently() throws Exception {
        start();
        node.arm.failNextWrites(2, 503, "ServiceUnavailable");

        assertEquals(3, provider.assign(node.primaryNic(), 3, 0).addresses().size());
        assertEquals(1, node.arm.nicPuts());
    }

    @Test
    void assign_serverErrorsPersist_throwsTransientFatal() throws Exception {
        start("10.240.0.0/22", 1, Map.of("AZURE_API_MAX_ATTEMPTS", "3"), CloudCallListener.NOOP);
        node.arm.failNextWrites(3, 500, "InternalServerError");

        CloudException.Fatal e = assertThrows(CloudException.Fatal.class, () -> provider.assign(node.primaryNic(), 1, 0));

        assertTrue(e.retryable());
        assertEquals("InternalServerError", e.code());
    }

    @Test
    void assign_azureTenSecondRetryAfter_returnsOnceTheNicHasSucceeded_notAfterTheHint() throws Exception {
        start();
        node.arm.operationDuration(Duration.ofMillis(300)); // Retry-After stays Azure's 10 s
        long t0 = System.nanoTime();

        Assignment added = provider.assign(node.primaryNic(), 5, 0);

        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(took.compareTo(Duration.ofMillis(300)) >= 0, "returned after " + took + ", before the operation ended");
        assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "waited " + took + " on a 10 s Retry-After");
        assertEquals(5, added.addresses().size());
        assertEquals(0, node.arm.operationPolls(), "the status URL was polled before its Retry-After");
    }

    @Test
    void assign_failedReadsWhileTheOperationRuns_readsAgainWithoutResendingThePut() throws Exception {
        start("10.240.0.0/22", 1, Map.of("AZURE_API_MAX_ATTEMPTS", "1"), CloudCallListener.NOOP);
        node.arm.operationDuration(Duration.ofMillis(200));
        node.arm.failReadsAfterNextPut(3, 503, "ServiceUnavailable");

        Assignment added = provider.assign(node.primaryNic(), 20, 0);

        assertEquals(1, node.arm.nicPuts(), "a failed status read re-sent the PUT");
        assertEquals(20, added.addresses().size());
        assertEquals(Set.copyOf(added.addresses().stream().map(Ipv4Address::toString).toList()),
                Set.copyOf(node.arm.secondaryAddresses(node.primaryNic())));
    }

    @Test
    void assign_nicBusyWithAnotherWritersOperation_waitsForItInsteadOfDrawingA429() throws Exception {
        start();
        node.arm.operationDuration(Duration.ofMillis(300));
        node.arm.startForeignOperation(node.primaryNic());

        Assignment added = provider.assign(node.primaryNic(), 3, 0);

        assertEquals(3, added.addresses().size());
        assertEquals(0, node.arm.busyRefusals(), "a PUT was sent to a NIC ARM still reported Updating");
    }

    @Test
    void fake_busyNic_answers429WithRetryAfterTen() throws Exception {
        start("10.240.0.0/22", 1, Map.of("AZURE_API_MAX_ATTEMPTS", "1"), CloudCallListener.NOOP);
        node.arm.operationDuration(Duration.ofSeconds(30));
        node.arm.startForeignOperation(node.primaryNic());
        SdkArm raw = new SdkArm(AzureSettings.fromEnv(node.env()), node.arm.subscription(), TestNode.FAKE_TOKEN);
        Arm.Nic nic = raw.getNic(node.primaryNic());

        ArmException e = assertThrows(ArmException.class, () -> raw.updateIpConfigurations(nic,
                List.of(new Arm.NewIpConfig("ipamd-00000000000000ff", node.arm.nodeSubnetId(), List.of())), Set.of()));

        assertEquals(429, e.status());
        assertEquals(Duration.ofSeconds(10), e.retryAfter());
        assertTrue(nic.busy());
    }

    @Test
    void everyCall_userAgent_isOursWithItsVersionBeforeTheSdks() throws Exception {
        start();

        provider.describeNode();

        Set<String> agents = node.arm.userAgents();
        assertEquals(1, agents.size(), agents.toString());
        String agent = agents.iterator().next();
        assertTrue(agent.matches("vpc-ipam/[0-9][^ ]* azsdk-java-azure-resourcemanager-network/2\\.57\\.0 \\(.+\\)"), agent);
    }

    @Test
    void everyCall_withATokenArmDidNotIssue_isRefused() throws Exception {
        node = new TestNode("10.240.0.0/22", 1);
        Map<String, String> env = node.env();
        ProviderContext ctx = new ProviderContext(env, java.nio.file.Path.of("target"), java.time.InstantSource.system(),
                CloudCallListener.NOOP);
        com.azure.core.credential.TokenCredential forged = c -> reactor.core.publisher.Mono.just(
                new com.azure.core.credential.AccessToken("forged", java.time.OffsetDateTime.now().plusHours(1)));
        provider = AzureProviderFactory.create(ctx, AzureSettings.fromEnv(env), forged);

        CloudException.Fatal e = assertThrows(CloudException.Fatal.class, () -> provider.describeNode());

        assertEquals("InvalidAuthenticationToken", e.code());
        assertTrue(node.arm.unauthenticated() >= 1);
    }

    @Test
    void assign_moreThanTheSubnetHolds_throwsCapacitySubnetAndChangesNothing() throws Exception {
        start("10.240.0.0/28", 1, Map.of(), CloudCallListener.NOOP); // 16 - 5 reserved - 1 primary = 10 free

        CloudException.CapacityExhausted e = assertThrows(CloudException.CapacityExhausted.class,
                () -> provider.assign(node.primaryNic(), 11, 0));

        assertEquals(CloudException.CapacityExhausted.Scope.SUBNET, e.scope());
        assertEquals("SubnetIsFull", e.code());
        assertEquals(List.of(), node.arm.secondaryAddresses(node.primaryNic()));
        assertEquals(10, provider.assign(node.primaryNic(), 10, 0).addresses().size());
    }

    @Test
    void assign_pastTheNicLimit_throwsCapacityInterfaceWithoutAPut() throws Exception {
        start("10.240.0.0/22", 1, Map.of(), CloudCallListener.NOOP);
        provider.assign(node.primaryNic(), 255, 0);
        int puts = node.arm.nicPuts();

        CloudException.CapacityExhausted e = assertThrows(CloudException.CapacityExhausted.class,
                () -> provider.assign(node.primaryNic(), 1, 0));

        assertEquals(CloudException.CapacityExhausted.Scope.INTERFACE_ADDRESSES, e.scope());
        assertEquals(puts, node.arm.nicPuts());
    }

    @Test
    void assign_twoNicVm_asksOnlyForWhatTheVmLimitLeaves_thenRefusesWithoutAPut() throws Exception {
        List<String> outcomes = new java.util.concurrent.CopyOnWriteArrayList<>();
        start("10.240.0.0/22", 2, Map.of(), new CloudCallListener() {
            @Override
            public void onCall(String verb, Duration elapsed, String condition) {
                if (condition != null) {
                    outcomes.add(verb + ":" + condition);
                }
            }
        });

        Assignment first = provider.assign(node.primaryNic(), 255, 0);
        int puts = node.arm.nicPuts();
        CloudException.CapacityExhausted e = assertThrows(CloudException.CapacityExhausted.class,
                () -> provider.assign(node.vm.nicIds().get(1), 10, 0));

        assertEquals(254, first.addresses().size(), "256 per VM less the two NICs' primaries");
        assertEquals("PrivateIPAddressesPerVmLimitReached", e.code());
        assertEquals(CloudException.CapacityExhausted.Scope.INSTANCE_ADDRESSES, e.scope());
        assertEquals(puts, node.arm.nicPuts(), "a PUT Azure would refuse was sent");
        assertEquals(0, node.arm.vmLimitRefusals());
        assertEquals(List.of("UpdateNetworkInterface:capacity"), outcomes, "the refusal is counted in the metrics");
    }

    @Test
    void assign_nicWithForeignConfigurations_countsThemAndAsksForWhatFits() throws Exception {
        start();
        node.arm.addForeignIpConfiguration(node.primaryNic(), "lb-frontend-1");
        node.arm.addForeignIpConfiguration(node.primaryNic(), "lb-frontend-2");

        Assignment added = provider.assign(node.primaryNic(), 255, 0);
        int puts = node.arm.nicPuts();
        CloudException.CapacityExhausted e = assertThrows(CloudException.CapacityExhausted.class,
                () -> provider.assign(node.primaryNic(), 1, 0));

        assertEquals(253, added.addresses().size(), "256 less the primary and the two foreign configurations");
        assertEquals(List.of(253), node.arm.addedPerPut());
        assertEquals("MaxNumberOfIpConfigurationsPerNicReached", e.code());
        assertEquals(puts, node.arm.nicPuts());
    }

    @Test
    void describeNode_twoNics_reportsPrimaryAtZeroLimitsAndColonMacs() throws Exception {
        start("10.240.0.0/22", 2, Map.of(), CloudCallListener.NOOP);

        NodeInfo info = provider.describeNode();

        assertEquals(node.vm.name(), info.instanceId());
        assertEquals("Standard_D4s_v5", info.instanceType());
        assertEquals("eastus-1", info.zone());
        assertEquals(2, info.limits().maxInterfaces());
        assertEquals(256, info.limits().addressesPerInterface());
        assertEquals(254, info.limits().poolAddressesPerInstance(), "256 per VM less the two primaries, not 2 x 255");
        assertEquals(List.of(0, 1), info.interfaces().stream().map(NetworkInterface::deviceIndex).toList());
        assertEquals(node.vm.nicIds().getFirst(), info.primaryInterface().id());
        assertEquals(node.vm.macs().getFirst().replace('-', ':').toLowerCase(), info.primaryInterface().mac());
        assertEquals("10.240.0.0/16", info.vpcCidrs().getFirst().toString());
        assertFalse(provider.capabilities().hotAttachInterfaces());
        assertFalse(provider.capabilities().prefixDelegation());
    }

    @Test
    void describeNode_vmLimit_countsForeignConfigurationsAndKeepsThePoolsOwn() throws Exception {
        start("10.240.0.0/22", 2, Map.of(), CloudCallListener.NOOP);
        node.arm.addForeignIpConfiguration(node.vm.nicIds().get(1), "lb-frontend");
        provider.assign(node.primaryNic(), 100, 0);

        NodeInfo info = provider.describeNode();

        assertEquals(253, info.limits().poolAddressesPerInstance(), "256 less two primaries and one foreign");
        assertEquals(153, info.limits().poolAddressesPerInstance()
                - info.interfaces().stream().mapToInt(i -> i.secondaryAddresses().size()).sum(), "room left on the VM");
    }

    @Test
    void deleteInterface_attachedSecondaryNic_isRefusedAsConflict() throws Exception {
        start("10.240.0.0/22", 2, Map.of(), CloudCallListener.NOOP);

        CloudException.Conflict e = assertThrows(CloudException.Conflict.class,
                () -> provider.deleteInterface(node.vm.nicIds().get(1)));

        assertEquals("NicInUse", e.code());
        assertEquals(2, provider.describeNode().interfaces().size());
    }

    @Test
    void deleteInterface_detachedNic_isDeletedAndItsAddressFreed() throws Exception {
        start();
        String leaked = node.arm.addDetachedNic("leaked", Map.of("k", "v"));
        assertEquals(1, provider.findOrphanedInterfaces(Map.of("k", "v")).size());

        provider.deleteInterface(leaked);

        assertEquals(List.of(), provider.findOrphanedInterfaces(Map.of("k", "v")));
    }

    @Test
    void createInterface_isRefusedBecauseAzureCannotHotAttach() throws Exception {
        start();

        CloudException.Fatal e = assertThrows(CloudException.Fatal.class, () -> provider.createInterface(
                new io.vpcipam.provider.InterfaceSpec(node.arm.nodeSubnetId(), List.of(), 1, 0, Map.of(), "")));

        assertEquals("HotAttachNotSupported", e.code());
    }

    @Test
    void everyCall_carriesABearerToken_andAssignsNeverRepeatAnAddress() throws Exception {
        start();
        Set<Ipv4Address> seen = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            for (Ipv4Address a : provider.assign(node.primaryNic(), 7, 0).addresses()) {
                assertTrue(seen.add(a), a + " handed out twice");
            }
        }

        assertEquals(0, node.arm.unauthenticated());
        assertTrue(node.arm.addressHolders().values().stream().allMatch(c -> c == 1), node.arm.addressHolders().toString());
    }

    @Test
    void nicTaggedNoManage_isReportedExcluded_andNeverChanged() throws Exception {
        try (TestNode node = new TestNode("10.240.0.0/22", 2)) {
            String second = node.vm.nicIds().get(1);
            node.arm.tagNic(second, NetworkInterface.NO_MANAGE_TAG, "true");
            AzureProvider provider = node.provider();
            int puts = node.arm.nicPuts();

            NetworkInterface ni = provider.describeNode().interfaces().stream().filter(i -> i.id().equals(second))
                    .findFirst().orElseThrow();

            assertEquals(NetworkInterface.Exclusion.NO_MANAGE_TAG, ni.exclusion());
            assertEquals("OperationNotPermitted",
                    assertThrows(CloudException.Fatal.class, () -> provider.assign(second, 1, 0)).code());
            assertThrows(CloudException.Fatal.class,
                    () -> provider.unassign(second, List.of(ni.primaryAddress()), List.of()));
            assertEquals(puts, node.arm.nicPuts(), "a no-manage NIC was written");
        }
    }
}
