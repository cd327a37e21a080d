package io.vpcipam.cni.netns;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@link PodWiring} with iproute2 batches. ADD is two processes: one in the pod netns creates
 * the veth there with its peer placed straight into the host netns (the AWS CNI's order: no
 * move afterwards) and configures the pod side; one in the host brings the peer up and adds the
 * /32 route and the rules. DEL is two host batches: one reads which device the addresses are
 * routed to (an address another pod holds now keeps its rules), one deletes the host veth, which
 * takes its pod peer, the pod's addresses and routes and the host route with it, and the rules.
 *
 * <p>Every host-side step that reads or changes routes and rules runs under the {@link HostLock}:
 * ADD's host batch, DEL's ownership check together with its deletion, and GC's rule sweep. Without
 * it a DEL could read "no route elsewhere", then another pod's ADD install the same address's
 * route and rules, then the DEL delete those rules. The pod batch and CHECK's reads take no lock.
 */
public final class IpWiring implements PodWiring {

    /** jackson-jr for ip's JSON (CHECK, and DEL), initialised on first use only. */
    private static final class Jackson {
        static final JSON JSON_R = JSON.std.with(JSON.Feature.USE_DEFERRED_MAPS, false);
    }

    private final IpRunner ip;
    private final long hostPid;
    private final HostLock lock;

    /**
     * @param ip      runs the batches
     * @param hostPid a process in the host netns: the veth peer is created into its netns (our own pid)
     * @param lock    the host-wide lock held around each host-side check and change
     */
    public IpWiring(IpRunner ip, long hostPid, HostLock lock) {
        this.ip = Objects.requireNonNull(ip, "ip");
        this.hostPid = hostPid;
        this.lock = Objects.requireNonNull(lock, "lock");
    }

    @Override
    public void add(WireSpec s) throws WiringException {
        List<String> pod = podLines(s, hostPid);
        IpRunner.Outcome first = run(s.netns(), false, false, pod);
        if (!first.failures().isEmpty()) {
            IpRunner.Outcome.Failure f = first.failures().getFirst();
            if (f.line() == 1 && f.message().contains("File exists") && hostLinkExists(s.hostVeth())) {
                // A leftover of an earlier attempt for this key: its host veth (and with it the pod
                // peer) goes, then one more try. A pod interface that is not ours is never touched.
                teardown(s.hostVeth(), List.of(s.address()));
                first = run(s.netns(), false, false, pod);
            }
            if (!first.failures().isEmpty()) {
                undo(s);
                f = first.failures().getFirst();
                throw new WiringException("pod netns " + s.netns() + ": `" + line(pod, f.line()) + "` failed: "
                        + f.message());
            }
        }
        List<String> host = hostLines(s);
        IpRunner.Outcome second;
        try (HostLock.Held held = lock.acquire()) {
            second = run(null, false, true, host);
        } catch (WiringException e) {
            undo(s);
            throw e;
        }
        for (IpRunner.Outcome.Failure f : second.failures()) {
            // The leading rule deletions clear stale rules for this address; "not there" is fine.
            if (f.line() > 0 && f.line() <= 2 && benign(f.message())) {
                continue;
            }
            undo(s);
            throw new WiringException("host: `" + line(host, f.line()) + "` failed: " + f.message());
        }
    }

    static List<String> podLines(WireSpec s, long hostPid) {
        String mtu = s.mtu() > 0 ? " mtu " + s.mtu() : "";
        return List.of(
                "link add " + s.ifName() + " address " + s.podMac() + mtu + " type veth peer name " + s.hostVeth()
                        + " address " + s.hostMac() + mtu + " netns " + hostPid,
                "addr add " + s.address() + "/32 dev " + s.ifName(),
                "link set " + s.ifName() + " up",
                "route add " + GATEWAY + "/32 dev " + s.ifName() + " scope link",
                "route add default via " + GATEWAY + " dev " + s.ifName(),
                "neigh replace " + GATEWAY + " lladdr " + s.hostMac() + " dev " + s.ifName() + " nud permanent");
    }

