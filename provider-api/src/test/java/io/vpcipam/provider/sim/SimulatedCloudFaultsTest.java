package io.vpcipam.provider.sim;

import io.vpcipam.provider.testkit.FakeClock;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.ProviderContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fault injection from the environment (issue 13.11): failed, throttled and lost-after-applied calls. */
class SimulatedCloudFaultsTest {

    @TempDir
    Path dir;
    final FakeClock now = FakeClock.at("2026-01-01T00:00:00Z");

    private CloudProvider sim(Map<String, String> env) {
        return new SimProviderFactory().create(new ProviderContext(env, dir, now, null));
    }

    private static CloudException fails(CloudProvider p) {
        return assertThrows(CloudException.class, p::describeNode);
    }

    @Test
    void faultRateOne_throttled_everyCallIsRefusedAsThrottled() {
        CloudProvider p = sim(Map.of(SimProviderFactory.FAULT_RATE, "1", SimProviderFactory.FAULT_KINDS, "throttled"));

        for (int i = 0; i < 5; i++) {
            CloudException e = fails(p);
            assertInstanceOf(CloudException.Throttled.class, e);
            assertTrue(((CloudException.Throttled) e).retryAfter().isPositive());
        }
    }

    @Test
    void faultRateOne_failed_isATransientServerErrorAndChangesNothing() throws Exception {
        SimulatedCloud clean = SimulatedCloud.builder().stateFile(dir.resolve(SimulatedCloud.STATE_FILE_NAME)).build();
        String eni = clean.peekNode().primaryInterface().id();
        CloudProvider p = sim(Map.of(SimProviderFactory.FAULT_RATE, "1", SimProviderFactory.FAULT_KINDS, "failed"));

        CloudException e = assertThrows(CloudException.class, () -> p.assign(eni, 3, 0));

        assertInstanceOf(CloudException.Fatal.class, e);
        assertTrue(e.retryable());
        assertEquals("unavailable", e.condition());
        assertTrue(((SimulatedCloud) p).heldAddresses().isEmpty(), "a failed call is not applied");
    }

    @Test
    void faultRateOne_lost_isAppliedButAnsweredAsATimeout() {
        CloudProvider p = sim(Map.of(SimProviderFactory.FAULT_RATE, "1", SimProviderFactory.FAULT_KINDS, "lost"));
        SimulatedCloud sim = (SimulatedCloud) p;
        String eni = sim.peekNode().primaryInterface().id();

        CloudException e = assertThrows(CloudException.class, () -> p.assign(eni, 3, 0));

        assertInstanceOf(CloudException.Fatal.class, e);
        assertTrue(e.retryable());
        assertEquals(3, sim.heldAddresses().size(), "a lost answer's call was applied");
    }

    @Test
    void lostCreate_leavesTheTaggedInterfaceDetached_asACreateWhoseAnswerNeverArrived() throws Exception {
        CloudProvider p = sim(Map.of(SimProviderFactory.FAULT_RATE, "1", SimProviderFactory.FAULT_KINDS, "lost"));
        SimulatedCloud sim = (SimulatedCloud) p;
        var spec = new io.vpcipam.provider.InterfaceSpec(sim.nodeSubnetId(), List.of(), 2, 0,
                Map.of("vpc-ipam.io/instance-id", sim.instanceId()), "");

        assertThrows(CloudException.Fatal.class, () -> p.createInterface(spec));

        assertEquals(1, sim.peekNode().interfaces().size(), "never attached: its id never reached the caller");
        sim.clearFaults();
        var orphans = sim.findOrphanedInterfaces(Map.of("vpc-ipam.io/instance-id", sim.instanceId()));
        assertEquals(1, orphans.size());
        assertEquals(2, orphans.getFirst().secondaryAddresses().size());
    }

    @Test
    void faultWindow_faultsStopWhenItEnds() throws Exception {
        CloudProvider p = sim(Map.of(SimProviderFactory.FAULT_RATE, "1", SimProviderFactory.FAULT_FOR_MS, "30000"));
        fails(p);
        now.set(now.instant().plus(Duration.ofSeconds(29)));
        fails(p);
        now.set(now.instant().plus(Duration.ofSeconds(1)));

        for (int i = 0; i < 20; i++) {
            p.describeNode();
        }
    }

