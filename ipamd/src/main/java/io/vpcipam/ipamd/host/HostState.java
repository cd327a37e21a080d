package io.vpcipam.ipamd.host;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The part of the node's network that ipamd owns, either as it should be ({@link HostPlan#desired}) or as it is
 * ({@link LinuxHost#read}). Routes and rules are only ever ours (tagged with {@link HostPlan#PROTOCOL}); links are
 * the secondary interfaces' links; chains are our own iptables chains; sysctls are the keys ipamd sets.
 *
 * @param links   secondary interfaces' links by name
 * @param routes  our routes (every table)
 * @param rules   our policy rules
 * @param chains  our iptables chains by {@code table/name}
 * @param sysctls {@code /proc/sys} keys (relative, e.g. {@code net/ipv4/conf/eth0/rp_filter}) and values
 */
public record HostState(Map<String, Link> links, Set<Route> routes, Set<Rule> rules, Map<String, Chain> chains,
                        Map<String, String> sysctls) {

    public HostState {
        links = Map.copyOf(links);
        routes = Set.copyOf(routes);
        rules = Set.copyOf(rules);
        chains = Map.copyOf(chains);
        sysctls = Map.copyOf(sysctls);
    }

    /**
     * A link.
     *
     * @param name      the Linux name
     * @param mtu       its MTU (0 = whatever it has)
     * @param up        administratively up
     * @param addresses its IPv4 addresses as {@code a.b.c.d/len}
     */
    public record Link(String name, int mtu, boolean up, List<String> addresses) {
        public Link {
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * A route in a numbered table.
     *
     * @param table   the table number
     * @param dst     {@code default} or an address / CIDR as ip prints it ({@code 10.0.0.1}, {@code 10.0.0.0/20})
     * @param gateway the next hop, or null for an on-link route
     * @param dev     the output link
     */
    public record Route(int table, String dst, String gateway, String dev) {

        /** The route as {@code ip route} arguments (after {@code replace}/{@code del}). */
        String spec() {
            return dst + (gateway == null ? "" : " via " + gateway) + " dev " + dev
                    + (gateway == null ? " scope link" : "") + " table " + table + " proto " + HostPlan.PROTOCOL;
        }
    }

    /**
     * A policy rule.
     *
     * @param priority its priority
     * @param from     source selector ({@code a.b.c.d/len}) or null for all
     * @param fwmark   {@code mark/mask}, or null
     * @param table    the table looked up ({@link RouteTables#MAIN} for main)
     */
    public record Rule(int priority, String from, String fwmark, int table) {

        /** The rule as {@code ip rule} selector and action (after {@code add}/{@code del}). */
        String spec() {
            return (from == null ? "" : "from " + from + " ") + (fwmark == null ? "" : "fwmark " + fwmark + " ")
                    + "lookup " + (table == RouteTables.MAIN ? "main" : String.valueOf(table)) + " priority " + priority;
        }
    }

    /**
     * One of our iptables chains and how it is hooked.
     *
     * @param table   {@code nat} or {@code mangle}
     * @param name    the chain
     * @param hook    the built-in chain jumping to it
     * @param rules   its rules as iptables-save prints them, without {@code -A NAME}
     * @param jumps   how many {@code -A hook -j name} rules exist (desired: 1 when it has rules, else 0)
     * @param exists  whether the chain exists
     */
    public record Chain(String table, String name, String hook, List<String> rules, int jumps, boolean exists) {
        public Chain {
            rules = List.copyOf(rules);
        }

        /** The key in {@link HostState#chains}. */
        public String key() {
            return table + "/" + name;
        }
    }
}
