package io.vpcipam.ipamd.host;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Reads and changes the host's network, in ipamd's own network namespace, with the tools every node has:
 * {@code ip -json} to read links, addresses, routes and rules, one {@code ip -batch} to change them,
 * {@code iptables-save}/{@code iptables-restore --noflush} for our chains, and {@code /proc/sys} for sysctls.
 *
 * <p>Why iptables-restore and not {@code nft -f}: kube-proxy and the AWS CNI program the node through iptables,
 * and the {@code iptables} on the node is whichever backend (nft or legacy) kube-proxy uses, so our chains sit in
 * the same tables as kube-proxy's, are listed by the {@code iptables-save} operators already read, and are ordered
 * against kube-proxy's (appended after its jumps). {@code iptables-restore --noflush} replaces each of our chains
 * in one transaction per table and leaves every other chain alone. A separate nft table would work on a kernel
 * with nf_tables only, be invisible to {@code iptables-save}, and need the {@code nft} binary that node images
 * and ours do not otherwise carry.
 */
public final class LinuxHost {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final String ip;
    private final String iptablesSave;
    private final String iptablesRestore;
    private final Path procSys;
    private HostException unreadable; // the last read's iptables-save failure (one host thread uses this)

    /**
     * @param ip              the ip binary ({@code ip}, found on PATH)
     * @param iptablesSave    the iptables-save binary
     * @param iptablesRestore the iptables-restore binary
     * @param procSys         {@code /proc/sys}
     */
    public LinuxHost(String ip, String iptablesSave, String iptablesRestore, Path procSys) {
        this.ip = ip;
        this.iptablesSave = iptablesSave;
        this.iptablesRestore = iptablesRestore;
        this.procSys = procSys;
    }

    /** The node's tools from PATH. */
    public static LinuxHost system() {
        return new LinuxHost("ip", "iptables-save", "iptables-restore", Path.of("/proc/sys"));
    }

