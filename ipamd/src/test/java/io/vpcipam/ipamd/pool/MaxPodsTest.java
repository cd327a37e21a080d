package io.vpcipam.ipamd.pool;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link PoolMath#maxPods} against AWS's published figures: eni-max-pods.txt (amazon-vpc-cni-k8s, the uncapped
 * figure) and the EKS max-pods calculator's caps (110 up to 30 vCPUs, 250 above), prefix delegation and custom
 * networking. Interfaces, addresses per interface and vCPUs as DescribeInstanceTypes reports them.
 */
class MaxPodsTest {

    @ParameterizedTest(name = "{0}: {4} (uncapped {5})")
    @CsvSource({
            // type, interfaces, addresses, vcpus, capped, eni-max-pods.txt
            "t3.small,    3,  4,  2,  11,  11",
            "t3.medium,   3,  6,  2,  17,  17",
            "t3.large,    3, 12,  2,  35,  35",
            "m5.large,    3, 10,  2,  29,  29",
            "m5.xlarge,   4, 15,  4,  58,  58",
            "c5.large,    3, 10,  2,  29,  29",
            "m5.4xlarge,  8, 30, 16, 110, 234",
            "c5.9xlarge,  8, 30, 36, 234, 234",
            "m5.24xlarge, 15, 50, 96, 250, 737",
    })
    void secondaryAddresses_matchAwsFigures(String type, int interfaces, int addresses, int vcpus, int capped,
                                            int published) {
        assertEquals(capped, PoolMath.maxPods(interfaces, addresses, vcpus, false, false, false), type);
        assertEquals(published, PoolMath.maxPods(interfaces, addresses, vcpus, false, false, true), type);
    }

    @ParameterizedTest(name = "{0} prefixes: {4} (uncapped {5})")
    @CsvSource({
            "m5.large,    3, 10,  2, 110, 434",
            "t3.small,    3,  4,  2, 110, 146",
            "m5.24xlarge, 15, 50, 96, 250, 11762",
    })
    void prefixDelegation_sixteenPerSlot_capped(String type, int interfaces, int addresses, int vcpus, int capped,
                                                int uncapped) {
        assertEquals(capped, PoolMath.maxPods(interfaces, addresses, vcpus, true, false, false), type);
        assertEquals(uncapped, PoolMath.maxPods(interfaces, addresses, vcpus, true, false, true), type);
    }

    @ParameterizedTest(name = "{0} custom networking: {4}")
    @CsvSource({
            "m5.large,  3, 10, 2, 20",
            "t3.medium, 3,  6, 2, 12",
            "m5.xlarge, 4, 15, 4, 44",
    })
    void customNetworking_leavesThePrimaryInterfaceOut(String type, int interfaces, int addresses, int vcpus,
                                                       int expected) {
        assertEquals(expected, PoolMath.maxPods(interfaces, addresses, vcpus, false, true, false), type);
    }

    @org.junit.jupiter.api.Test
    void badLimits_areRefused() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> PoolMath.maxPods(0, 10, 2, false, false, false));
    }

    @org.junit.jupiter.api.Test
    void kubeletMaxPods_fromThePoolsCapacity_isTheSameFormula() {
        assertEquals(PoolMath.maxPods(3, 10, 2, false, false, false), PoolMath.kubeletMaxPods(27, 2));
        assertEquals(PoolMath.maxPods(8, 30, 16, false, false, false), PoolMath.kubeletMaxPods(8 * 29, 16));
        assertEquals(PoolMath.maxPods(15, 50, 96, false, false, false), PoolMath.kubeletMaxPods(15 * 49, 96));
        assertEquals(236, PoolMath.kubeletMaxPods(234, 0), "vCPUs unknown: no cap");
    }
}
