package io.vpcipam.cni.netns;

import java.io.IOException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@link PodWiring} with iproute2 batches. ADD is two processes, both started while ipamd is
 * still answering: one in the host creates the veth with its pod end placed straight into the pod
 * netns, brings the host end up and adds the /32 route and the rules; then one in the pod netns
 * configures the pod end. DEL is one host batch: it deletes the host veth, which takes its pod
 * peer, the pod's addresses and routes and the host route with it, and the rules of the addresses
 * that are still ours (read from {@code /proc/net/route}: an address another pod holds now keeps
 * its rules).
 *
 * <p>Every host-side step that reads or changes routes and rules runs under the {@link HostLock}:
 * ADD from before its first change until its undo (if any) is done, DEL's ownership check together
 * with its deletion, and GC's rule sweep. Without it a DEL could read "no route elsewhere", then
 * another pod's ADD install the same address's route and rules, then the DEL delete those rules.
 * An ADD that cannot take the lock has changed nothing. CHECK's reads take no lock.
 *
 * <p>Why one class (~430 lines): ADD, its undo, DEL and GC's sweep write and delete the same host
 * objects (the veth name, the /32 route, the two rules per address) and must agree on their names,
 * their order and what each holds the lock around; split per command, that agreement would live in
 * several places. What only reads (CHECK's and GC's parsing of {@code ip -j}) is in
 * {@link IpReadings}.
 */
public final class IpWiring implements PodWiring {

    private final IpRunner ip;
    private final HostLock lock;

    /**
     * @param ip   runs the batches and reads the host's tables
     * @param lock the host-wide lock held around each host-side check and change
     */
    public IpWiring(IpRunner ip, HostLock lock) {
        this.ip = Objects.requireNonNull(ip, "ip");
        this.lock = Objects.requireNonNull(lock, "lock");
    }

    @Override
    public void add(WireSpec s) throws WiringException {
        try (Started started = startAdd(s.netns())) {
            started.add(s);
        }
    }

    /**
     * Proves the host lock file can be opened (before ipamd is asked for an address); {@link Started#begin}
     * then starts the host batch's and the pod batch's processes, which wait for their lines while ipamd
     * answers.
     */
    @Override
    public Started startAdd(String netns) throws WiringException {
        lock.probe();
        return new AddInProgress(netns);
    }

    /**
     * One ADD: under the host lock, first the host batch (it creates the veth with its pod end placed
     * straight into the pod netns, so nothing is made before the lock is held), then the pod batch; a
     * failure of either undoes both while the lock is still held.
     */
    private final class AddInProgress implements Started {
        private final String netns;
        private IpRunner.Batch host;
        private IpRunner.Batch pod;
        private boolean used;

        AddInProgress(String netns) {
            this.netns = netns;
        }

        @Override
        public void begin() {
            if (host == null) {
                host = ip.start(null, false, true);
                pod = ip.start(netns, false, false);
            }
        }

        @Override
        public void add(WireSpec s) throws WiringException {
            begin();
            used = true;
            HostLock.Held held;
            try {
                held = lock.acquire();
            } catch (WiringException e) {
                close();
                throw new WiringException(e.getMessage() + "; nothing was wired");
            }
            try (held) {
                List<String> hostLines = hostLines(s, links().contains(s.hostVeth()));
                IpRunner.Outcome first = finish(host, hostLines);
                for (IpRunner.Outcome.Failure f : first.failures()) {
                    // Deleting a leftover veth or stale rules for this address: "not there" is fine.
                    if (f.line() > 0 && isCleanup(line(hostLines, f.line())) && benign(f.message())) {
                        continue;
                    }
                    pod.abort();
                    undo(s);
                    throw new WiringException("host: `" + line(hostLines, f.line()) + "` failed: " + f.message());
                }
                List<String> podLines = podLines(s);
                IpRunner.Outcome second = finish(pod, podLines);
                if (!second.failures().isEmpty()) {
                    undo(s);
                    IpRunner.Outcome.Failure f = second.failures().getFirst();
                    throw new WiringException("pod netns " + s.netns() + ": `" + line(podLines, f.line()) + "` failed: "
                            + f.message());
                }
            }
        }

