package io.vpcipam.provider.sim;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.Subnet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the hypervisor and the VPC fabric do when the simulated cloud attaches an interface, on the real kernel
 * ({@code IPAMD_SIM_FABRIC_NETNS}): each attached interface becomes a veth pair whose node end carries the
 * interface's MAC (in {@code IPAMD_SIM_PLUG_NETNS}, or the namespace ipamd runs in) and whose other end, a port
 * named {@code vf<last 3 MAC bytes>}, sits in the fabric namespace. The fabric delivers each address the interface
 * holds (primary, secondaries, prefixes) to its port with a /32 (or /28) route and a permanent neighbour entry for
 * the interface's MAC, as EC2 does: no ARP for pod addresses. The port also answers for the subnet's router. The
 * fabric's forwarding, rp_filter (strict: a packet whose source another port holds is dropped, like EC2's
 * source/destination check) and its other hosts are the test's to set up. A detached interface's pair is deleted,
 * which takes its fabric routes with it.
 *
 * <p>Every {@link #sync} is whole: it reads what is plugged and makes it match the attached interfaces, so it is
 * idempotent across ipamd restarts. Failures are thrown as {@link IOException} with what {@code ip} said.
 */
final class Hypervisor {

    private static final Pattern MAC_PATTERN = Pattern.compile("\"address\":\"([0-9a-f:]{17})\"");
    private static final Pattern NAME_PATTERN = Pattern.compile("\"ifname\":\"([^\"]+)\"");

    private final String nodeNetns; // null: the namespace this process runs in
    private final String fabricNetns;

    Hypervisor(String nodeNetns, String fabricNetns) {
        this.nodeNetns = nodeNetns == null || nodeNetns.isBlank() ? null : nodeNetns;
        this.fabricNetns = fabricNetns;
    }

    /** The fabric port of the interface with this MAC. */
    static String port(String mac) {
        return "vf" + mac.substring(mac.length() - 8).replace(":", "");
    }

    /** The node-side name the hypervisor gives a new link (a node finds it by MAC, never by name). */
    static String nodeName(int deviceIndex) {
        return "ens" + (5 + deviceIndex);
    }

    /** Makes the plugged links and the fabric's delivery match {@code node}'s attached interfaces. */
    synchronized void sync(NodeInfo node) throws IOException {
        Map<String, String> nodeLinks = links(ipCmd(nodeNetns, "-json", "link", "show"));
        Map<String, String> fabricLinks = links(ipCmd(fabricNetns, "-json", "link", "show"));
        Set<String> wantedPorts = new HashSet<>();
        List<String> fabric = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (NetworkInterface ni : node.interfaces()) {
            String port = port(ni.mac());
            wantedPorts.add(port);
            if (!nodeLinks.containsKey(ni.mac())) {
                try {
                    if (fabricLinks.containsValue(port)) {
                        run(ipCmd(fabricNetns, "link", "del", port)); // a half-plugged pair from an earlier run
                    }
                    // EC2's interfaces carry jumbo frames; both ends alike, so no packet is dropped between them
                    run(ipCmd(nodeNetns, "link", "add", nodeName(ni.deviceIndex()), "address", ni.mac(), "mtu",
                            "9001", "type", "veth", "peer", "name", port, "mtu", "9001", "netns", fabricNetns));
                    run(ipCmd(nodeNetns, "link", "set", nodeName(ni.deviceIndex()), "up"));
                } catch (IOException e) {
                    failures.add(ni.id() + ": " + e.getMessage()); // the others are still plugged
                    continue;
                }
            }
            Subnet subnet = node.subnet(ni.subnetId());
            fabric.add("link set " + port + " up");
            if (subnet != null) {
                fabric.add("address replace " + subnet.gateway() + "/32 dev " + port);
            }
            Set<String> held = new LinkedHashSet<>();
            held.add(ni.primaryAddress() + "/32");
            ni.secondaryAddresses().forEach(a -> held.add(a + "/32"));
            ni.prefixes().forEach(p -> held.add(p.toString()));
            for (String dst : held) {
                fabric.add("route replace " + dst + " dev " + port);
            }
            List<Ipv4Address> neighbours = new ArrayList<>();
            neighbours.add(ni.primaryAddress());
            neighbours.addAll(ni.secondaryAddresses());
            for (Cidr p : ni.prefixes()) {
                for (long i = 0; i < p.size(); i++) {
                    neighbours.add(p.address(i));
                }
            }
            for (Ipv4Address a : neighbours) {
                fabric.add("neigh replace " + a + " lladdr " + ni.mac() + " dev " + port + " nud permanent");
            }
            for (String dst : routedTo(port)) {
                if (!held.contains(dst) && !held.contains(dst + "/32")) {
                    fabric.add("route del " + dst + " dev " + port);
                }
            }
        }
        for (String name : fabricLinks.values()) {
            if (name.startsWith("vf") && !wantedPorts.contains(name)) {
                fabric.add("link del " + name); // detached: the pair goes, its node end and routes with it
            }
        }
        List<String> cmd = new ArrayList<>(ipCmd(fabricNetns, "-batch", "-"));
        runWithInput(cmd, String.join("\n", fabric) + "\n");
        if (!failures.isEmpty()) {
            throw new IOException("could not plug " + String.join("; ", failures));
        }
    }

    private List<String> routedTo(String port) throws IOException {
        List<String> out = new ArrayList<>();
        String json = run(ipCmd(fabricNetns, "-json", "route", "show", "dev", port));
        Matcher m = Pattern.compile("\"dst\":\"([^\"]+)\"").matcher(json);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** Lower-case MAC to name, from ip -json link show. */
    private static Map<String, String> links(List<String> cmd) throws IOException {
        String json = run(cmd);
        Map<String, String> out = new HashMap<>();
        for (String obj : json.split("\\},\\{\"ifindex\"")) {
            Matcher name = NAME_PATTERN.matcher(obj);
            Matcher mac = MAC_PATTERN.matcher(obj);
            if (name.find() && mac.find()) {
                out.putIfAbsent(mac.group(1).toLowerCase(Locale.ROOT), name.group(1));
            }
        }
        return out;
    }

    private static List<String> ipCmd(String netns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        if (netns != null) {
            cmd.add("-n");
            cmd.add(netns);
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static String run(List<String> cmd) throws IOException {
        return runWithInput(cmd, null);
    }

    private static String runWithInput(List<String> cmd, String input) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            if (input != null) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " timed out");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", cmd) + " interrupted");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out.strip());
        }
        return out;
    }
}
