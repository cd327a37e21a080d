package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.pool.DecisionView;
import io.vpcipam.ipamd.pool.PoolView;
import io.vpcipam.ipamd.pool.Reconciler;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ipamd explain}'s verdict: one sentence from the pool view and the decisions, in order of what blocks pods. */
class ExplainTest {

    private static final Instant NOW = Instant.parse("2025-01-31T12:00:00Z");

    private static PoolView pool(int total, int free, int waiting, int cooling, int pending, int max,
                                 String pausedUntil) {
        return new PoolView("sim", "i-0sim", "m5.large", "us-east-1a", false,
                new PoolView.Counts(total, free, total - free - cooling, cooling, 0, pending, 0, waiting), max, null,
                new PoolView.Engine(null, null, pausedUntil, true, false, 0, null, null, null, null, true), List.of());
    }

    private static DecisionView decision(String plan, String reason, String outcome, Reconciler.Result result) {
        return new DecisionView(NOW.toString(), plan, reason, outcome, result.name());
    }

    @Test
    void verdict_freeAddressesAndNoFailure_isOk() {
        String v = Explain.verdict(pool(10, 4, 0, 0, 0, 27, null),
                List.of(decision("Allocate", "allocate 4", "done", Reconciler.Result.DONE),
                        decision("Nothing", "at target", "idle", Reconciler.Result.IDLE)), NOW);
        assertTrue(v.startsWith("OK: 4 free"), v);
    }

    @Test
    void verdict_waitingWhileGrowthPaused_blamesTheSubnet() {
        String v = Explain.verdict(pool(10, 0, 3, 0, 0, 27, "2025-01-31T12:01:00Z"), List.of(), NOW);
        assertTrue(v.startsWith("STARVED: 3 ADD(s) waiting") && v.contains("subnet ran out"), v);
    }

    @Test
    void verdict_growthPausedAfterARefusal_namesItsReasonAndCode() {
        PoolView p = pool(10, 0, 3, 0, 0, 27, "2025-01-31T12:01:00Z");
        PoolView.Engine e = p.engine();
        PoolView refused = new PoolView(p.provider(), p.instanceId(), p.instanceType(), p.zone(), p.prefixMode(),
                p.pool(), p.maxAddresses(), p.targets(), new PoolView.Engine(e.lastGrow(), e.lastShrink(),
                e.growthPausedUntil(), true, false, 0, null, null, null, new PoolView.Refusal(NOW.toString(),
                "SubnetExhausted", "InsufficientFreeAddressesInSubnet", "no room", "eni-1", 1,
                "2025-01-31T12:01:00Z"), true), p.interfaces());

        String v = Explain.verdict(refused, List.of(), NOW);

        assertTrue(v.contains("(SubnetExhausted, InsufficientFreeAddressesInSubnet, 1 in a row)"), v);
    }

    @Test
    void verdict_provisioningOff_saysOnlyTheNodesAddressesServe() {
        PoolView p = pool(3, 0, 1, 0, 0, 27, null);
        PoolView off = new PoolView(p.provider(), p.instanceId(), p.instanceType(), p.zone(), p.prefixMode(),
                p.pool(), p.maxAddresses(), p.targets(), new PoolView.Engine(null, null, null, true, false, 0, null,
                null, null, null, false), p.interfaces());
        String v = Explain.verdict(off, List.of(), NOW);
        assertTrue(v.startsWith("STARVED: 1 ADD(s) waiting") && v.contains("DISABLE_NETWORK_RESOURCE_PROVISIONING=true")
                && v.contains("only the 3 address(es) already on the node"), v);
    }

    @Test
    void verdict_atTheNodeLimit_saysFull() {
        String v = Explain.verdict(pool(27, 0, 1, 0, 0, 27, null), List.of(), NOW);
        assertTrue(v.startsWith("FULL:") && v.contains("27 of at most 27"), v);
    }

    @Test
    void verdict_lastCloudActionFailed_isShownWithItsReason() {
        String v = Explain.verdict(pool(10, 0, 2, 0, 0, 27, null), List.of(
                decision("Allocate", "allocate 14 on eni-1: 6 waiting ADDs + warm target 8",
                        "capacity: InsufficientFreeAddressesInSubnet no room", Reconciler.Result.CAPACITY),
                decision("Nothing", "growth paused", "idle", Reconciler.Result.IDLE)), NOW);
        assertTrue(v.startsWith("STARVED:") && v.contains("6 waiting ADDs + warm target 8")
                && v.contains("InsufficientFreeAddressesInSubnet"), v);
    }

    @Test
    void verdict_theCloudAnsweringAgain_isNoFailure_whateverTheOutcomeText() {
        // judged by the typed result: the outcome text of a recovery ("after 3 failures in a row") read as a failure
        // when the verdict matched the reconciler's words
        String v = Explain.verdict(pool(10, 4, 0, 0, 0, 27, null), List.of(
                decision("wait-for-cloud", "the cloud answers again", "after 3 failures in a row",
                        Reconciler.Result.RECOVERED)), NOW);
        assertTrue(v.startsWith("OK: 4 free"), v);
    }

    private static PoolView cloudFailing(PoolView pool, String nextTry) {
        PoolView.Engine e = pool.engine();
        return new PoolView(pool.provider(), pool.instanceId(), pool.instanceType(), pool.zone(), pool.prefixMode(),
                pool.pool(), pool.maxAddresses(), pool.targets(), new PoolView.Engine(e.lastGrow(), e.lastShrink(),
                e.growthPausedUntil(), true, true, 7, nextTry, "unavailable CircuitOpen: EC2 kept failing", null, null,
                true),
                pool.interfaces());
    }

    @Test
    void verdict_waitingWhileTheCloudFails_saysSoAndWhenItIsAskedAgain() {
        String v = Explain.verdict(cloudFailing(pool(10, 0, 2, 0, 0, 27, null), "2025-01-31T12:00:20Z"),
                List.of(), NOW);
        assertTrue(v.startsWith("STARVED:") && v.contains("cloud is failing") && v.contains("CircuitOpen")
                && v.contains("2025-01-31T12:00:20Z"), v);
    }

    @Test
    void verdict_freeAddressesWhileTheCloudFails_isOkWithTrouble() {
        String v = Explain.verdict(cloudFailing(pool(10, 4, 0, 0, 0, 27, null), "2025-01-31T12:00:20Z"),
                List.of(), NOW);
        assertTrue(v.startsWith("OK, with trouble:") && v.contains("cloud is failing"), v);
    }

    @Test
    void verdict_onlyCoolingAddresses_isTight() {
        String v = Explain.verdict(pool(10, 0, 0, 2, 0, 27, null), List.of(), NOW);
        assertTrue(v.startsWith("TIGHT:") && v.contains("2 cooling"), v);
    }
}
