package io.vpcipam.ipamd.simulate;

import io.vpcipam.ipamd.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Small fleets for a few virtual minutes: each runs in well under a second. */
class SimulationTest {

    @TempDir
    Path dir;

    /** Five nodes, churn and one burst, ten minutes: the base every test changes a few settings of. */
    private static Map<String, String> small(String... overrides) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("SIM_NODES", "5");
        s.put("SIM_DURATION", "10m");
        s.put("SIM_WARMUP", "1m");
        s.put("SIM_PODS_PER_NODE", "8");
        s.put("SIM_POD_LIFETIME", "3m");
        s.put("SIM_BURST_EVERY", "4m");
        s.put("SIM_BURST_PODS", "30");
        s.put("SIM_SUBNET_SIZE", "/22");
        for (int i = 0; i < overrides.length; i += 2) {
            s.put(overrides[i], overrides[i + 1]);
        }
        return s;
    }

    private static Result run(Map<String, String> settings) throws Exception {
        return Simulation.run(Scenario.of(settings));
    }

    @Test
    void run_sameSeed_sameResult() throws Exception {
        Result a = run(small("WARM_IP_TARGET", "3", "SIM_SEED", "42"));
        Result b = run(small("WARM_IP_TARGET", "3", "SIM_SEED", "42"));
        assertEquals(withoutRunLine(Report.table(a)), withoutRunLine(Report.table(b)));
        assertArrayEquals(a.idleSeries(), b.idleSeries());
        assertEquals(a.calls(), b.calls());
        assertEquals(a.passes(), b.passes());
        assertEquals(a.events(), b.events());
        assertTrue(a.adds() > 50, "the workload ran: " + a.adds());
        Result other = run(small("WARM_IP_TARGET", "3", "SIM_SEED", "43"));
        assertNotEquals(Arrays.toString(a.idleSeries()), Arrays.toString(other.idleSeries()),
                "another seed is another workload");
    }

    @Test
    void sweepOfSettings_sameWorkload() throws Exception {
        // the workload's random streams do not depend on the engine's settings: both runs see the same ADDs
        Result warmTwo = run(small("WARM_IP_TARGET", "2"));
        Result warmTen = run(small("WARM_IP_TARGET", "10"));
        assertEquals(warmTwo.adds() + warmTwo.nodeFull() + warmTwo.stillWaiting(),
                warmTen.adds() + warmTen.nodeFull() + warmTen.stillWaiting());
        assertTrue(warmTen.idleMean() > warmTwo.idleMean(), "a larger warm target holds more idle addresses");
    }

    @Test
    void burstLargerThanTheWarmPool_waitsForTheCloud() throws Exception {
        // 60 pods on 5 nodes at once, 2 warm each: most wait for an assign call (300 ms of latency at least)
        Result r = run(small("WARM_IP_TARGET", "2", "SIM_PODS_PER_NODE", "0", "SIM_BURST_PODS", "60",
                "SIM_BURST_SPREAD", "0s"));
        assertTrue(r.waited() >= 30, "most of the burst waited: " + r.waited());
        assertTrue(r.p99().compareTo(Duration.ofMillis(300)) >= 0, "p99 at least one call's latency: " + r.p99());
        assertTrue(r.calls().get("AssignPrivateIpAddresses") > 0);
        assertTrue(Report.table(r).contains("waited for the cloud"));

        // the same burst into a warm pool larger than it: nobody waits
        Result warm = run(small("WARM_IP_TARGET", "40", "SIM_PODS_PER_NODE", "0", "SIM_BURST_PODS", "60",
                "SIM_BURST_SPREAD", "0s"));
        assertEquals(0, warm.waited());
        assertEquals(Duration.ZERO, warm.max());
    }

    @Test
    void smallSubnet_exhaustionIsReported() throws Exception {
        // a /26 has 59 usable addresses; three c5.4xlarge nodes with a warm interface each want 3 x 30
        Result r = run(small("SIM_NODES", "3", "SIM_SUBNET_SIZE", "/26", "SIM_WARMUP", "0s"));
        assertTrue(r.subnetRefusals() > 0, "growth refused by the subnet: " + r.subnetRefusals());
        assertTrue(r.firstRefusal() != null);
        assertEquals(59, r.subnets().getFirst().usable());
        assertEquals(59, r.subnets().getFirst().peak(), "the subnet filled up");
        assertTrue(Report.table(r).contains("refused for want of subnet addresses"), Report.table(r));

        Result roomy = run(small("SIM_NODES", "3", "SIM_SUBNET_SIZE", "/22"));
        assertEquals(0, roomy.subnetRefusals());
        assertNull(roomy.firstRefusal());
        assertTrue(Report.table(roomy).contains("exhaustion                             none"), Report.table(roomy));
    }

    @Test
    void smallTokenBucket_throttles() throws Exception {
        Result tight = run(small("SIM_NODES", "20", "SIM_API_RATE", "0.5", "SIM_API_BURST", "2",
                "SIM_DURATION", "5m"));
        assertTrue(tight.totalThrottled() > 0, "throttled: " + tight.throttled());
        assertTrue(Report.table(tight).contains("throttled)"), Report.table(tight));

        Result unlimited = run(small("SIM_NODES", "20", "SIM_API_RATE", "unlimited", "SIM_DURATION", "5m"));
        assertEquals(0, unlimited.totalThrottled());
    }

    @Test
    void throttledFleet_doesNotRetryInStep_andServesEveryPod() throws Exception {
        // 50 nodes on 1 call/s: the per-node budget of 1,000 nodes on EC2's 20/s. Every node's retry-after is the
        // bucket's next token; with retry-after + 20% nine calls in ten were throttled (6,016 of 6,613) and 104 pods
        // were still waiting at the end. ThrottleBackoffTest checks the waits themselves.
        Map<String, String> s = new LinkedHashMap<>();
        s.put("SIM_NODES", "50");
        s.put("SIM_DURATION", "10m");
        s.put("SIM_API_RATE", "1");
        s.put("SIM_API_BURST", "5");
        Result r = run(s);
        assertTrue(r.totalThrottled() * 10 < r.totalCalls() * 7,
                "at most 70% throttled: " + r.totalThrottled() + " of " + r.totalCalls() + "\n" + Report.table(r));
        assertEquals(0, r.stillWaiting(), "every pod got its address within the run\n" + Report.table(r));
    }

    @Test
    void scaleUpAndDown_nodesJoinAndLeave() throws Exception {
        Result r = run(small("SIM_SCALE", "2m:+4,6m:-6"));
        assertEquals(3, r.nodesAtEnd());
        assertTrue(r.calls().get("CreateNetworkInterface") + r.calls().get("AssignPrivateIpAddresses") > 0);
    }

    @Test
    void trace_isPlayedOnItsNodes() throws Exception {
        Path trace = dir.resolve("trace.csv");
        StringBuilder csv = new StringBuilder("time,node,op,pod\n");
        for (int i = 0; i < 12; i++) {
            csv.append("10,ip-10-0-1-1,add,web-").append(i).append('\n');
        }
        csv.append("20,ip-10-0-1-2,add,db-0\n");
        csv.append("40,ip-10-0-1-1,del,web-0\n");
        Files.writeString(trace, csv);
        Result r = run(Map.of("SIM_TRACE", trace.toString(), "WARM_IP_TARGET", "2", "SIM_DURATION", "2m"));
        assertEquals(2, r.nodesAtEnd());
        assertEquals(13, r.adds());
        assertTrue(r.waited() >= 10, "12 pods at once on 2 warm addresses: " + r.waited());
    }

    @Test
    void badTrace_everyBadLineNamed() throws Exception {
        Path trace = dir.resolve("bad.csv");
        Files.writeString(trace, "1,n1,add,p1\nsoon,n1,add,p2\n3,n1,start,p3\n4,n1,add\n");
        Trace.TraceException e = assertThrows(Trace.TraceException.class,
                () -> run(Map.of("SIM_TRACE", trace.toString())));
        assertEquals(3, e.problems().size(), e.problems().toString());
        assertTrue(e.problems().get(0).contains(":2:") && e.problems().get(0).contains("soon"));
        assertTrue(e.problems().get(1).contains(":3:") && e.problems().get(1).contains("start"));
        assertTrue(e.problems().get(2).contains(":4:"));
    }

    @Test
    void badSettings_everyProblemNamedAtOnce() {
        ConfigException e = assertThrows(ConfigException.class, () -> Scenario.of(Map.of(
                "SIM_NODES", "many", "SIM_LATENCY", "fast", "SIM_INSTANCE_TYPES", "x9.huge",
                "SIM_FLEET", "3", "WARM_IP_TARGET", "lots", "SIM_SCALE", "10m+5")));
        String all = String.join("\n", e.problems());
        for (String name : new String[] {"SIM_NODES", "SIM_LATENCY", "SIM_INSTANCE_TYPES", "SIM_FLEET",
                "WARM_IP_TARGET", "SIM_SCALE"}) {
            assertTrue(all.contains(name), name + " missing from:\n" + all);
        }
        assertTrue(all.contains("c5.4xlarge"), "the known instance types are named:\n" + all);
    }

    private static String withoutRunLine(String table) {
        return table.replaceAll("(?m)^  run .*$", "");
    }
}
