package io.vpcipam.ipamd.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HostPlanTest {

    static final HostView.Interface PRIMARY = new HostView.Interface("eni-0", "02:00:00:00:00:01", 0,
            Ipv4Address.parse("10.0.0.4"), Cidr.parse("10.0.0.0/20"), Ipv4Address.parse("10.0.0.1"));
    static final HostView.Interface SECOND = new HostView.Interface("eni-1", "02:00:00:00:00:02", 1,
            Ipv4Address.parse("10.0.0.20"), Cidr.parse("10.0.0.0/20"), Ipv4Address.parse("10.0.0.1"));
    static final HostView.Interface THIRD = new HostView.Interface("eni-2", "02:00:00:00:00:03", 2,
            Ipv4Address.parse("10.0.16.7"), Cidr.parse("10.0.16.0/20"), Ipv4Address.parse("10.0.16.1"));
    static final HostView VIEW = new HostView(List.of(PRIMARY, SECOND, THIRD),
            List.of(Cidr.parse("10.0.0.0/16"), Cidr.parse("100.64.0.0/16")));
    static final Map<String, String> LINKS = Map.of("02:00:00:00:00:01", "ens5", "02:00:00:00:00:02", "ens6",
            "02:00:00:00:00:03", "ens7");

    static HostSettings settings(boolean externalSnat, boolean nodePort, HostSettings.SnatPorts ports,
                                 List<Cidr> exclude) {
        return new HostSettings(true, externalSnat, exclude, ports, nodePort, 9001, Duration.ofSeconds(10));
    }

    static final HostSettings DEFAULTS = settings(false, true, HostSettings.SnatPorts.PRNG, List.of());

    static HostState empty() {
        return new HostState(Map.of(), Set.of(), Set.of(), Map.of(), Map.of());
    }

    @Test
    void desired_secondaryInterfaces_getLinkAddressTableAndRule_primaryIsLeftToTheOs() {
        HostPlan.Desired d = HostPlan.desired(VIEW, LINKS, DEFAULTS);
        assertNull(d.problem());
        assertEquals(Map.of("eni-0", "ens5", "eni-1", "ens6", "eni-2", "ens7"), d.links());
        assertEquals(Set.of("eni-1", "eni-2"), d.ready());
        HostState s = d.state();
        assertEquals(Set.of("ens6", "ens7"), s.links().keySet());
        assertEquals(new HostState.Link("ens6", 9001, true, List.of("10.0.0.20/20")), s.links().get("ens6"));
        assertEquals(new HostState.Link("ens7", 9001, true, List.of("10.0.16.7/20")), s.links().get("ens7"));
        assertEquals(Set.of(
                new HostState.Route(2, "10.0.0.1", null, "ens6"),
                new HostState.Route(2, "default", "10.0.0.1", "ens6"),
                new HostState.Route(3, "10.0.16.1", null, "ens7"),
                new HostState.Route(3, "default", "10.0.16.1", "ens7")), s.routes());
        assertEquals(Set.of(
                new HostState.Rule(32765, "10.0.0.20/32", null, 2),
                new HostState.Rule(32765, "10.0.16.7/32", null, 3),
                new HostState.Rule(1024, null, "0x80/0x80", RouteTables.MAIN)), s.rules());
        assertEquals(Map.of("net/ipv4/conf/ens5/rp_filter", "2"), s.sysctls());
    }

    @Test
    void desired_snat_returnsForEveryVpcAndExcludedBlock_thenSnatsToThePrimaryAddress() {
        HostPlan.Desired d = HostPlan.desired(VIEW, LINKS,
                settings(false, true, HostSettings.SnatPorts.HASHRANDOM, List.of(Cidr.parse("192.168.0.0/16"))));
        HostState.Chain snat = d.state().chains().get("nat/VPC-IPAM-SNAT");
        assertEquals("POSTROUTING", snat.hook());
        assertEquals(List.of(
                "-d 10.0.0.0/16 -m comment --comment \"vpc-ipam: VPC block\" -j RETURN",
                "-d 100.64.0.0/16 -m comment --comment \"vpc-ipam: VPC block\" -j RETURN",
                "-d 192.168.0.0/16 -m comment --comment \"vpc-ipam: AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS\" -j RETURN",
                "-m addrtype ! --dst-type LOCAL -m comment --comment \"vpc-ipam: SNAT leaving the VPC\" -j SNAT"
                        + " --to-source 10.0.0.4 --random"), snat.rules());
        assertEquals(1, snat.jumps());
    }

    @Test
    void desired_snatPortModes_mapToTheIptablesOptions() {
        assertTrue(HostPlan.desired(VIEW, LINKS, DEFAULTS).state().chains().get("nat/VPC-IPAM-SNAT").rules()
                .getLast().endsWith("--to-source 10.0.0.4 --random-fully"));
        assertTrue(HostPlan.desired(VIEW, LINKS, settings(false, true, HostSettings.SnatPorts.NONE, List.of()))
                .state().chains().get("nat/VPC-IPAM-SNAT").rules().getLast().endsWith("--to-source 10.0.0.4"));
    }

    @Test
    void desired_externalSnat_hasNoSnatRulesAndNoJump() {
        HostState.Chain snat = HostPlan.desired(VIEW, LINKS, settings(true, true, HostSettings.SnatPorts.PRNG,
                List.of())).state().chains().get("nat/VPC-IPAM-SNAT");
        assertEquals(List.of(), snat.rules());
        assertEquals(0, snat.jumps());
    }

    @Test
    void desired_nodePortSupport_marksPrimaryTraffic_restoresOnReplies_andIsOffWhenDisabled() {
        HostState on = HostPlan.desired(VIEW, LINKS, DEFAULTS).state();
        assertEquals(List.of(
                "-i ens5 -m addrtype --dst-type LOCAL --limit-iface-in -m comment --comment \"vpc-ipam: NodePort\""
                        + " -j CONNMARK --set-xmark 0x80/0x80",
                "! -i ens5 -m comment --comment \"vpc-ipam: NodePort replies\" -j CONNMARK --restore-mark"
                        + " --nfmask 0x80 --ctmask 0x80"), on.chains().get("mangle/VPC-IPAM-CONNMARK").rules());
        HostState off = HostPlan.desired(VIEW, LINKS, settings(false, false, HostSettings.SnatPorts.PRNG, List.of()))
                .state();
        assertEquals(List.of(), off.chains().get("mangle/VPC-IPAM-CONNMARK").rules());
        assertFalse(off.rules().stream().anyMatch(r -> r.fwmark() != null), off.rules().toString());
        assertEquals(Map.of(), off.sysctls());
    }

    @Test
    void desired_linkNotYetThere_isMissingAndNotReady_othersGoOn() {
        HostPlan.Desired d = HostPlan.desired(VIEW, Map.of("02:00:00:00:00:01", "ens5", "02:00:00:00:00:03", "ens7"),
                DEFAULTS);
        assertEquals(List.of("eni-1"), d.missing());
        assertEquals(Set.of("eni-2"), d.ready());
        assertFalse(d.state().routes().stream().anyMatch(r -> r.table() == 2));
    }

    @Test
    void desired_noLinkWithThePrimaryMac_isAProblemAndDesiresNothing() {
        HostPlan.Desired d = HostPlan.desired(VIEW, Map.of("02:00:00:00:00:02", "ens6"), DEFAULTS);
        assertNull(d.state());
        assertTrue(d.problem().contains("02:00:00:00:00:01"), d.problem());
        assertEquals(Set.of(), d.ready());
    }

    @Test
    void desired_subnetNotDescribedYet_linkKnownButNotReady() {
        HostView.Interface noSubnet = new HostView.Interface("eni-1", "02:00:00:00:00:02", 1,
                Ipv4Address.parse("10.0.0.20"), null, null);
        HostPlan.Desired d = HostPlan.desired(new HostView(List.of(PRIMARY, noSubnet), List.of()), LINKS, DEFAULTS);
        assertEquals("ens6", d.links().get("eni-1"));
        assertEquals(Set.of(), d.ready());
    }

    @Test
    void diff_fromAnEmptyHost_setsLinksThenOnLinkRoutesBeforeDefaults_thenRules_chainsAndSysctls() {
        HostState want = HostPlan.desired(VIEW, LINKS, DEFAULTS).state();
        HostPlan.Changes c = HostPlan.diff(want, empty());
        List<String> ip = c.ipLines();
        assertTrue(ip.contains("address add 10.0.0.20/20 dev ens6 noprefixroute"), ip.toString());
        assertTrue(ip.contains("link set dev ens6 mtu 9001 up"), ip.toString());
        int onLink = ip.indexOf("route replace 10.0.0.1 dev ens6 scope link table 2 proto 117");
        int dflt = ip.indexOf("route replace default via 10.0.0.1 dev ens6 table 2 proto 117");
        assertTrue(onLink >= 0 && dflt > onLink, ip.toString());
        assertTrue(ip.contains("rule add from 10.0.0.20/32 lookup 2 priority 32765 protocol 117"), ip.toString());
        assertTrue(ip.contains("rule add fwmark 0x80/0x80 lookup main priority 1024 protocol 117"), ip.toString());
        assertTrue(c.iptables().startsWith("*mangle\n:VPC-IPAM-CONNMARK - [0:0]\n"), c.iptables());
        assertTrue(c.iptables().contains("-A PREROUTING -j VPC-IPAM-CONNMARK\nCOMMIT\n*nat\n:VPC-IPAM-SNAT - [0:0]\n"),
                c.iptables());
        assertTrue(c.iptables().endsWith("-A POSTROUTING -j VPC-IPAM-SNAT\nCOMMIT\n"), c.iptables());
        assertEquals(Map.of("net/ipv4/conf/ens5/rp_filter", "2"), c.sysctls());
    }

    @Test
    void diff_hostAlreadyAsDesired_changesNothing() {
        HostState want = HostPlan.desired(VIEW, LINKS, DEFAULTS).state();
        Map<String, HostState.Chain> chains = new java.util.HashMap<>();
        want.chains().forEach((k, c) -> chains.put(k, new HostState.Chain(c.table(), c.name(), c.hook(), c.rules(),
                c.jumps(), true)));
        HostState actual = new HostState(want.links(), want.routes(), want.rules(), chains, want.sysctls());
        assertTrue(HostPlan.diff(want, actual).none());
    }

    @Test
    void diff_staleRulesAndRoutesOfAGoneInterface_areDeleted_andForeignAddressesReplaced() {
        HostState want = HostPlan.desired(new HostView(List.of(PRIMARY, SECOND), VIEW.vpcCidrs()), LINKS, DEFAULTS)
                .state();
        HostState actual = new HostState(
                Map.of("ens6", new HostState.Link("ens6", 9001, true, List.of("10.0.0.99/20"))),
                Set.of(new HostState.Route(3, "default", "10.0.16.1", "ens7")),
                Set.of(new HostState.Rule(32765, "10.0.16.7/32", null, 3)), Map.of(), Map.of());
        List<String> ip = HostPlan.diff(want, actual).ipLines();
        assertEquals("rule del from 10.0.16.7/32 lookup 3 priority 32765", ip.get(0));
        assertEquals("route del default via 10.0.16.1 dev ens7 table 3 proto 117", ip.get(1));
        assertTrue(ip.contains("address del 10.0.0.99/20 dev ens6"), ip.toString());
        assertTrue(ip.contains("address add 10.0.0.20/20 dev ens6 noprefixroute"), ip.toString());
        assertFalse(ip.contains("link set dev ens6 mtu 9001 up"), "the link is already up at its MTU: " + ip);
    }

    @Test
    void diff_duplicateJumps_areDeletedDownToOne_andChangedRulesRewriteTheChain() {
        HostState want = HostPlan.desired(VIEW, LINKS, DEFAULTS).state();
        HostState.Chain snat = want.chains().get("nat/VPC-IPAM-SNAT");
        HostState.Chain connmark = want.chains().get("mangle/VPC-IPAM-CONNMARK");
        HostState actual = new HostState(want.links(), want.routes(), want.rules(), Map.of(
                snat.key(), new HostState.Chain("nat", snat.name(), snat.hook(), List.of("-j RETURN"), 3, true),
                connmark.key(), new HostState.Chain("mangle", connmark.name(), connmark.hook(), connmark.rules(), 1,
                        true)), want.sysctls());
        String restore = HostPlan.diff(want, actual).iptables();
        assertEquals("*nat\n:VPC-IPAM-SNAT - [0:0]\n" + String.join("\n",
                snat.rules().stream().map(r -> "-A VPC-IPAM-SNAT " + r).toList())
                + "\n-D POSTROUTING -j VPC-IPAM-SNAT\n-D POSTROUTING -j VPC-IPAM-SNAT\nCOMMIT\n", restore);
    }

    @Test
    void diff_externalSnatTurnedOn_emptiesOurChainAndUnhooksIt() {
        HostState want = HostPlan.desired(VIEW, LINKS, settings(true, true, HostSettings.SnatPorts.PRNG, List.of()))
                .state();
        HostState before = HostPlan.desired(VIEW, LINKS, DEFAULTS).state();
        Map<String, HostState.Chain> chains = new java.util.HashMap<>();
        before.chains().forEach((k, c) -> chains.put(k, new HostState.Chain(c.table(), c.name(), c.hook(), c.rules(),
                c.jumps(), true)));
        HostState actual = new HostState(want.links(), want.routes(), want.rules(), chains, want.sysctls());
        assertEquals("*nat\n:VPC-IPAM-SNAT - [0:0]\n-D POSTROUTING -j VPC-IPAM-SNAT\nCOMMIT\n",
                HostPlan.diff(want, actual).iptables());
    }

    @Test
    void routeTables_primaryIsMain_othersDeviceIndexPlusOne() {
        assertEquals(0, RouteTables.forDevice(0));
        assertEquals(2, RouteTables.forDevice(1));
        assertEquals(8, RouteTables.forDevice(7));
    }
}
