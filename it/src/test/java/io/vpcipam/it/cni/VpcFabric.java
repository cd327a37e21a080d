package io.vpcipam.it.cni;

import static io.vpcipam.it.cni.NodeNetns.sh;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A small VPC on the real kernel, around a test's node namespace:
 * <pre>
 *   node ns  ==(veths plugged by the simulated cloud, one per attached interface)==  fabric ns
 *   fabric ns -- vpc host ns   (10.0.16.10 in a second subnet, 10.0.16.0/20)
 *   fabric ns -- igw ns -- internet ns (203.0.113.10)
 * </pre>
 * The fabric forwards with strict rp_filter: the simulated cloud routes each address an interface holds to that
 * interface's port, so a packet whose source belongs to another interface (or to none) is dropped, as EC2's
 * source/destination check does. The internet gateway forwards only packets whose source is the node's primary
 * address ({@link #allowOut}), as an internet gateway does for an instance without a public address of its own
 * per pod. {@link #close()} deletes every namespace it made.
 */
public final class VpcFabric implements AutoCloseable {

    /** The VPC host's address (a second subnet of the VPC). */
    public static final String VPC_HOST = "10.0.16.10";
    /** The internet host's address (a documentation range). */
    public static final String INTERNET_HOST = "203.0.113.10";

    /** The fabric namespace: IPAMD_SIM_FABRIC_NETNS. */
    public final String fabric;
    final String vpcHost;
    final String igw;
    final String internet;
    private final List<String> namespaces = new ArrayList<>();

    private VpcFabric(String suffix) {
        fabric = "vit-fab-" + suffix;
        vpcHost = "vit-vpch-" + suffix;
        igw = "vit-igw-" + suffix;
        internet = "vit-inet-" + suffix;
    }

    /** Makes the fabric, the VPC host, the internet gateway and the internet host. */
    public static VpcFabric create() throws IOException, InterruptedException {
        VpcFabric f = new VpcFabric(Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL));
        try {
            for (String ns : List.of(f.fabric, f.vpcHost, f.igw, f.internet)) {
                sh("ip", "netns", "add", ns);
                f.namespaces.add(ns);
                sh("ip", "-n", ns, "link", "set", "lo", "up");
            }
            f.in(f.fabric, "sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=1"
                    + " net.ipv4.conf.default.rp_filter=1");
            f.in(f.igw, "sysctl -qw net.ipv4.ip_forward=1");
            // the VPC host, in a second subnet of the VPC
            sh("ip", "-n", f.fabric, "link", "add", "vhost", "type", "veth", "peer", "name", "eth0", "netns", f.vpcHost);
            sh("ip", "-n", f.fabric, "addr", "add", "10.0.16.1/20", "dev", "vhost");
            sh("ip", "-n", f.fabric, "link", "set", "vhost", "up");
            sh("ip", "-n", f.vpcHost, "addr", "add", VPC_HOST + "/20", "dev", "eth0");
            sh("ip", "-n", f.vpcHost, "link", "set", "eth0", "up");
            sh("ip", "-n", f.vpcHost, "route", "add", "default", "via", "10.0.16.1");
            // the internet gateway and a host behind it
            sh("ip", "-n", f.fabric, "link", "add", "vigw", "type", "veth", "peer", "name", "vpc0", "netns", f.igw);
            sh("ip", "-n", f.fabric, "addr", "add", "192.0.2.1/30", "dev", "vigw");
            sh("ip", "-n", f.fabric, "link", "set", "vigw", "up");
            sh("ip", "-n", f.fabric, "route", "add", "default", "via", "192.0.2.2");
            sh("ip", "-n", f.igw, "addr", "add", "192.0.2.2/30", "dev", "vpc0");
            sh("ip", "-n", f.igw, "link", "set", "vpc0", "up");
            sh("ip", "-n", f.igw, "route", "add", "10.0.0.0/16", "via", "192.0.2.1");
            sh("ip", "-n", f.igw, "link", "add", "inet0", "type", "veth", "peer", "name", "eth0", "netns", f.internet);
            sh("ip", "-n", f.igw, "addr", "add", "203.0.113.1/24", "dev", "inet0");
            sh("ip", "-n", f.igw, "link", "set", "inet0", "up");
            sh("ip", "-n", f.internet, "addr", "add", INTERNET_HOST + "/24", "dev", "eth0");
            sh("ip", "-n", f.internet, "link", "set", "eth0", "up");
            sh("ip", "-n", f.internet, "route", "add", "default", "via", "203.0.113.1");
            return f;
        } catch (IOException | InterruptedException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** The internet gateway forwards out only packets from {@code primary}; counters tell who reached whom. */
    public void allowOut(String primary) throws IOException, InterruptedException {
        in(igw, "iptables -A FORWARD -i vpc0 -s " + primary + " -j ACCEPT && iptables -A FORWARD -i vpc0 -j DROP");
    }

    /** Counts packets arriving at {@code ns}'s eth0 from {@code source} (see {@link #packetsFrom}). */
    void count(String ns, String source) throws IOException, InterruptedException {
        in(ns, "iptables -A INPUT -i eth0 -s " + source);
    }

    /** Packets counted from {@code source} at {@code ns} (0 when none or no counter). */
    long packetsFrom(String ns, String source) throws IOException, InterruptedException {
        String saved = sh("ip", "netns", "exec", ns, "iptables-save", "-c", "-t", "filter");
        for (String line : saved.split("\n")) {
            // [packets:bytes] -A INPUT -s 10.0.0.4/32 -i eth0
            if (line.startsWith("[") && line.contains("-A INPUT -s " + source + "/32 ")) {
                return Long.parseLong(line.substring(1, line.indexOf(':')));
            }
        }
        return 0;
    }

    /** Runs a shell command in {@code ns}. */
    String in(String ns, String command) throws IOException, InterruptedException {
        return sh("ip", "netns", "exec", ns, "sh", "-c", command);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (String ns : List.copyOf(namespaces).reversed()) {
            try {
                sh("ip", "netns", "del", ns);
                namespaces.remove(ns);
            } catch (IOException e) {
                first = first == null ? e : first;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                first = first == null ? new IOException("interrupted deleting " + ns, e) : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