    /** Links by lower-case MAC (the first name wins when two share one, e.g. a bond and its port). */
    public Map<String, String> linksByMac() throws HostException {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map<String, Object> l : objects(run(List.of(ip, "-json", "link", "show"), null, "ip link show"))) {
            if (l.get("address") instanceof String mac && l.get("ifname") instanceof String name
                    && "ether".equals(l.get("link_type"))) {
                out.putIfAbsent(mac.toLowerCase(Locale.ROOT), name);
            }
        }
        return out;
    }

    /** What the host holds of what {@code desired} covers: its links, all our routes, rules and chains, its sysctls. */
    public HostState read(HostState desired) throws HostException {
        Map<String, HostState.Link> links = new HashMap<>();
        for (Map<String, Object> l : objects(run(List.of(ip, "-json", "address", "show"), null, "ip address show"))) {
            if (!(l.get("ifname") instanceof String name) || !desired.links().containsKey(name)) {
                continue;
            }
            links.put(name, link(l));
        }
        Set<HostState.Route> routes = routes(objects(run(List.of(ip, "-json", "route", "show", "table", "all",
                "proto", String.valueOf(HostPlan.PROTOCOL)), null, "ip route show")));
        Set<HostState.Rule> rules = rules(objects(run(List.of(ip, "-json", "rule", "show"), null, "ip rule show")));
        Map<String, HostState.Chain> chains = new HashMap<>();
        Map<String, String> saved = new HashMap<>();
        unreadable = null;
        for (HostState.Chain c : desired.chains().values()) {
            String text = saved.get(c.table());
            if (text == null) {
                try {
                    text = run(List.of(iptablesSave, "-t", c.table()), null, "iptables-save -t " + c.table());
                } catch (HostException e) {
                    // links, routes and rules go on without it; apply() reports this after the ip batch
                    unreadable = e;
                    text = "";
                }
                saved.put(c.table(), text);
            }
            chains.put(c.key(), chain(text, c));
        }
        Map<String, String> sysctls = new HashMap<>();
        for (String key : desired.sysctls().keySet()) {
            try {
                sysctls.put(key, Files.readString(procSys.resolve(key)).strip());
            } catch (IOException e) {
                sysctls.put(key, ""); // the write reports it
            }
        }
        return new HostState(links, routes, rules, chains, sysctls);
    }

    /**
     * Applies {@code changes}: the ip batch, then the sysctls, then our chains. Each step that fails throws with
     * what the tool said; the steps before it stay applied (the next pass reads and goes on from there).
     */
    public void apply(HostPlan.Changes changes) throws HostException {
        if (!changes.ipLines().isEmpty()) {
            run(List.of(ip, "-batch", "-"), String.join("\n", changes.ipLines()) + "\n", "ip -batch");
        }
        for (Map.Entry<String, String> e : changes.sysctls().entrySet()) {
            try {
                Files.writeString(procSys.resolve(e.getKey()), e.getValue());
            } catch (IOException ex) {
                throw new HostException(HostException.Step.SYSCTL,
                        "cannot write " + e.getValue() + " to /proc/sys/" + e.getKey() + ": " + ex.getMessage());
            }
        }
        if (changes.iptables() != null) {
            if (unreadable != null) {
                throw unreadable; // what our chains hold is unknown: restoring blind could duplicate jumps
            }
            run(List.of(iptablesRestore, "-w", "5", "--noflush"), changes.iptables(), "iptables-restore");
        }
    }

    static HostState.Link link(Map<String, Object> l) {
        List<String> addrs = new ArrayList<>();
        if (l.get("addr_info") instanceof List<?> infos) {
            for (Object o : infos) {
                if (o instanceof Map<?, ?> a && "inet".equals(a.get("family")) && a.get("local") instanceof String local
                        && a.get("prefixlen") instanceof Number len) {
                    addrs.add(local + "/" + len.intValue());
                }
            }
        }
        boolean up = l.get("flags") instanceof List<?> flags && flags.contains("UP");
        int mtu = l.get("mtu") instanceof Number n ? n.intValue() : 0;
        return new HostState.Link((String) l.get("ifname"), mtu, up, addrs);
    }

    static Set<HostState.Route> routes(List<Map<String, Object>> shown) {
        Set<HostState.Route> out = new LinkedHashSet<>();
        for (Map<String, Object> r : shown) {
            int table = table(r.get("table"));
            if (table > 0 && r.get("dst") instanceof String dst && r.get("dev") instanceof String dev) {
                out.add(new HostState.Route(table, dst, r.get("gateway") instanceof String g ? g : null, dev));
            }
        }
        return out;
    }

    static Set<HostState.Rule> rules(List<Map<String, Object>> shown) {
        Set<HostState.Rule> out = new LinkedHashSet<>();
        for (Map<String, Object> r : shown) {
            if (!String.valueOf(HostPlan.PROTOCOL).equals(String.valueOf(r.get("protocol")))
                    || !(r.get("priority") instanceof Number prio)) {
                continue;
            }
            String from = null;
            if (r.get("src") instanceof String src && !"all".equals(src)) {
                from = src + "/" + (r.get("srclen") instanceof Number n ? n.intValue() : 32);
            }
            String mark = null;
            if (r.get("fwmark") instanceof String m) {
                mark = m + "/" + (r.get("fwmask") instanceof String mask ? mask : "0xffffffff");
            }
            out.add(new HostState.Rule(prio.intValue(), from, mark, table(r.get("table"))));
        }
        return out;
    }

    private static int table(Object t) {
        if (t == null || "main".equals(t)) {
            return RouteTables.MAIN;
        }
        try {
            return Integer.parseInt(String.valueOf(t));
        } catch (NumberFormatException e) {
            return -1; // local, default: never ours
        }
    }

    /** Our chain as {@code iptables-save -t table} prints it. */
    static HostState.Chain chain(String saved, HostState.Chain want) {
        boolean exists = false;
        int jumps = 0;
        List<String> rules = new ArrayList<>();
        String own = "-A " + want.name() + " ";
        String jump = "-A " + want.hook() + " -j " + want.name();
        for (String line : saved.split("\n")) {
            String l = line.strip();
            if (l.startsWith(":" + want.name() + " ")) {
                exists = true;
            } else if (l.startsWith(own)) {
                rules.add(l.substring(own.length()));
            } else if (l.equals(jump)) {
                jumps++;
            }
        }
        return new HostState.Chain(want.table(), want.name(), want.hook(), rules, jumps, exists);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> objects(String json) throws HostException {
        try {
            Object parsed = JSON.std.anyFrom(json.isBlank() ? "[]" : json);
            List<Map<String, Object>> out = new ArrayList<>();
            if (parsed instanceof List<?> l) {
                for (Object o : l) {
                    if (o instanceof Map<?, ?> m) {
                        out.add((Map<String, Object>) m);
                    }
                }
            }
            return out;
        } catch (IOException e) {
            throw new HostException(HostException.Step.READ, "cannot parse ip's JSON: " + e.getMessage());
        }
    }

    private String run(List<String> cmd, String stdin, String what) throws HostException {
        HostException.Step step = cmd.getFirst().contains("iptables") ? HostException.Step.IPTABLES
                : stdin != null ? HostException.Step.IP : HostException.Step.READ;
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("LC_ALL", "C"); // its output and errors are parsed: never in the node's language
            p = pb.start();
        } catch (IOException e) {
            throw new HostException(step, "cannot run " + cmd.getFirst() + " (" + what + "): " + e.getMessage()
                    + "; ipamd needs iproute2 and iptables on the node (or in its image)");
        }
        try {
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new HostException(step, what + " did not finish within " + TIMEOUT);
            }
            if (p.exitValue() != 0) {
                throw new HostException(step, what + " exited " + p.exitValue() + ": " + out.strip()
                        + (stdin == null ? "" : "\ninput was:\n" + stdin.strip()));
            }
            return out;
        } catch (IOException e) {
            p.destroyForcibly();
            throw new HostException(step, what + ": " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new HostException(step, what + ": interrupted");
        }
    }
}
