package io.vpcipam.it.azure;

import io.vpcipam.it.IpamdProcess;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.protocol.StatusInfo;
import io.vpcipam.provider.azure.fake.FakeArm;
import io.vpcipam.provider.azure.fake.FakeImds;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real daemon, as users run it ({@code ipamd run --provider azure}, the provider loaded from
 * {@code providers/azure/} beside ipamd.jar), against the fake ARM and IMDS endpoints. Its token comes from the
 * fake IMDS through azure-identity's managed identity credential, as on a VM.
 */
class IpamdAzureIT {

    /**
     * How long ipamd may take to serve its socket: its first Resource Manager call (a managed-identity token, the SDK's
     * classes loaded) took 35 s and more on this shared machine at load 20, past the 60 s this used to allow.
     */
    private static final Duration START = Duration.ofSeconds(180);

    @TempDir
    Path dir;

    private FakeArm arm;
    private FakeArm.Vm vm;
    private FakeImds imds;

    @BeforeEach
    void startFakes() throws Exception {
        arm = FakeArm.start("10.240.0.0/22");
    }

    /** The node ipamd runs on: a standalone VM with one NIC unless a test says otherwise. */
    private void node(FakeArm.Vm node) throws Exception {
        vm = node;
        imds = FakeImds.start(arm, vm);
    }

    @AfterEach
    void stopFakes() {
        if (imds != null) {
            imds.close();
        }
        arm.close();
    }