        @Override
        public void close() {
            if (!used) {
                used = true;
                if (host != null) {
                    host.abort();
                    pod.abort();
                }
            }
        }

        private IpRunner.Outcome finish(IpRunner.Batch b, List<String> lines) throws WiringException {
            try {
                return b.finish(lines);
            } catch (IOException e) {
                throw new WiringException("cannot run ip: " + e.getMessage());
            }
        }
    }

    private static boolean isCleanup(String line) {
        return line.startsWith("rule del ") || line.startsWith("link del ");
    }

    /** The pod side, in the pod netns, once the host batch has put {@code ifName} there. */
    static List<String> podLines(WireSpec s) {
        return List.of(
                "addr add " + s.address() + "/32 dev " + s.ifName(),
                "link set " + s.ifName() + " up",
                "route add " + GATEWAY + "/32 dev " + s.ifName() + " scope link",
                "route add default via " + GATEWAY + " dev " + s.ifName(),
                "neigh replace " + GATEWAY + " lladdr " + s.hostMac() + " dev " + s.ifName() + " nud permanent");
    }

    /**
     * The host side: a leftover veth of an earlier attempt for this key goes first (with its pod peer,
     * so a pod interface that is not ours is never touched), then the veth pair is made with its pod
     * end in the pod netns, stale rules for the address go, and the /32 route and rules are added.
     */
    static List<String> hostLines(WireSpec s, boolean leftover) {
        String mtu = s.mtu() > 0 ? " mtu " + s.mtu() : "";
        List<String> l = new ArrayList<>(7);
        if (leftover) {
            l.add("link del " + s.hostVeth());
        }
        l.add("link add " + s.hostVeth() + " up address " + s.hostMac() + mtu + " type veth peer name " + s.ifName()
                + " address " + s.podMac() + mtu + " netns \"" + s.netns() + "\"");
        l.add("rule del to " + s.address() + "/32 priority " + TO_POD_PRIORITY);
        l.add(flushFrom(s.address()));
        l.add("route replace " + s.address() + "/32 dev " + s.hostVeth() + " scope link");
        // every pod, as the AWS CNI does: a pod on a secondary interface whose from-rule covers the VPC must
        // reach a pod of the primary interface on this node directly, not out through its interface and back
        l.add("rule add to " + s.address() + "/32 lookup main priority " + TO_POD_PRIORITY);
        if (s.routeTable() != 0) {
            l.addAll(fromRules(s));
        }
        return l;
    }

    /**
     * The pod's from-rules (the AWS CNI's): with SNAT, one per VPC block, {@code from <pod> to <block> lookup N},
     * so traffic leaving the VPC takes main and the primary interface; with external SNAT ({@code ruleTo} empty)
     * {@code from <pod> lookup N}.
     */
    static List<String> fromRules(WireSpec s) {
        String prefix = "rule add from " + s.address() + "/32 ";
        String suffix = "lookup " + s.routeTable() + " priority " + FROM_POD_PRIORITY;
        if (s.ruleTo().isEmpty()) {
            return List.of(prefix + suffix);
        }
        List<String> out = new ArrayList<>(s.ruleTo().size());
        for (String to : s.ruleTo()) {
            out.add(prefix + "to " + to + " " + suffix);
        }
        return out;
    }

    /** Deletes every from-rule of the address (one per VPC block), never fails when there is none. */
    static String flushFrom(String address) {
        return "rule flush from " + address + "/32 priority " + FROM_POD_PRIORITY;
    }

    private IpRunner.Outcome run(String netns, boolean json, boolean force, List<String> lines) throws WiringException {
        try {
            return ip.run(netns, json, force, lines);
        } catch (IOException e) {
            throw new WiringException("cannot run ip: " + e.getMessage());
        }
    }