    static List<String> hostLines(WireSpec s) {
        List<String> l = new ArrayList<>(6);
        l.add("rule del to " + s.address() + "/32 priority " + TO_POD_PRIORITY);
        l.add("rule del from " + s.address() + "/32 priority " + FROM_POD_PRIORITY);
        l.add("link set " + s.hostVeth() + " up");
        l.add("route replace " + s.address() + "/32 dev " + s.hostVeth() + " scope link");
        if (s.routeTable() != 0) {
            l.add("rule add to " + s.address() + "/32 lookup main priority " + TO_POD_PRIORITY);
            l.add("rule add from " + s.address() + "/32 lookup " + s.routeTable() + " priority " + FROM_POD_PRIORITY);
        }
        return l;
    }

    private IpRunner.Outcome run(String netns, boolean json, boolean force, List<String> lines) throws WiringException {
        try {
            return ip.run(netns, json, force, lines);
        } catch (IOException e) {
            throw new WiringException("cannot run ip: " + e.getMessage());
        }
    }

    private void undo(WireSpec s) {
        try {
            teardown(s.hostVeth(), List.of(s.address()));
        } catch (WiringException e) {
            // The ADD error is what the caller reports; the DEL the runtime sends next retries this.
        }
    }

    @Override
    public void del(String hostVeth, List<String> addresses) throws WiringException {
        if (addresses.isEmpty()) {
            try (HostLock.Held held = lock.acquire()) {
                // Routed to our veth: ours by definition, no need to ask again who owns them.
                removeVethAndRules(hostVeth, routedTo(hostVeth));
            }
        } else {
            teardown(hostVeth, addresses);
        }
    }

