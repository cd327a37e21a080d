package io.vpcipam.ipamd.pool;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

class PoolMathTest {

    /**
     * WARM_ENI_TARGET as aws-node reads it (pkg/ipamd/ipamd.go): the pool is too low while fewer than
     * {@code target x perENI} addresses are free, and an idle interface goes once at least
     * {@code (target + 1) x perENI} are free (shouldRemoveExtraENIs). The planner grows when neededAddresses > 0 and
     * deletes an idle interface of perENI addresses only when excessAddresses reaches perENI.
     */
    @ParameterizedTest(name = "WARM_ENI_TARGET={0} perENI={1} free={2} -> grows={3} idleInterfaceGoes={4}")
    @CsvSource({
            "1, 29, 28, true,  false",
            "1, 29, 29, false, false",
            "1, 29, 57, false, false",
            "1, 29, 58, false, true",
            "2, 29, 57, true,  false",
            "2, 29, 87, false, true",
            "0, 29, 29, false, true",
            "3, 9,  26, true,  false",
            "3, 9,  36, false, true",
    })
    void warmEniTarget_growsAndShrinksWhereAwsNodeDoes(int target, int perEni, int free, boolean grows,
                                                      boolean idleInterfaceGoes) {
        int warm = PoolMath.warmAddresses(new Targets(0, 0, target, 0, false, 0), perEni, 1);
        assertEquals(target * perEni, warm);
        int total = free + 3; // three pods hold addresses
        assertEquals(grows, PoolMath.neededAddresses(total, free, 0, warm, 0, 10_000) > 0);
        assertEquals(idleInterfaceGoes, PoolMath.excessAddresses(total, free, 0, warm, 0) >= perEni);
    }

    @ParameterizedTest(name = "total={0} free={1} demand={2} warm={3} min={4} cap={5} -> {6}")
    @CsvSource({
            // cold node, one waiting pod, warm ENI of 29: ask for 30
            "0, 0, 1, 29, 0, 232, 30",
            // warm pool satisfied
            "29, 29, 0, 29, 0, 232, 0",
            // 100-pod burst on a cold c5.4xlarge: 100 + 29 warm
            "0, 0, 100, 29, 0, 232, 129",
            // minimum floor dominates
            "5, 5, 0, 2, 20, 232, 15",
            // capped by what the node can hold
            "220, 0, 50, 29, 0, 232, 12",
            // at capacity: nothing
            "232, 0, 5, 29, 0, 232, 0",
            // cooling addresses are not free: 10 held, 2 free, warm 5 -> 3
            "10, 2, 0, 5, 0, 100, 3",
    })
    void neededAddresses_table(int total, int free, int demand, int warm, int min, int cap, int expected) {
        assertEquals(expected, PoolMath.neededAddresses(total, free, demand, warm, min, cap));
    }

    @ParameterizedTest(name = "total={0} free={1} demand={2} warm={3} min={4} -> {5}")
    @CsvSource({
            "40, 30, 0, 10, 0, 20",
            "40, 30, 0, 10, 35, 5",
            "40, 30, 25, 10, 0, 0",
            "10, 10, 0, 10, 0, 0",
            "10, 3, 0, 10, 0, 0",
    })
    void excessAddresses_table(int total, int free, int demand, int warm, int min, int expected) {
        assertEquals(expected, PoolMath.excessAddresses(total, free, demand, warm, min));
    }

    @ParameterizedTest
    @CsvSource({"0, 16, 0", "1, 16, 1", "16, 16, 1", "17, 16, 2", "129, 1, 129"})
    void unitsFor_roundsUp(int addresses, int perUnit, int expected) {
        assertEquals(expected, PoolMath.unitsFor(addresses, perUnit));
    }

    /** Properties run as many examples as before (1000); QuickTheories prints the seed and the shrunk values. */
    static final int EXAMPLES = 1000;

    /** One pool state and its targets, as the reconciler passes them to {@link PoolMath}. */
    record Pool(int total, int free, int demand, int warm, int min) {
    }

    /** 0..max, with the bounds and 1 drawn more often than uniform sampling would. */
    static Gen<Integer> upTo(int max) {
        return integers().between(0, max).mix(Generate.pick(List.of(0, 1, max)), 10);
    }

    /** Pool states with free never above total. */
    static Gen<Pool> pools() {
        return upTo(5000).zip(upTo(5000), upTo(500), upTo(500), upTo(5000),
                (total, free, demand, warm, min) -> new Pool(total, Math.min(free, total), demand, warm, min));
    }

    @Test
    void needed_anyPool_isNeverNegativeNorBeyondCapacity() {
        qt().withExamples(EXAMPLES).forAll(pools(), upTo(5000)).checkAssert((p, capacity) -> {
            int needed = PoolMath.neededAddresses(p.total(), p.free(), p.demand(), p.warm(), p.min(), capacity);
            assertTrue(needed >= 0, "needed=" + needed);
            assertTrue(p.total() + needed <= Math.max(p.total(), capacity), "never above the limits: needed=" + needed);
        });
    }

    @Test
    void neededAndExcess_anyPool_areNeverBothPositive() {
        qt().withExamples(EXAMPLES).forAll(pools(), upTo(5000)).checkAssert((p, capacity) -> {
            int needed = PoolMath.neededAddresses(p.total(), p.free(), p.demand(), p.warm(), p.min(), capacity);
            int excess = PoolMath.excessAddresses(p.total(), p.free(), p.demand(), p.warm(), p.min());
            assertTrue(needed == 0 || excess == 0, "needed=" + needed + " excess=" + excess);
            assertTrue(excess >= 0 && excess <= p.free(), "excess=" + excess);
        });
    }

    @Test
    void applyingNeeded_anyPool_thenNeededIsZero() {
        qt().withExamples(EXAMPLES).forAll(pools(), upTo(5000)).checkAssert((p, capacity) -> {
            int needed = PoolMath.neededAddresses(p.total(), p.free(), p.demand(), p.warm(), p.min(), capacity);
            assertEquals(0, PoolMath.neededAddresses(p.total() + needed, p.free() + needed, p.demand(), p.warm(), p.min(),
                    capacity), "after applying needed=" + needed);
        });
    }

    @Test
    void applyingExcess_anyPool_thenExcessAndNeededAreZero() {
        qt().withExamples(EXAMPLES).forAll(pools()).checkAssert(p -> {
            int excess = PoolMath.excessAddresses(p.total(), p.free(), p.demand(), p.warm(), p.min());
            int t = p.total() - excess;
            int f = p.free() - excess;
            assertEquals(0, PoolMath.excessAddresses(t, f, p.demand(), p.warm(), p.min()), "after releasing " + excess);
            if (excess > 0) {
                assertEquals(0, PoolMath.neededAddresses(t, f, p.demand(), p.warm(), p.min(), Integer.MAX_VALUE),
                        "after releasing " + excess);
            }
        });
    }
}