    /** Removes what a failed ADD made; the caller holds the host lock. Its own failure is not the ADD's error. */
    private void undo(WireSpec s) {
        try {
            removeVethAndRules(s.hostVeth(), notRoutedElsewhere(s.hostVeth(), List.of(s.address())));
        } catch (WiringException e) {
            // The ADD error is what the caller reports; the DEL the runtime sends next retries this.
        }
    }

    /**
     * One host batch, its process started before the lock is taken: under the lock, the addresses
     * (given, or else those routed to the veth) whose /32 is not routed to another device now are read
     * from {@code /proc/net/route}, then the veth and those addresses' rules are deleted.
     */
    @Override
    public void del(String hostVeth, List<String> addresses) throws WiringException {
        IpRunner.Batch batch = ip.start(null, false, true);
        HostLock.Held held;
        try {
            held = lock.acquire();
        } catch (WiringException e) {
            batch.abort();
            throw e;
        }
        try (held) {
            List<String> ours = addresses.isEmpty() ? routedTo(hostVeth) : notRoutedElsewhere(hostVeth, addresses);
            List<String> lines = removalLines(hostVeth, ours);
            IpRunner.Outcome o;
            try {
                o = batch.finish(lines);
            } catch (IOException e) {
                throw new WiringException("cannot run ip: " + e.getMessage());
            }
            failOnHarmful(lines, o);
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
            List<Object> p = IpReadings.parse(shown.stdout());
            List<String> lines = IpReadings.orphanRuleDeletions(IpReadings.objects(p, 0), IpReadings.objects(p, 1));
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

    /**
     * The {@code addresses} still ours: those whose main-table /32 route is via {@code hostVeth} or
     * absent. An address whose route points at another device has been handed to another pod since
     * (ipamd released it, a retried DEL or a stale attachment arrives late): its rules are that pod's
     * now, and they are matched by address and priority only, so deleting "ours" would delete its.
     * Call under the host lock.
     */
    private List<String> notRoutedElsewhere(String hostVeth, List<String> addresses) {
        Map<String, List<String>> routes;
        try {
            routes = hostRoutes(ip.procNet("route"));
        } catch (IOException | RuntimeException e) {
            // Cannot tell who owns them: remove the rules as before rather than leak them.
            return addresses;
        }
        List<String> ours = new ArrayList<>(addresses.size());
        for (String a : addresses) {
            boolean elsewhere = false;
            for (String dev : routes.getOrDefault(a, List.of())) {
                elsewhere |= !dev.equals(hostVeth);
            }
            if (!elsewhere) {
                ours.add(a);
            }
        }
        return ours;
    }

    /** The /32s routed to the host veth (DEL without prevResult); empty when the veth is gone. */
    private List<String> routedTo(String hostVeth) throws WiringException {
        Map<String, List<String>> routes;
        try {
            routes = hostRoutes(ip.procNet("route"));
        } catch (IOException | RuntimeException e) {
            throw new WiringException("cannot read the host's routes: " + e.getMessage());
        }
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, List<String>> r : routes.entrySet()) {
            if (r.getValue().contains(hostVeth)) {
                out.add(r.getKey());
            }
        }
        return out;
    }

    private static List<String> removalLines(String hostVeth, List<String> addresses) {
        List<String> lines = new ArrayList<>(1 + 2 * addresses.size());
        lines.add("link del " + hostVeth);
        for (String a : addresses) {
            lines.add("rule del to " + a + "/32 priority " + TO_POD_PRIORITY);
            lines.add(flushFrom(a));
        }
        return lines;
    }

    private void removeVethAndRules(String hostVeth, List<String> addresses) throws WiringException {
        List<String> lines = removalLines(hostVeth, addresses);
        failOnHarmful(lines, run(null, false, true, lines));
    }

    private static void failOnHarmful(List<String> lines, IpRunner.Outcome o) throws WiringException {
        for (IpRunner.Outcome.Failure f : o.failures()) {
            if (!benign(f.message())) {
                throw new WiringException("host: `" + line(lines, f.line()) + "` failed: " + f.message());
            }
        }
    }

    /** The host's link names, from {@code /proc/net/dev}; empty when it cannot be read. */
    private Set<String> links() {
        Set<String> out = new HashSet<>();
        try {
            String[] rows = ip.procNet("dev").split("\n");
            for (String row : rows) {
                int colon = row.indexOf(':');
                if (colon > 0 && !row.contains("|")) {
                    out.add(row.substring(0, colon).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // Unknown: the link add then fails with "File exists" if a leftover is there, and the ADD is undone.
        }
        return out;
    }

    /**
     * The main table's host (/32) routes from {@code /proc/net/route} text: address to the devices
     * routing it. The kernel prints each address as the hex of its network-order bytes read as a
     * native integer.
     */
    static Map<String, List<String>> hostRoutes(String procNetRoute) {
        Map<String, List<String>> out = new HashMap<>();
        boolean little = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        String[] rows = procNetRoute.split("\n");
        for (int r = 1; r < rows.length; r++) {
            List<String> f = fields(rows[r]);
            if (f.size() < 8 || !f.get(7).equals("FFFFFFFF")) {
                continue;
            }
            int v = (int) Long.parseLong(f.get(1), 16);
            if (!little) {
                v = Integer.reverseBytes(v);
            }
            String address = (v & 0xff) + "." + ((v >>> 8) & 0xff) + "." + ((v >>> 16) & 0xff) + "." + (v >>> 24);
            out.computeIfAbsent(address, k -> new ArrayList<>(1)).add(f.get(0));
        }
        return out;
    }

    /**
     * A {@code /proc/net} row's whitespace-separated fields. By hand: {@code split("\\s+")} compiles a
     * regex for every row, interpreted, and a node's route table has a row per pod (DEL reads it).
     */
    static List<String> fields(String row) {
        List<String> out = new ArrayList<>(12);
        int i = 0;
        int n = row.length();
        while (i < n) {
            while (i < n && Character.isWhitespace(row.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && !Character.isWhitespace(row.charAt(i))) {
                i++;
            }
            if (i > start) {
                out.add(row.substring(start, i));
            }
        }
        return out;
    }

    /** ip's words for "it is already gone": the goal of a deletion is reached. */
    static boolean benign(String message) {
        return message.contains("Cannot find device") || message.contains("No such file or directory")
                || message.contains("No such process") || message.contains("does not exist");
    }

    /** Reads the pod netns and the host with {@code ip -j} and compares them with {@code s} ({@link IpReadings}). */
    @Override
    public List<String> check(WireSpec s) throws WiringException {
        List<String> problems = new ArrayList<>();
        IpRunner.Outcome pod = run(s.netns(), true, false, List.of("addr show", "route show", "neigh show"));
        if (!pod.failures().isEmpty()) {
            problems.add("cannot read pod netns " + s.netns() + ": " + pod.failures().getFirst().message());
            return problems;
        }
        List<Object> p = IpReadings.parse(pod.stdout());
        IpReadings.checkPod(s, IpReadings.objects(p, 0), IpReadings.objects(p, 1), IpReadings.objects(p, 2), problems);
        IpRunner.Outcome host = run(null, true, false, List.of("link show", "route show", "rule show"));
        if (!host.failures().isEmpty()) {
            problems.add("cannot read host network: " + host.failures().getFirst().message());
            return problems;
        }
        List<Object> h = IpReadings.parse(host.stdout());
        IpReadings.checkHost(s, IpReadings.objects(h, 0), IpReadings.objects(h, 1), IpReadings.objects(h, 2), problems);
        return problems;
    }

    private static String line(List<String> lines, int n) {
        return n >= 1 && n <= lines.size() ? lines.get(n - 1) : "ip";
    }
}
