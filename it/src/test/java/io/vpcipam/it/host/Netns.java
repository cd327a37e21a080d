package io.vpcipam.it.host;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The network namespaces one test made, and the links between them: the one fixture every test of real networking
 * builds on (the plugin's node and pod namespaces, the VPC fabric, a kubelet's node).
 *
 * <p>Cleanup is by namespace only: deleting a namespace deletes every link in it, and a veth's peer wherever it is,
 * and with them their addresses, routes, rules and iptables state, so {@link #close()} has nothing else to undo. It
 * deletes newest first (pods before their node), keeps going past a failure so that one stuck namespace does not
 * leave the others behind, and then throws the first failure.
 */
public final class Netns implements AutoCloseable {

    private final List<String> names = new ArrayList<>();

    /** A name no other test on the machine uses: {@code prefix-<random>}. */
    public static String unique(String prefix) {
        return prefix + "-" + Host.suffix();
    }

    /** Makes namespace {@code name} (at {@code /run/netns/NAME}), loopback up; {@link #close()} deletes it. */
    public synchronized String add(String name) throws IOException, InterruptedException {
        Host.sh("ip", "netns", "add", name);
        names.add(name);
        ip(name, "link", "set", "lo", "up");
        return name;
    }

    /** Sets sysctls in namespace {@code ns}, e.g. {@code net.ipv4.ip_forward=1}. */
    public static void sysctl(String ns, String... settings) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, "sysctl", "-qw"));
        cmd.addAll(List.of(settings));
        Host.sh(cmd.toArray(String[]::new));
    }

    /**
     * A veth pair, both ends up: {@code name} with {@code cidr} in {@code ns}, {@code peer} with {@code peerCidr} in
     * {@code peerNs}. It goes with either namespace.
     */
    public static void veth(String ns, String name, String cidr, String peerNs, String peer, String peerCidr)
            throws IOException, InterruptedException {
        ip(ns, "link", "add", name, "type", "veth", "peer", "name", peer, "netns", peerNs);
        ip(ns, "addr", "add", cidr, "dev", name);
        ip(ns, "link", "set", name, "up");
        ip(peerNs, "addr", "add", peerCidr, "dev", peer);
        ip(peerNs, "link", "set", peer, "up");
    }

    /** {@code ip -n NS ARGS}; its output. */
    public static String ip(String ns, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", ns));
        cmd.addAll(List.of(args));
        return Host.sh(cmd.toArray(String[]::new));
    }

    /** A shell command in namespace {@code ns}; its output. */
    public static String in(String ns, String command) throws IOException, InterruptedException {
        return Host.sh("ip", "netns", "exec", ns, "sh", "-c", command);
    }

    /** Deletes namespace {@code name} now (e.g. the "pod is gone before DEL" case). */
    public synchronized void delete(String name) throws IOException, InterruptedException {
        Host.sh("ip", "netns", "del", name);
        names.remove(name);
    }

    @Override
    public synchronized void close() throws IOException {
        IOException first = null;
        for (String ns : List.copyOf(names).reversed()) {
            try {
                delete(ns);
            } catch (IOException e) {
                first = first == null ? e : first;
            } catch (InterruptedException e) {
                // keep deleting: a namespace left behind outlives the test run
                Thread.currentThread().interrupt();
                first = first == null ? new IOException("interrupted deleting " + ns, e) : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