    /**
     * GC's sweep, under the host lock: lists the rules at our two priorities first, then the main
     * table's routes (ADD adds the route before the rules, so rules of a concurrent ADD would be seen
     * with their route), and deletes every rule whose address has no /32 route in main: its pod's
     * veth, and the route with it, is gone. Veths are left alone: their names are hashes, and a live
     * netns cannot be matched to a network.
     */
    @Override
    public List<String> sweepRules() throws WiringException {
        try (HostLock.Held held = lock.acquire()) {
            IpRunner.Outcome shown = run(null, true, false, List.of("rule show", "route show table main"));
            if (!shown.failures().isEmpty()) {
                throw new WiringException("host: cannot list rules and routes: " + shown.failures().getFirst().message());
            }
            List<Object> p = parse(shown.stdout());
            List<String> lines = orphanRuleDeletions(objects(p, 0), objects(p, 1));
            if (lines.isEmpty()) {
                return List.of();
            }
            IpRunner.Outcome o = run(null, false, true, lines);
            for (IpRunner.Outcome.Failure f : o.failures()) {
                if (!benign(f.message())) {
                    throw new WiringException("host: `" + line(lines, f.line()) + "` failed: " + f.message());
                }
            }
            return lines;
        }
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
                lines.add("rule del from " + a + "/32 priority " + FROM_POD_PRIORITY);
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

    /**
     * Removes the host veth and the rules of those {@code addresses} that are still ours. An address
     * whose host /32 route points at another device has been handed to another pod since (ipamd
     * released it, a retried DEL or a stale attachment arrives late): its rules are that pod's now,
     * and they are matched by address and priority only, so deleting "ours" would delete its.
     */
    private void teardown(String hostVeth, List<String> addresses) throws WiringException {
        try (HostLock.Held held = lock.acquire()) {
            removeVethAndRules(hostVeth, notRoutedElsewhere(hostVeth, addresses));
        }
    }

    /** The addresses whose main-table /32 route is via {@code hostVeth} or absent. */
    private List<String> notRoutedElsewhere(String hostVeth, List<String> addresses) throws WiringException {
        List<String> lines = new ArrayList<>(addresses.size());
        for (String a : addresses) {
            lines.add("route show exact " + a + "/32");
        }
        IpRunner.Outcome o = run(null, true, true, lines);
        if (!o.failures().isEmpty()) {
            // Cannot tell who owns them: remove the rules as before rather than leak them.
            return addresses;
        }
        List<Object> shown = parse(o.stdout());
        List<String> ours = new ArrayList<>(addresses.size());
        for (int i = 0; i < addresses.size(); i++) {
            boolean elsewhere = false;
            for (Map<String, Object> r : objects(shown, i)) {
                elsewhere |= r.get("dev") instanceof String dev && !dev.equals(hostVeth);
            }
            if (!elsewhere) {
                ours.add(addresses.get(i));
            }
        }
        return ours;
    }

    private void removeVethAndRules(String hostVeth, List<String> addresses) throws WiringException {
        List<String> lines = new ArrayList<>(1 + 2 * addresses.size());
        lines.add("link del " + hostVeth);
        for (String a : addresses) {
            lines.add("rule del to " + a + "/32 priority " + TO_POD_PRIORITY);
            lines.add("rule del from " + a + "/32 priority " + FROM_POD_PRIORITY);
        }
        IpRunner.Outcome o = run(null, false, true, lines);
        for (IpRunner.Outcome.Failure f : o.failures()) {
            if (!benign(f.message())) {
                throw new WiringException("host: `" + line(lines, f.line()) + "` failed: " + f.message());
            }
        }
    }

    /** The /32s routed to the host veth (DEL without prevResult); empty when the veth is gone. */
    private List<String> routedTo(String hostVeth) throws WiringException {
        IpRunner.Outcome o = run(null, true, true, List.of("route show dev " + hostVeth));
        List<String> out = new ArrayList<>();
        for (Map<String, Object> r : objects(parse(o.stdout()), 0)) {
            if (r.get("dst") instanceof String dst && dst.indexOf('/') < 0 && !dst.equals("default")) {
                out.add(dst);
            }
        }
        return out;
    }

    private boolean hostLinkExists(String hostVeth) throws WiringException {
        IpRunner.Outcome o = run(null, true, true, List.of("link show dev " + hostVeth));
        return !objects(parse(o.stdout()), 0).isEmpty();
    }

    /** ip's words for "it is already gone": the goal of a deletion is reached. */
    static boolean benign(String message) {
        return message.contains("Cannot find device") || message.contains("No such file or directory")
                || message.contains("No such process") || message.contains("does not exist");
    }

    @Override
    public List<String> check(WireSpec s) throws WiringException {
        List<String> problems = new ArrayList<>();
        IpRunner.Outcome pod = run(s.netns(), true, false, List.of("addr show", "route show", "neigh show"));
        if (!pod.failures().isEmpty()) {
            problems.add("cannot read pod netns " + s.netns() + ": " + pod.failures().getFirst().message());
            return problems;
        }
        List<Object> p = parse(pod.stdout());
        checkPod(s, objects(p, 0), objects(p, 1), objects(p, 2), problems);
        IpRunner.Outcome host = run(null, true, false, List.of("link show", "route show", "rule show"));
        if (!host.failures().isEmpty()) {
            problems.add("cannot read host network: " + host.failures().getFirst().message());
            return problems;
        }
        List<Object> h = parse(host.stdout());
        checkHost(s, objects(h, 0), objects(h, 1), objects(h, 2), problems);
        return problems;
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
        boolean from = false;
        for (Map<String, Object> r : rules) {
            Object prio = r.get("priority");
            to |= Objects.equals(prio, TO_POD_PRIORITY) && s.address().equals(r.get("dst"))
                    && "main".equals(r.get("table"));
            from |= Objects.equals(prio, FROM_POD_PRIORITY) && s.address().equals(r.get("src"))
                    && String.valueOf(s.routeTable()).equals(r.get("table"));
        }
        if (s.routeTable() != 0 && !to) {
            problems.add("host lacks the rule to " + s.address() + " lookup main priority " + TO_POD_PRIORITY);
        }
        if (s.routeTable() != 0 && !from) {
            problems.add("host lacks the rule from " + s.address() + " lookup " + s.routeTable()
                    + " priority " + FROM_POD_PRIORITY);
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

    private static List<Object> parse(String text) throws WiringException {
        List<Object> out = new ArrayList<>();
        JSON json = Jackson.JSON_R;
        try (JsonParser p = json.getStreamingFactory().createParser(text)) {
            while (p.nextToken() != null) {
                out.add(json.anyFrom(p));
            }
        } catch (IOException | RuntimeException e) {
            throw new WiringException("cannot read ip's JSON: " + e.getMessage());
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> objects(List<Object> arrays, int i) {
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

    private static String line(List<String> lines, int n) {
        return n >= 1 && n <= lines.size() ? lines.get(n - 1) : "ip";
    }
}
