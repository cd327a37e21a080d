package io.vpcipam.cni.netns;

import static io.vpcipam.cni.netns.PodWiring.FROM_POD_PRIORITY;
import static io.vpcipam.cni.netns.PodWiring.GATEWAY;
import static io.vpcipam.cni.netns.PodWiring.TO_POD_PRIORITY;

import io.vpcipam.protocol.Json;
import io.vpcipam.protocol.JsonException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What {@code ip -j} output says, for the two commands that read the host instead of changing it:
 * CHECK (the pod's and the host's links, addresses, routes, neighbours and rules against the
 * {@link WireSpec}) and GC's rule sweep (our rules whose pod route is gone). Pure functions over the
 * parsed JSON; the processes and the host lock stay in {@link IpWiring}. ADD and DEL never load this class.
 */
final class IpReadings {

    private IpReadings() {
    }

    /** The {@code rule del} lines for our rules whose /32 has no host route in {@code mainRoutes}. */
    static List<String> orphanRuleDeletions(List<Map<String, Object>> rules, List<Map<String, Object>> mainRoutes) {
        Set<String> routed = new HashSet<>();
        for (Map<String, Object> r : mainRoutes) {
            if (r.get("dst") instanceof String dst && dst.indexOf('/') < 0 && !dst.equals("default")) {
                routed.add(dst);
            }
        }
        Set<String> lines = new LinkedHashSet<>();
        for (Map<String, Object> r : rules) {
            Object prio = r.get("priority");
            if (Objects.equals(prio, TO_POD_PRIORITY) && hostAddress(r, "dst") instanceof String a && !routed.contains(a)) {
                lines.add("rule del to " + a + "/32 priority " + TO_POD_PRIORITY);
            } else if (Objects.equals(prio, FROM_POD_PRIORITY) && hostAddress(r, "src") instanceof String a
                    && !routed.contains(a)) {
                lines.add(IpWiring.flushFrom(a));
            }
        }
        return new ArrayList<>(lines);
    }

    /** The rule's {@code key} selector when it is one IPv4 address (a /32), else null. */
    private static String hostAddress(Map<String, Object> rule, String key) {
        Object len = rule.get(key + "len");
        if (rule.get(key) instanceof String a && (len == null || Objects.equals(len, 32))
                && a.indexOf(':') < 0 && !a.equals("all") && a.indexOf('/') < 0) {
            return a;
        }
        return null;
    }

    static void checkPod(WireSpec s, List<Map<String, Object>> links, List<Map<String, Object>> routes,
                         List<Map<String, Object>> neighs, List<String> problems) {
        Map<String, Object> link = find(links, "ifname", s.ifName());
        if (link == null) {
            problems.add("pod interface " + s.ifName() + " is missing");
            return;
        }
        if (!s.podMac().equalsIgnoreCase(String.valueOf(link.get("address")))) {
            problems.add("pod interface " + s.ifName() + " has MAC " + link.get("address") + ", expected " + s.podMac());
        }
        if (s.mtu() > 0 && !Objects.equals(link.get("mtu"), s.mtu())) {
            problems.add("pod interface " + s.ifName() + " has MTU " + link.get("mtu") + ", expected " + s.mtu());
        }
        if (!(link.get("flags") instanceof List<?> flags) || !flags.contains("UP")) {
            problems.add("pod interface " + s.ifName() + " is down");
        }
        boolean hasAddr = false;
        if (link.get("addr_info") instanceof List<?> addrs) {
            for (Object a : addrs) {
                if (a instanceof Map<?, ?> am && s.address().equals(am.get("local"))
                        && Objects.equals(am.get("prefixlen"), 32)) {
                    hasAddr = true;
                }
            }
        }
        if (!hasAddr) {
            problems.add("pod interface " + s.ifName() + " lacks " + s.address() + "/32");
        }
        boolean gwRoute = false;
        boolean dflt = false;
        for (Map<String, Object> r : routes) {
            if (!s.ifName().equals(r.get("dev"))) {
                continue;
            }
            gwRoute |= GATEWAY.equals(r.get("dst"));
            dflt |= "default".equals(r.get("dst")) && GATEWAY.equals(r.get("gateway"));
        }
        if (!gwRoute) {
            problems.add("pod lacks the route " + GATEWAY + "/32 dev " + s.ifName());
        }
        if (!dflt) {
            problems.add("pod lacks the default route via " + GATEWAY);
        }
        boolean neigh = false;
        for (Map<String, Object> n : neighs) {
            if (GATEWAY.equals(n.get("dst")) && s.ifName().equals(n.get("dev"))
                    && s.hostMac().equalsIgnoreCase(String.valueOf(n.get("lladdr")))
                    && n.get("state") instanceof List<?> st && st.contains("PERMANENT")) {
                neigh = true;
            }
        }
        if (!neigh) {
            problems.add("pod lacks the permanent neighbour " + GATEWAY + " -> " + s.hostMac());
        }
    }

