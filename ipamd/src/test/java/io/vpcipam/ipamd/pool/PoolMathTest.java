package io.vpcipam.ipamd.pool;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolMathTest {

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

    @Property
    void needed_isNeverNegativeNorBeyondCapacity(@ForAll @IntRange(max = 5000) int total, @ForAll @IntRange(max = 5000) int free,
                                                 @ForAll @IntRange(max = 500) int demand, @ForAll @IntRange(max = 500) int warm,
                                                 @ForAll @IntRange(max = 5000) int min, @ForAll @IntRange(max = 5000) int capacity) {
        free = Math.min(free, total);
        int needed = PoolMath.neededAddresses(total, free, demand, warm, min, capacity);
        assertTrue(needed >= 0);
        assertTrue(total + needed <= Math.max(total, capacity), "never above the limits");
    }

    @Property
    void neededAndExcess_areNeverBothPositive(@ForAll @IntRange(max = 5000) int total, @ForAll @IntRange(max = 5000) int free,
                                              @ForAll @IntRange(max = 500) int demand, @ForAll @IntRange(max = 500) int warm,
                                              @ForAll @IntRange(max = 5000) int min, @ForAll @IntRange(max = 5000) int capacity) {
        free = Math.min(free, total);
        int needed = PoolMath.neededAddresses(total, free, demand, warm, min, capacity);
        int excess = PoolMath.excessAddresses(total, free, demand, warm, min);
        assertTrue(needed == 0 || excess == 0, "needed=" + needed + " excess=" + excess);
        assertTrue(excess >= 0 && excess <= free);
    }

    @Property
    void applyingNeeded_thenNeededIsZero(@ForAll @IntRange(max = 5000) int total, @ForAll @IntRange(max = 5000) int free,
                                         @ForAll @IntRange(max = 500) int demand, @ForAll @IntRange(max = 500) int warm,
                                         @ForAll @IntRange(max = 5000) int min, @ForAll @IntRange(max = 5000) int capacity) {
        free = Math.min(free, total);
        int needed = PoolMath.neededAddresses(total, free, demand, warm, min, capacity);
        assertEquals(0, PoolMath.neededAddresses(total + needed, free + needed, demand, warm, min, capacity));
    }

    @Property
    void applyingExcess_thenExcessAndNeededAreZero(@ForAll @IntRange(max = 5000) int total, @ForAll @IntRange(max = 5000) int free,
                                                   @ForAll @IntRange(max = 500) int demand, @ForAll @IntRange(max = 500) int warm,
                                                   @ForAll @IntRange(max = 5000) int min) {
        free = Math.min(free, total);
        int excess = PoolMath.excessAddresses(total, free, demand, warm, min);
        int t = total - excess;
        int f = free - excess;
        assertEquals(0, PoolMath.excessAddresses(t, f, demand, warm, min));
        if (excess > 0) {
            assertEquals(0, PoolMath.neededAddresses(t, f, demand, warm, min, Integer.MAX_VALUE));
        }
    }
}
