package io.vpcipam.it.cni;

import static io.vpcipam.it.host.Host.sh;

import io.vpcipam.it.host.Host;
import io.vpcipam.it.host.Netns;
import java.io.IOException;
import java.util.List;

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
 * per pod. The namespaces are a {@link Netns}: {@link #close()} deletes them, and every link between them goes with
 * them.
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
    private final Netns namespaces = new Netns();

    private VpcFabric(String suffix) {
        fabric = "vit-fab-" + suffix;
        vpcHost = "vit-vpch-" + suffix;
        igw = "vit-igw-" + suffix;
        internet = "vit-inet-" + suffix;
    }

    /** Makes the fabric, the VPC host, the internet gateway and the internet host. */
    public static VpcFabric create() throws IOException, InterruptedException {
        VpcFabric f = new VpcFabric(Host.suffix());
        try {
            for (String ns : List.of(f.fabric, f.vpcHost, f.igw, f.internet)) {
                f.namespaces.add(ns);
            }
            Netns.sysctl(f.fabric, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=1",
                    "net.ipv4.conf.default.rp_filter=1");
            Netns.sysctl(f.igw, "net.ipv4.ip_forward=1");
            // the VPC host, in a second subnet of the VPC
            Netns.veth(f.fabric, "vhost", "10.0.16.1/20", f.vpcHost, "eth0", VPC_HOST + "/20");
            Netns.ip(f.vpcHost, "route", "add", "default", "via", "10.0.16.1");
            // the internet gateway and a host behind it
            Netns.veth(f.fabric, "vigw", "192.0.2.1/30", f.igw, "vpc0", "192.0.2.2/30");
            Netns.ip(f.fabric, "route", "add", "default", "via", "192.0.2.2");
            Netns.ip(f.igw, "route", "add", "10.0.0.0/16", "via", "192.0.2.1");
            Netns.veth(f.igw, "inet0", "203.0.113.1/24", f.internet, "eth0", INTERNET_HOST + "/24");
            Netns.ip(f.internet, "route", "add", "default", "via", "203.0.113.1");
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
        return Netns.in(ns, command);
    }

    @Override
    public void close() throws IOException {
        namespaces.close();
    }
}