    @Test
    void faultDelay_faultsBeginWhenItEnds_andLastTheirWindow() throws Exception {
        CloudProvider p = sim(Map.of(SimProviderFactory.FAULT_RATE, "1", SimProviderFactory.FAULT_AFTER_MS, "5000",
                SimProviderFactory.FAULT_FOR_MS, "10000"));
        p.describeNode();
        now.set(now.instant().plus(Duration.ofSeconds(5)));
        fails(p);
        now.set(now.instant().plus(Duration.ofMillis(9999)));
        fails(p);
        now.set(now.instant().plus(Duration.ofMillis(1)));
        p.describeNode();
    }

    @Test
    void sameSeed_sameFaults_andTheRateIsKept() {
        Map<String, String> env = new HashMap<>(Map.of(SimProviderFactory.FAULT_RATE, "0.3",
                SimProviderFactory.FAULT_SEED, "42"));
        List<String> first = outcomes(sim(env), 1000);
        Path other = dir.resolve("other");
        CloudProvider second = new SimProviderFactory().create(new ProviderContext(env, other, now, null));
        assertEquals(first, outcomes(second, 1000));
        long failed = first.stream().filter(s -> !s.equals("ok")).count();
        assertTrue(failed > 240 && failed < 360, failed + " of 1000 failed at rate 0.3");
        assertTrue(first.contains("throttled") && first.contains("unavailable"), "all kinds by default");
    }

    private static List<String> outcomes(CloudProvider p, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try {
                p.describeNode();
                out.add("ok");
            } catch (CloudException e) {
                out.add(e.condition());
            }
        }
        return out;
    }

    @Test
    void noFaultVariables_noFaults() throws Exception {
        CloudProvider p = sim(Map.of());
        for (int i = 0; i < 50; i++) {
            p.describeNode();
        }
        assertFalse(((SimulatedCloud) p).failedCalls(Verb.DESCRIBE_NODE) > 0);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "IPAMD_SIM_FAULT_RATE=1.5|IPAMD_SIM_FAULT_RATE|1.5",
            "IPAMD_SIM_FAULT_RATE=-0.1|IPAMD_SIM_FAULT_RATE|-0.1",
            "IPAMD_SIM_FAULT_RATE=often|IPAMD_SIM_FAULT_RATE|often",
            "IPAMD_SIM_FAULT_RATE=NaN|IPAMD_SIM_FAULT_RATE|NaN",
            "IPAMD_SIM_FAULT_RATE=0.5,IPAMD_SIM_FAULT_KINDS=failed;exploded|IPAMD_SIM_FAULT_KINDS|exploded",
            "IPAMD_SIM_FAULT_RATE=0.5,IPAMD_SIM_FAULT_FOR_MS=soon|IPAMD_SIM_FAULT_FOR_MS|soon",
            "IPAMD_SIM_FAULT_RATE=0.5,IPAMD_SIM_FAULT_FOR_MS=-1|IPAMD_SIM_FAULT_FOR_MS|-1",
            "IPAMD_SIM_FAULT_RATE=0.5,IPAMD_SIM_FAULT_SEED=x1|IPAMD_SIM_FAULT_SEED|x1",
            "IPAMD_SIM_FAULT_RATE=0.5,IPAMD_SIM_FAULT_AFTER_MS=later|IPAMD_SIM_FAULT_AFTER_MS|later",
            "IPAMD_SIM_FAULT_AFTER_MS=100|IPAMD_SIM_FAULT_RATE|",
            "IPAMD_SIM_FAULT_KINDS=lost|IPAMD_SIM_FAULT_RATE|",
            "IPAMD_SIM_FAULT_FOR_MS=100|IPAMD_SIM_FAULT_RATE|",
    })
    void badFaultSettings_failAtStartNamingTheVariable(String settings, String variable, String value) {
        Map<String, String> env = new HashMap<>();
        for (String kv : settings.split(",")) {
            String[] parts = kv.split("=", 2);
            env.put(parts[0], parts[1].replace(';', ','));
        }
        var e = assertThrows(IllegalArgumentException.class, () -> sim(env));
        assertTrue(e.getMessage().contains(variable), e.getMessage());
        if (value != null) {
            assertTrue(e.getMessage().contains(value), e.getMessage());
        }
    }
}
