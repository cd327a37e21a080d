package io.vpcipam.ipamd.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.jr.ob.JSON;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How ip's JSON and iptables-save's text are read back into a {@link HostState} (real tool output). */
class LinuxHostParseTest {

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> json(String s) throws Exception {
        return (List<Map<String, Object>>) (List<?>) JSON.std.listFrom(s);
    }

    @Test
    void rules_onlyOursAreRead_withFromAsCidr_andFwmarkWithMask() throws Exception {
        String shown = "[{\"priority\":0,\"src\":\"all\",\"table\":\"local\"},"
                + "{\"priority\":1024,\"src\":\"all\",\"fwmark\":\"0x80\",\"fwmask\":\"0x80\",\"table\":\"main\",\"protocol\":\"117\"},"
                + "{\"priority\":1536,\"src\":\"10.0.0.5\",\"dst\":\"10.0.0.0\",\"dstlen\":16,\"table\":\"3\"},"
                + "{\"priority\":32765,\"src\":\"10.0.0.20\",\"table\":\"2\",\"protocol\":\"117\"},"
                + "{\"priority\":32766,\"src\":\"all\",\"table\":\"main\"}]";
        assertEquals(Set.of(new HostState.Rule(1024, null, "0x80/0x80", RouteTables.MAIN),
                new HostState.Rule(32765, "10.0.0.20/32", null, 2)), LinuxHost.rules(json(shown)));
    }

    @Test
    void routes_onLinkAndDefault_readBackEqualToWhatThePlanWrites() throws Exception {
        String shown = "[{\"dst\":\"default\",\"gateway\":\"10.0.0.1\",\"dev\":\"ens6\",\"table\":\"2\",\"flags\":[]},"
                + "{\"dst\":\"10.0.0.1\",\"dev\":\"ens6\",\"table\":\"2\",\"scope\":\"link\",\"flags\":[]}]";
        assertEquals(Set.of(new HostState.Route(2, "default", "10.0.0.1", "ens6"),
                new HostState.Route(2, "10.0.0.1", null, "ens6")), LinuxHost.routes(json(shown)));
    }

    @Test
    void link_readsMtuUpAndIpv4AddressesOnly() throws Exception {
        String shown = "[{\"ifindex\":3,\"ifname\":\"ens6\",\"flags\":[\"BROADCAST\",\"UP\"],\"mtu\":9001,"
                + "\"address\":\"02:00:00:00:00:02\",\"addr_info\":[{\"family\":\"inet\",\"local\":\"10.0.0.20\","
                + "\"prefixlen\":20},{\"family\":\"inet6\",\"local\":\"fe80::1\",\"prefixlen\":64}]}]";
        assertEquals(new HostState.Link("ens6", 9001, true, List.of("10.0.0.20/20")),
                LinuxHost.link(json(shown).getFirst()));
    }

    @Test
    void chain_readsOurRulesAndCountsJumps_ignoringOtherChains() {
        String saved = """
                *nat
                :PREROUTING ACCEPT [0:0]
                :POSTROUTING ACCEPT [0:0]
                :KUBE-POSTROUTING - [0:0]
                :VPC-IPAM-SNAT - [0:0]
                -A POSTROUTING -j KUBE-POSTROUTING
                -A POSTROUTING -j VPC-IPAM-SNAT
                -A POSTROUTING -j VPC-IPAM-SNAT
                -A KUBE-POSTROUTING -j RETURN
                -A VPC-IPAM-SNAT -d 10.0.0.0/16 -j RETURN
                COMMIT
                """;
        HostState.Chain want = new HostState.Chain("nat", "VPC-IPAM-SNAT", "POSTROUTING", List.of(), 1, true);
        assertEquals(new HostState.Chain("nat", "VPC-IPAM-SNAT", "POSTROUTING", List.of("-d 10.0.0.0/16 -j RETURN"), 2,
                true), LinuxHost.chain(saved, want));
        assertEquals(new HostState.Chain("nat", "VPC-IPAM-SNAT", "POSTROUTING", List.of(), 0, false),
                LinuxHost.chain("*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n", want));
    }
}