    static void checkHost(WireSpec s, List<Map<String, Object>> links, List<Map<String, Object>> routes,
                          List<Map<String, Object>> rules, List<String> problems) {
        Map<String, Object> link = find(links, "ifname", s.hostVeth());
        if (link == null) {
            problems.add("host veth " + s.hostVeth() + " is missing");
            return;
        }
        if (!s.hostMac().equalsIgnoreCase(String.valueOf(link.get("address")))) {
            problems.add("host veth " + s.hostVeth() + " has MAC " + link.get("address") + ", expected " + s.hostMac());
        }
        boolean route = false;
        for (Map<String, Object> r : routes) {
            route |= s.address().equals(r.get("dst")) && s.hostVeth().equals(r.get("dev"));
        }
        if (!route) {
            problems.add("host lacks the route " + s.address() + "/32 dev " + s.hostVeth());
        }
        boolean to = false;
        Set<String> fromTo = new HashSet<>(); // the destinations of the address's from-rules ("all" for none)
        for (Map<String, Object> r : rules) {
            Object prio = r.get("priority");
            to |= Objects.equals(prio, TO_POD_PRIORITY) && s.address().equals(r.get("dst"))
                    && "main".equals(r.get("table"));
            if (Objects.equals(prio, FROM_POD_PRIORITY) && s.address().equals(r.get("src"))
                    && String.valueOf(s.routeTable()).equals(r.get("table"))) {
                fromTo.add(r.get("dst") instanceof String d ? d + "/" + r.get("dstlen") : "all");
            }
        }
        if (!to) {
            problems.add("host lacks the rule to " + s.address() + " lookup main priority " + TO_POD_PRIORITY);
        }
        if (s.routeTable() != 0) {
            for (String dst : s.ruleTo().isEmpty() ? List.of("all") : s.ruleTo()) {
                if (!fromTo.contains(dst)) {
                    problems.add("host lacks the rule from " + s.address() + (dst.equals("all") ? "" : " to " + dst)
                            + " lookup " + s.routeTable() + " priority " + FROM_POD_PRIORITY);
                }
            }
        }
    }

    private static Map<String, Object> find(List<Map<String, Object>> list, String key, String value) {
        for (Map<String, Object> m : list) {
            if (value.equals(m.get(key))) {
                return m;
            }
        }
        return null;
    }

    /** ip's JSON: one array per batch command (a repeated key is allowed, the last wins). */
    static List<Object> parse(String text) throws WiringException {
        try {
            return Json.parseAll(text);
        } catch (JsonException e) {
            throw new WiringException("cannot read ip's JSON: " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> objects(List<Object> arrays, int i) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (i < arrays.size() && arrays.get(i) instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Map<?, ?> m) {
                    out.add((Map<String, Object>) m);
                }
            }
        }
        return out;
    }
}