    private Map<String, String> env(int warm) {
        Map<String, String> env = new HashMap<>();
        env.put("AZURE_RESOURCE_MANAGER_ENDPOINT", arm.endpoint().toString());
        env.put("AZURE_METADATA_ENDPOINT", imds.endpoint().toString());
        // azure-identity's managed identity reads its token from this IMDS host instead of 169.254.169.254
        env.put("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds.endpoint().toString().replaceAll("/$", ""));
        // no AZURE_LRO_POLL_INTERVAL, no IPAMD_ADD_TIMEOUT: the defaults against the fake's Azure timing
        // (Retry-After: 10 on every NIC update, each operation running 1 s on the server)
        env.put("WARM_IP_TARGET", String.valueOf(warm));
        env.put("IPAMD_RECONCILE_INTERVAL", "200ms");
        // any free port: other daemons (and other tests) may hold the defaults on this machine
        env.put("IPAMD_METRICS_ADDRESS", "127.0.0.1:0");
        env.put("IPAMD_INTROSPECTION_ADDRESS", "127.0.0.1:0");
        return env;
    }

    static Request add(int i) {
        return IpamdProcess.podAdd(i);
    }

    @Test
    void run_warmsThePoolInBatchedNicUpdates_andServesABurst() throws Exception {
        node(arm.addVm("aks-nodepool1-31337-vm000000", "Standard_D8s_v5", 1));
        try (IpamdProcess ipamd = IpamdProcess.start("azure", dir, env(32), START)) {
            StatusInfo warm = awaitStatus(ipamd, s -> s.pool().free() >= 32, Duration.ofSeconds(30));

            int warmPuts = arm.nicPuts();
            System.out.printf("azure warm-up: %d free addresses in %d NIC PUT(s), added per PUT %s%n",
                    warm.pool().free(), warmPuts, arm.addedPerPut());
            assertEquals("azure", warm.provider());
            assertEquals(vm.name(), warm.instanceId());
            assertTrue(warmPuts <= 2, "32 warm addresses took " + warmPuts + " NIC PUTs: " + arm.addedPerPut());
            assertTrue(imds.tokensIssued() >= 1, "no managed-identity token was asked of IMDS");
            assertEquals(0, arm.unauthenticated());

            Set<String> addresses = new HashSet<>();
            for (Reply r : ipamd.addPods(0, 48)) {
                assertTrue(r.ok(), String.valueOf(r.error()));
                assertTrue(addresses.add(r.lease().address()), "handed out twice: " + r.lease().address());
                assertTrue(r.lease().address().startsWith("10.240."), r.lease().address());
                assertEquals(vm.nicIds().getFirst(), r.lease().interfaceId());
            }
            Set<String> onNic = Set.copyOf(arm.secondaryAddresses(vm.nicIds().getFirst()));
            assertTrue(onNic.containsAll(addresses), "a leased address is not on the NIC");
            System.out.printf("azure burst of 48: %d NIC PUT(s) in all, added per PUT %s%n", arm.nicPuts(),
                    arm.addedPerPut());
            assertEquals(List.of(), arm.modifiedExisting());
        }
    }

    @Test
    void onAUniformScaleSetInstanceWithTwoNics_servesABurstThroughInstanceUpdates_andReportsTheVmLimit()
            throws Exception {
        node(arm.addScaleSetInstance("aks-nodepool1-31337-vmss", 4, "Standard_D8s_v5", 2));
        try (IpamdProcess ipamd = IpamdProcess.start("azure", dir, env(32), START)) {
            StatusInfo warm = awaitStatus(ipamd, s -> s.pool().free() >= 32, Duration.ofSeconds(30));
            assertEquals("aks-nodepool1-31337-vmss_4", warm.instanceId());
            assertEquals(254, warm.maxAddresses(), "256 per VM less the two NICs' primaries, not 2 x 255");

            Set<String> addresses = new HashSet<>();
            for (Reply r : ipamd.addPods(0, 48)) {
                assertTrue(r.ok(), String.valueOf(r.error()));
                assertTrue(addresses.add(r.lease().address()), "handed out twice: " + r.lease().address());
            }
            Set<String> onNics = new HashSet<>(arm.secondaryAddresses(vm.nicIds().get(0)));
            onNics.addAll(arm.secondaryAddresses(vm.nicIds().get(1)));
            assertTrue(onNics.containsAll(addresses), "a leased address is not on the instance's NICs");
            System.out.printf("azure scale-set instance, burst of 48: %d instance update(s), added per update %s%n",
                    arm.instancePuts(), arm.addedPerPut());
            assertEquals(0, arm.nicPuts(), "a Uniform instance's NIC was PUT directly");
            assertTrue(arm.instancePuts() >= 1);
            assertEquals(0, arm.imageReferenceRefusals());
            assertEquals(List.of(), arm.modifiedExisting());
            assertEquals(254, ipamd.call(Request.status()).status().maxAddresses());
        }
    }

    @Test
    void killMinus9_thenRestart_noLeaseTwiceAndEveryLeaseOnTheNic() throws Exception {
        node(arm.addVm("aks-nodepool1-31337-vm000000", "Standard_D8s_v5", 1));
        Map<String, String> before = new HashMap<>();
        IpamdProcess first = IpamdProcess.start("azure", dir, env(8), START);
        try {
            for (Reply r : first.addPods(0, 20)) {
                assertTrue(r.ok(), String.valueOf(r.error()));
                before.put(r.lease().address(), r.lease().interfaceId());
            }
            assertEquals(20, before.size());
            // more ADDs in flight when the node dies: a NIC PUT may be mid-operation
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 20; i < 40; i++) {
                    int n = i;
                    ex.submit(() -> first.call(add(n)));
                }
                Thread.sleep(40);
                first.kill();
            }
        } finally {
            first.kill();
        }
        try (IpamdProcess second = IpamdProcess.start("azure", dir, env(8), START)) {
            for (int i = 0; i < 20; i++) {
                Reply r = second.call(Request.check("vpc-ipam", "container-" + i, "eth0"));
                assertTrue(r.ok(), "lease of container-" + i + " lost: " + r.error());
            }
            for (Reply r : second.addPods(0, 60)) {
                assertTrue(r.ok(), String.valueOf(r.error()));
            }
            Set<String> leased = new HashSet<>();
            for (StatusInfo.LeaseStatus l : second.call(Request.status()).status().leases()) {
                assertTrue(leased.add(l.address()), "address leased twice after restart: " + l.address());
            }
            assertEquals(60, leased.size());
            assertTrue(leased.containsAll(before.keySet()), "a lease acknowledged before kill -9 changed address");
            Set<String> onNic = Set.copyOf(arm.secondaryAddresses(vm.nicIds().getFirst()));
            assertTrue(onNic.containsAll(leased), "leased but not on the NIC: " + difference(leased, onNic));
            assertTrue(arm.addressHolders().values().stream().allMatch(c -> c == 1), "the fake holds an address twice");
        }
    }

    private static Set<String> difference(Set<String> a, Set<String> b) {
        Set<String> d = new HashSet<>(a);
        d.removeAll(b);
        return d;
    }


    private static StatusInfo awaitStatus(IpamdProcess ipamd, Predicate<StatusInfo> done, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        StatusInfo s = null;
        while (System.nanoTime() < deadline) {
            s = ipamd.call(Request.status()).status();
            if (done.test(s)) {
                return s;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not reached in " + timeout + "; last status " + s + "\n" + ipamd.log());
    }
}
