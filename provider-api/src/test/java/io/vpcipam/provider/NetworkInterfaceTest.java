package io.vpcipam.provider;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetworkInterfaceTest {

    private static NetworkInterface ni(int deviceIndex, Map<String, String> tags, int card) {
        return new NetworkInterface("eni-1", "02:00:00:00:00:01", deviceIndex, "subnet-1", Ipv4Address.parse("10.0.0.4"),
                List.of(Ipv4Address.parse("10.0.0.5")), List.of(), tags, card);
    }

    @Test
    void exclusion_untaggedOnCardZero_isNone() {
        assertEquals(NetworkInterface.Exclusion.NONE, ni(1, Map.of(), 0).exclusion());
        assertTrue(ni(1, Map.of(), 0).usable());
    }

    @Test
    void exclusion_awsNoManageTrue_anyCaseAndBlanks_isNoManageTag() {
        assertEquals(NetworkInterface.Exclusion.NO_MANAGE_TAG,
                ni(1, Map.of(NetworkInterface.AWS_NO_MANAGE_TAG, "true"), 0).exclusion());
        assertEquals(NetworkInterface.Exclusion.NO_MANAGE_TAG,
                ni(1, Map.of(NetworkInterface.NO_MANAGE_TAG, " True "), 0).exclusion());
    }

    @Test
    void exclusion_noManageFalseOrEmpty_isNone() {
        assertEquals(NetworkInterface.Exclusion.NONE,
                ni(1, Map.of(NetworkInterface.AWS_NO_MANAGE_TAG, "false"), 0).exclusion());
        assertEquals(NetworkInterface.Exclusion.NONE, ni(1, Map.of(NetworkInterface.NO_MANAGE_TAG, ""), 0).exclusion());
    }

    @Test
    void exclusion_otherNetworkCard_winsOverTags() {
        NetworkInterface onCard1 = ni(0, Map.of(NetworkInterface.NO_MANAGE_TAG, "true"), 1);

        assertEquals(NetworkInterface.Exclusion.OTHER_NETWORK_CARD, onCard1.exclusion());
        assertEquals("network_card", onCard1.exclusion().label());
    }

    @Test
    void isPrimary_deviceZeroOnAnotherCard_isNotThePrimary() {
        assertFalse(ni(0, Map.of(), 2).isPrimary());
        assertTrue(ni(0, Map.of(), 0).isPrimary());
    }

    @Test
    void constructor_negativeCard_orDetachedOnACard_isRefusedNamingTheInterface() {
        var negative = assertThrows(IllegalArgumentException.class, () -> ni(1, Map.of(), -1));
        var detached = assertThrows(IllegalArgumentException.class,
                () -> ni(NetworkInterface.DETACHED, Map.of(), 1));

        assertTrue(negative.getMessage().contains("eni-1"), negative.getMessage());
        assertTrue(detached.getMessage().contains("eni-1"), detached.getMessage());
    }

    @Test
    void nodeInfo_ordersByCardThenDeviceIndex_andFindsTheCardZeroPrimary() {
        NetworkInterface card1 = new NetworkInterface("eni-c1", "", 0, "subnet-1", Ipv4Address.parse("10.0.0.9"),
                List.of(), List.of(), Map.of(), 1);
        NetworkInterface primary = new NetworkInterface("eni-p", "", 0, "subnet-1", Ipv4Address.parse("10.0.0.4"),
                List.of(), List.of(), Map.of());
        NetworkInterface second = new NetworkInterface("eni-2", "", 1, "subnet-1", Ipv4Address.parse("10.0.0.6"),
                List.of(), List.of(), Map.of());

        NodeInfo node = new NodeInfo("i-1", "p5.48xlarge", "z", new Limits(2, 50), List.of(card1, second, primary),
                List.of(new Subnet("subnet-1", Cidr.parse("10.0.0.0/24"), "z", null)), List.of());

        assertEquals(List.of("eni-p", "eni-2", "eni-c1"), node.interfaces().stream().map(NetworkInterface::id).toList());
        assertEquals("eni-p", node.primaryInterface().id());
    }
}
