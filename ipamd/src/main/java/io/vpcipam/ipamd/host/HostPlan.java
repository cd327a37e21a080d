package io.vpcipam.ipamd.host;

import io.vpcipam.provider.Cidr;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The pure part of the node's data path: what the host should look like, from the pool's interfaces, the VPC's
 * blocks, the links found by MAC and the settings ({@link #desired}); and the commands that take the host from
 * what it is to that ({@link #diff}). No I/O: {@link LinuxHost} reads and applies, {@link HostNetwork} drives.
 *
 * <p>What ipamd owns, after the AWS CNI's networkutils:
 * <ul>
 *   <li>each secondary interface's link (device index 1+, found by MAC): MTU, up, the interface's primary address
 *       with the subnet's prefix length ({@code noprefixroute}: the subnet stays routed via the primary interface
 *       in main);</li>
 *   <li>its route table ({@link RouteTables#forDevice}): the subnet router on-link and {@code default via} it,
 *       and {@code from <its primary address> lookup <table>} at priority {@value #INTERFACE_RULE_PRIORITY};</li>
 *   <li>egress SNAT (unless external SNAT): chain {@value #SNAT_CHAIN} from nat POSTROUTING, RETURN for every VPC
 *       block and excluded block, then SNAT to the node's primary address for any non-local destination;</li>
 *   <li>NodePort support: chain {@value #CONNMARK_CHAIN} from mangle PREROUTING marks connections entering the
 *       primary interface for a local address ({@value #CONNMARK}) and restores the mark on packets from elsewhere
 *       (the pods' replies); {@code fwmark 0x80/0x80 lookup main} at {@value #NODEPORT_RULE_PRIORITY} sends those
 *       replies out of the primary interface, and rp_filter on it is loose (2).</li>
 * </ul>
 * Routes and rules carry protocol {@value #PROTOCOL}, so ours are told apart from everyone else's without a list
 * on disk: what carries it and is not desired is stale (an interface that went, a setting turned off) and goes.
 */
public final class HostPlan {

    /** The route and rule protocol number marking ours ({@code proto 117}). */
    public static final int PROTOCOL = 117;
    /** Priority of {@code from <interface primary address> lookup <table>} (the AWS CNI's). */
    public static final int INTERFACE_RULE_PRIORITY = 32765;
    /** Priority of the NodePort {@code fwmark} rule (the AWS CNI's). */
    public static final int NODEPORT_RULE_PRIORITY = 1024;
    /** The connmark bit of NodePort connections (the AWS CNI's default). */
    public static final String CONNMARK = "0x80";
    /** Our nat chain. */
    public static final String SNAT_CHAIN = "VPC-IPAM-SNAT";
    /** Our mangle chain. */
    public static final String CONNMARK_CHAIN = "VPC-IPAM-CONNMARK";

    private HostPlan() {
    }

    /**
     * The desired host, or why there is none.
     *
     * @param state    what the host should hold (null when {@code problem} is set: then nothing is applied)
     * @param links    each interface's link name, by interface id (interfaces whose link was found)
     * @param ready    interfaces whose node side this state completes (device index 1+, link found, subnet known)
     * @param missing  interfaces (device index 1+) whose link is not on the host
     * @param problem  null, or why the host cannot be set up at all (no link has the primary interface's MAC)
     */
    public record Desired(HostState state, Map<String, String> links, Set<String> ready, List<String> missing,
                          String problem) {
        public Desired {
            links = Map.copyOf(links);
            ready = Set.copyOf(ready);
            missing = List.copyOf(missing);
        }
    }

    /**
     * What should be on the host.
     *
     * @param view       the pool's interfaces and the VPC's blocks
     * @param linksByMac the host's links: lower-case MAC to name
     * @param s          the settings
     */
    public static Desired desired(HostView view, Map<String, String> linksByMac, HostSettings s) {
        HostView.Interface primary = view.primary();
        if (primary == null) {
            return new Desired(null, Map.of(), Set.of(), List.of(), "the cloud reported no primary interface");
        }
        String primaryLink = linksByMac.get(primary.mac());
        if (primaryLink == null) {
            return new Desired(null, Map.of(), Set.of(), List.of(), "no link on this host has the primary interface's MAC "
                    + primary.mac() + " (" + primary.id() + "): is ipamd running in the node's network namespace?");
        }
        Map<String, String> links = new LinkedHashMap<>();
        links.put(primary.id(), primaryLink);
        Map<String, HostState.Link> linkState = new TreeMap<>();
        Set<HostState.Route> routes = new LinkedHashSet<>();
        Set<HostState.Rule> rules = new LinkedHashSet<>();
        Set<String> ready = new LinkedHashSet<>();
        List<String> missing = new ArrayList<>();
        for (HostView.Interface i : view.interfaces()) {
            if (i.deviceIndex() == 0) {
                continue;
            }
            String link = linksByMac.get(i.mac());
            if (link == null) {
                missing.add(i.id());
                continue;
            }
            links.put(i.id(), link);
            if (i.subnet() == null || i.gateway() == null || i.primaryAddress() == null) {
                continue; // the next describe brings its subnet; until then it serves no pod
            }
            int table = RouteTables.forDevice(i.deviceIndex());
            linkState.put(link, new HostState.Link(link, s.interfaceMtu(), true,
                    List.of(i.primaryAddress() + "/" + i.subnet().length())));
            routes.add(new HostState.Route(table, i.gateway().toString(), null, link));
            routes.add(new HostState.Route(table, "default", i.gateway().toString(), link));
            rules.add(new HostState.Rule(INTERFACE_RULE_PRIORITY, i.primaryAddress() + "/32", null, table));
            ready.add(i.id());
        }
        Map<String, HostState.Chain> chains = new LinkedHashMap<>();
        HostState.Chain snat = snatChain(view.vpcCidrs(), primary, s);
        chains.put(snat.key(), snat);
        HostState.Chain connmark = connmarkChain(primaryLink, s);
        chains.put(connmark.key(), connmark);
        Map<String, String> sysctls = new TreeMap<>();
        if (s.nodePortSupport()) {
            rules.add(new HostState.Rule(NODEPORT_RULE_PRIORITY, null, CONNMARK + "/" + CONNMARK, RouteTables.MAIN));
            sysctls.put("net/ipv4/conf/" + primaryLink + "/rp_filter", "2");
        }
        return new Desired(new HostState(linkState, routes, rules, chains, sysctls), links, ready, missing, null);
    }

    static HostState.Chain snatChain(List<Cidr> vpcCidrs, HostView.Interface primary, HostSettings s) {
        List<String> rules = new ArrayList<>();
        if (!s.externalSnat() && primary.primaryAddress() != null) {
            for (Cidr c : vpcCidrs) {
                rules.add("-d " + c + " -m comment --comment \"vpc-ipam: VPC block\" -j RETURN");
            }
            for (Cidr c : s.excludeSnatCidrs()) {
                rules.add("-d " + c + " -m comment --comment \"vpc-ipam: AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS\" -j RETURN");
            }
            String ports = s.snatPorts().option();
            rules.add("-m addrtype ! --dst-type LOCAL -m comment --comment \"vpc-ipam: SNAT leaving the VPC\" -j SNAT"
                    + " --to-source " + primary.primaryAddress() + (ports.isEmpty() ? "" : " " + ports));
        }
        return new HostState.Chain("nat", SNAT_CHAIN, "POSTROUTING", rules, rules.isEmpty() ? 0 : 1, !rules.isEmpty());
    }

    static HostState.Chain connmarkChain(String primaryLink, HostSettings s) {
        List<String> rules = new ArrayList<>();
        if (s.nodePortSupport()) {
            rules.add("-i " + primaryLink + " -m addrtype --dst-type LOCAL --limit-iface-in -m comment --comment"
                    + " \"vpc-ipam: NodePort\" -j CONNMARK --set-xmark " + CONNMARK + "/" + CONNMARK);
            rules.add("! -i " + primaryLink + " -m comment --comment \"vpc-ipam: NodePort replies\" -j CONNMARK"
                    + " --restore-mark --nfmask " + CONNMARK + " --ctmask " + CONNMARK);
        }
        return new HostState.Chain("mangle", CONNMARK_CHAIN, "PREROUTING", rules, rules.isEmpty() ? 0 : 1,
                !rules.isEmpty());
    }

    /**
     * The commands that take the host from {@code actual} to {@code desired}; all empty when they agree.
     *
     * @param ipLines  an {@code ip -batch} script: stale rules and routes deleted, links set, routes and rules added
     * @param iptables an {@code iptables-restore --noflush} script, or null when our chains are as desired
     * @param sysctls  {@code /proc/sys} keys to write
     */
    public record Changes(List<String> ipLines, String iptables, Map<String, String> sysctls) {
        public Changes {
            ipLines = List.copyOf(ipLines);
            sysctls = Map.copyOf(sysctls);
        }

        /** Whether the host already is as desired. */
        public boolean none() {
            return ipLines.isEmpty() && iptables == null && sysctls.isEmpty();
        }
    }

    /** The commands that make {@code actual} into {@code desired}. */
    public static Changes diff(HostState desired, HostState actual) {
        List<String> ip = new ArrayList<>();
        for (HostState.Rule r : actual.rules()) {
            if (!desired.rules().contains(r)) {
                ip.add("rule del " + r.spec());
            }
        }
        for (HostState.Route r : actual.routes()) {
            if (!desired.routes().contains(r)) {
                ip.add("route del " + r.spec());
            }
        }
        for (HostState.Link want : desired.links().values()) {
            HostState.Link have = actual.links().get(want.name());
            List<String> haveAddrs = have == null ? List.of() : have.addresses();
            for (String a : haveAddrs) {
                if (!want.addresses().contains(a)) {
                    ip.add("address del " + a + " dev " + want.name());
                }
            }
            for (String a : want.addresses()) {
                if (!haveAddrs.contains(a)) {
                    ip.add("address add " + a + " dev " + want.name() + " noprefixroute");
                }
            }
            if (have == null || !have.up() || (want.mtu() != 0 && want.mtu() != have.mtu())) {
                ip.add("link set dev " + want.name() + (want.mtu() != 0 ? " mtu " + want.mtu() : "") + " up");
            }
        }
        // on-link routes first: a default route via the router needs the router reachable
        desired.routes().stream().filter(r -> !actual.routes().contains(r))
                .sorted((a, b) -> Boolean.compare(a.gateway() != null, b.gateway() != null))
                .forEach(r -> ip.add("route replace " + r.spec()));
        for (HostState.Rule r : desired.rules()) {
            if (!actual.rules().contains(r)) {
                ip.add("rule add " + r.spec() + " protocol " + PROTOCOL);
            }
        }
        Map<String, String> sysctls = new TreeMap<>();
        desired.sysctls().forEach((k, v) -> {
            if (!v.equals(actual.sysctls().get(k))) {
                sysctls.put(k, v);
            }
        });
        return new Changes(ip, iptables(desired.chains().values(), actual.chains()), sysctls);
    }

    private static String iptables(Collection<HostState.Chain> desired, Map<String, HostState.Chain> actual) {
        Map<String, List<String>> byTable = new TreeMap<>();
        for (HostState.Chain want : desired) {
            HostState.Chain have = actual.get(want.key());
            List<String> lines = new ArrayList<>();
            boolean exists = have != null && have.exists();
            List<String> haveRules = exists ? have.rules() : List.of();
            int haveJumps = have == null ? 0 : have.jumps();
            if (!Objects.equals(haveRules, want.rules()) || (!exists && want.exists())) {
                lines.add(":" + want.name() + " - [0:0]"); // declaring a chain in --noflush mode empties it
                for (String r : want.rules()) {
                    lines.add("-A " + want.name() + " " + r);
                }
            }
            for (int j = haveJumps; j < want.jumps(); j++) {
                lines.add("-A " + want.hook() + " -j " + want.name());
            }
            for (int j = want.jumps(); j < haveJumps; j++) {
                lines.add("-D " + want.hook() + " -j " + want.name());
            }
            if (!lines.isEmpty()) {
                byTable.computeIfAbsent(want.table(), t -> new ArrayList<>()).addAll(lines);
            }
        }
        if (byTable.isEmpty()) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        byTable.forEach((table, lines) -> {
            b.append('*').append(table).append('\n');
            lines.forEach(l -> b.append(l).append('\n'));
            b.append("COMMIT\n");
        });
        return b.toString();
    }
}
