package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NamesTest {

    @Test
    void hostVeth_isFifteenChars_stable_andDistinctPerKey() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            String name = Names.hostVeth("vpc", "net", "container-" + i, "eth0");
            assertEquals(15, name.length());
            assertTrue(name.startsWith("vpc"));
            assertTrue(Names.validIfName(name));
            assertEquals(name, Names.hostVeth("vpc", "net", "container-" + i, "eth0"));
            assertTrue(seen.add(name), "collision at " + i);
        }
        assertFalse(Names.hostVeth("vpc", "net", "c", "eth0").equals(Names.hostVeth("vpc", "net", "c", "eth1")));
        assertEquals(15, Names.hostVeth("a", "net", "c", "eth0").length());
    }

    @Test
    void macs_areLocallyAdministeredUnicast_andDifferForTheTwoEnds() {
        for (int i = 0; i < 1000; i++) {
            String host = Names.hostMac("net", "c" + i, "eth0");
            String pod = Names.podMac("net", "c" + i, "eth0");
            assertTrue(host.matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}"), host);
            int first = Integer.parseInt(host.substring(0, 2), 16);
            assertEquals(0x02, first & 0x03, host);
            assertEquals(0x02, Integer.parseInt(pod.substring(0, 2), 16) & 0x03, pod);
            assertFalse(host.equals(pod));
        }
    }

    @Test
    void identifiers_followTheSpecRules() {
        assertTrue(Names.validNetworkName("aws-cni.v1_x"));
        assertFalse(Names.validNetworkName("-x"));
        assertFalse(Names.validNetworkName("a b"));
        assertTrue(Names.validIfName("eth0"));
        assertFalse(Names.validIfName("sixteen-chars-xx"));
        assertFalse(Names.validIfName("a:b"));
        assertFalse(Names.validIfName(".."));
        assertTrue(Names.validVethPrefix("eni"));
        assertFalse(Names.validVethPrefix("ENI"));
        assertFalse(Names.validVethPrefix("vpcxx"));
    }

    @Test
    void ipv4_isStrictDottedQuad() {
        assertTrue(Addresses.isIpv4("10.0.0.5"));
        assertTrue(Addresses.isIpv4("255.255.255.255"));
        for (String bad : new String[] {"10.0.0", "10.0.0.256", "010.0.0.1", "10.0.0.5 ", "a.b.c.d", "1.2.3.4.5",
                "10.0.0.5/32", "", "::1", "10..0.1"}) {
            assertFalse(Addresses.isIpv4(bad), bad);
        }
    }
}
