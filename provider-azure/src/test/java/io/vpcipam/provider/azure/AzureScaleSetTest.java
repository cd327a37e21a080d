package io.vpcipam.provider.azure;

import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.CloudCallListener;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NodeInfo;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Uniform scale-set instance (AKS's VirtualMachineScaleSets node pools): its NICs are read under the instance and
 * changed through the instance's model ({@code VirtualMachineScaleSetVMs_Update}), with the same batching, ETag and
 * long-running-operation discipline as a standalone VM's NIC PUT. Against the fake ARM's scale-set VM endpoints.
 */
class AzureScaleSetTest extends OnTestNode {

    private void start(int nics, Map<String, String> env) throws Exception {
        start("10.240.0.0/22", nics, true, env, CloudCallListener.NOOP);
    }

    @Test
    void describeNode_uniformInstance_readsItsNicsUnderTheInstance() throws Exception {
        start(1, Map.of());

        NodeInfo info = provider.describeNode();

        assertEquals("aks-nodepool1-12345678-vmss_3", info.instanceId());
        assertEquals(List.of(node.primaryNic()), info.interfaces().stream().map(i -> i.id()).toList());
        assertTrue(info.primaryInterface().id().contains("/virtualMachineScaleSets/aks-nodepool1-12345678-vmss"
                + "/virtualMachines/3/networkInterfaces/"), info.primaryInterface().id());
        assertEquals(node.vm.macs().getFirst().replace('-', ':').toLowerCase(), info.primaryInterface().mac());
        assertEquals(List.of(), info.primaryInterface().secondaryAddresses(), "the load balancer's primary is no pool address");
        assertEquals(255, info.limits().poolAddressesPerInstance());
    }

    @Test
    void assign_thirtyAddresses_isOneInstanceUpdate_noNicPut_andTheModelGoesBackAsRead() throws Exception {
        start(1, Map.of());
        node.arm.operationDuration(Duration.ofMillis(300)); // Retry-After stays Azure's 10 s
        long t0 = System.nanoTime();

        Assignment added = provider.assign(node.primaryNic(), 30, 0);

        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertEquals(1, node.arm.instancePuts());
        assertEquals(0, node.arm.nicPuts(), "a Uniform instance's NIC is never PUT directly");
        assertEquals(List.of(30), node.arm.addedPerPut());
        assertEquals(30, Set.copyOf(added.addresses()).size());
        assertEquals(Set.copyOf(added.addresses().stream().map(Ipv4Address::toString).toList()),
                Set.copyOf(node.arm.secondaryAddresses(node.primaryNic())));
        assertEquals(0, node.arm.imageReferenceRefusals(), "the gallery image reference was sent back");
        assertEquals(List.of(), node.arm.modifiedExisting(), "the primary ip-configuration (LB pool) changed");
        assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "waited " + took + " on a 10 s Retry-After");
        assertEquals(0, node.arm.operationPolls(), "the status URL was polled before its Retry-After");
        assertTrue(node.arm.instanceModel(node.vm.id()).toString().contains("imageReference"),
                "the instance's image must be left as it was");
    }

    @Test
    void unassign_severalAddresses_isOneInstanceUpdateAndLeavesTheRest() throws Exception {
        start(1, Map.of());
        List<Ipv4Address> added = provider.assign(node.primaryNic(), 10, 0).addresses();

        provider.unassign(node.primaryNic(), added.subList(0, 6), List.of());

        assertEquals(2, node.arm.instancePuts());
        assertEquals(Set.copyOf(added.subList(6, 10).stream().map(Ipv4Address::toString).toList()),
                Set.copyOf(node.arm.secondaryAddresses(node.primaryNic())));
        assertEquals(Set.copyOf(added.subList(6, 10)), Set.copyOf(provider.describeNode().primaryInterface()
                .secondaryAddresses()));
    }

    @Test
    void assign_instanceEtagMovedByAnotherWriter_rereadsAndAppliesOnce() throws Exception {
        start(1, Map.of());
        node.arm.concurrentWriterBeforeNextPuts(2);

        Assignment added = provider.assign(node.primaryNic(), 4, 0);

        assertEquals(4, added.addresses().size());
        assertEquals(2, node.arm.preconditionFailures(), "each update must carry If-Match with the instance's ETag");
        assertEquals(1, node.arm.instancePuts());
        assertEquals(4, node.arm.secondaryAddresses(node.primaryNic()).size());
    }

    @Test
    void assign_instanceBusyWithAnotherOperation_waitsForItInsteadOfDrawingA429() throws Exception {
        start(1, Map.of());
        node.arm.operationDuration(Duration.ofMillis(300));
        node.arm.startForeignInstanceOperation(node.vm.id());

        Assignment added = provider.assign(node.primaryNic(), 3, 0);

        assertEquals(3, added.addresses().size());
        assertEquals(0, node.arm.busyRefusals(), "an update was sent to an instance ARM still reported Updating");
    }

    @Test
    void fake_busyInstance_answers429WithRetryAfterTen() throws Exception {
        start(1, Map.of("AZURE_API_MAX_ATTEMPTS", "1"));
        node.arm.operationDuration(Duration.ofSeconds(30));
        SdkArm raw = new SdkArm(AzureSettings.fromEnv(node.env()), node.arm.subscription(), TestNode.FAKE_TOKEN);
        node.arm.startForeignInstanceOperation(node.vm.id());
        Arm.Nic nic = raw.getNic(node.primaryNic());

        ArmException e = assertThrows(ArmException.class, () -> raw.updateIpConfigurations(nic,
                List.of(new Arm.NewIpConfig("ipamd-00000000000000ff", node.arm.nodeSubnetId(), List.of())), Set.of()));

        assertTrue(nic.busy(), "the NIC of an instance being updated must read busy");
        assertEquals(429, e.status());
        assertEquals(Duration.ofSeconds(10), e.retryAfter());
    }

    @Test
    void assign_operationFails_modelRolledBack_reappliedWithoutDuplicates() throws Exception {
        start(1, Map.of());
        node.arm.failNextOperation("AnotherOperationInProgress");

        Assignment added = provider.assign(node.primaryNic(), 5, 0);

        assertEquals(2, node.arm.instancePuts(), "the failed operation's update and the re-applied one");
        assertEquals(5, added.addresses().size());
        assertEquals(5, node.arm.secondaryAddresses(node.primaryNic()).size());
    }

    @Test
    void assign_failedReadsWhileTheOperationRuns_readsAgainWithoutResendingTheUpdate() throws Exception {
        start(1, Map.of("AZURE_API_MAX_ATTEMPTS", "1"));
        node.arm.operationDuration(Duration.ofMillis(200));
        node.arm.failReadsAfterNextPut(3, 503, "ServiceUnavailable");

        Assignment added = provider.assign(node.primaryNic(), 20, 0);

        assertEquals(1, node.arm.instancePuts(), "a failed read re-sent the update");
        assertEquals(20, added.addresses().size());
    }

    @Test
    void assign_twoNicInstance_asksOnlyForWhatTheVmLimitLeaves_thenRefusesWithoutAnUpdate() throws Exception {
        start(2, Map.of());

        Assignment first = provider.assign(node.primaryNic(), 255, 0);
        int puts = node.arm.instancePuts();
        CloudException.CapacityExhausted e = assertThrows(CloudException.CapacityExhausted.class,
                () -> provider.assign(node.vm.nicIds().get(1), 10, 0));

        assertEquals(254, first.addresses().size(), "256 per VM less the two NICs' primaries");
        assertEquals("PrivateIPAddressesPerVmLimitReached", e.code());
        assertEquals(CloudException.CapacityExhausted.Scope.INSTANCE_ADDRESSES, e.scope());
        assertEquals(puts, node.arm.instancePuts(), "an update Azure would refuse was sent");
        assertEquals(0, node.arm.vmLimitRefusals());
        assertEquals(254, provider.describeNode().limits().poolAddressesPerInstance());
    }

    @Test
    void deleteInterface_instanceNic_isRefusedAsConflict() throws Exception {
        start(2, Map.of());

        CloudException.Conflict e = assertThrows(CloudException.Conflict.class,
                () -> provider.deleteInterface(node.vm.nicIds().get(1)));

        assertEquals("NicInUse", e.code());
    }

    @Test
    void flexibleScaleSetInstance_isAnOrdinaryVm_andTakesTheNicPath() throws Exception {
        node = new TestNode("10.240.0.0/22", 1, false);
        node.imds.reportFlexibleScaleSet("aks-flexpool-12345678");
        provider = node.provider();

        Assignment added = provider.assign(node.primaryNic(), 3, 0);

        assertEquals(3, added.addresses().size());
        assertEquals(1, node.arm.nicPuts(), "a Flexible instance's NIC is an ordinary NIC");
        assertEquals(0, node.arm.instancePuts());
        assertEquals(node.vm.name(), provider.describeNode().instanceId());
    }

    @Test
    void imds_withoutResourceId_uniformNameAndSetName_makeTheInstanceId() throws Exception {
        Imds.Instance uniform = Imds.parse("""
                {"compute":{"subscriptionId":"s","resourceGroupName":"mc_rg","name":"aks-np-1-vmss_12",
                "vmScaleSetName":"aks-np-1-vmss"}}""");
        Imds.Instance flexible = Imds.parse("""
                {"compute":{"subscriptionId":"s","resourceGroupName":"mc_rg","name":"aks-flex-1-vm7",
                "vmScaleSetName":"aks-flex-1"}}""");

        assertEquals("/subscriptions/s/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets"
                + "/aks-np-1-vmss/virtualMachines/12", uniform.resourceId());
        assertTrue(uniform.uniformScaleSetInstance());
        assertEquals("/subscriptions/s/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachines/aks-flex-1-vm7",
                flexible.resourceId());
        assertFalse(flexible.uniformScaleSetInstance());
        assertEquals("aks-flex-1", flexible.scaleSet());
    }

    @Test
    void fake_instanceUpdateNamingTheGalleryImage_isRefusedAsAzureDoesForAks() throws Exception {
        start(1, Map.of());
        Map<String, Object> model = node.arm.instanceModel(node.vm.id());
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(node.arm.endpoint().resolve(node.vm.id().substring(1)
                                + "?api-version=" + io.vpcipam.provider.azure.fake.FakeArm.COMPUTE_API))
                        .header("Authorization", "Bearer " + TestNode.FAKE_TOKEN_VALUE)
                        .header("Content-Type", "application/json")
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(toJson(model))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());

        assertEquals(403, r.statusCode(), r.body());
        assertTrue(r.body().contains("LinkedAuthorizationFailed"), r.body());
        assertEquals(1, node.arm.imageReferenceRefusals());
    }

    private static String toJson(Map<String, Object> m) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (com.azure.json.JsonWriter w = com.azure.json.JsonProviders.createWriter(out)) {
            w.writeUntyped(m);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
}
