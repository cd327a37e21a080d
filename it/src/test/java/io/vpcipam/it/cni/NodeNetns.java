package io.vpcipam.it.cni;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vpcipam.it.host.Host;
import io.vpcipam.it.host.Netns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A private "node" network namespace for the plugin's host side, plus pod namespaces: the plugin
 * runs inside the node netns (nsenter), so every veth, route and rule it makes lives there and the
 * machine's own network is never touched. The namespaces are a {@link Netns}: {@link #close()} deletes
 * the pods' and then the node's, which takes whatever is left inside with them.
 */
final class NodeNetns implements AutoCloseable {

    final String node;
    private final Netns namespaces = new Netns();

    private NodeNetns(String node) {
        this.node = node;
    }

    /** Skips the calling test, saying why, unless we are root with ip, nsenter and busybox. */
    static void assumeRoot() throws IOException {
        Host.assumeRoot("network-namespace tests need root: run as root (CI does) to include them",
                List.of("/usr/sbin/ip", "/usr/bin/nsenter", "/bin/busybox"));
        assumeTrue(Files.isExecutable(plugin()), "the plugin is not built: " + plugin());
    }

    /** The packaged plugin launcher. */
    static Path plugin() {
        return Path.of(System.getProperty("vpcipam.cni.plugin", "../cni-shim/target/cni/vpc-ipam"))
                .toAbsolutePath().normalize();
    }

    /** A fresh node namespace with forwarding on (pods talk to each other through it). */
    static NodeNetns create() throws IOException, InterruptedException {
        NodeNetns n = new NodeNetns(Netns.unique("vit-node"));
        try {
            n.namespaces.add(n.node);
            Netns.sysctl(n.node, "net.ipv4.ip_forward=1");
            return n;
        } catch (IOException | InterruptedException | RuntimeException e) {
            n.close();
            throw e;
        }
    }

    /** A new pod namespace; its path is {@code /run/netns/NAME}. */
    String pod(String tag) throws IOException, InterruptedException {
        return namespaces.add(Netns.unique("vit-" + tag));
    }

    /** Deletes a pod namespace now (the "pod is gone before DEL" case). */
    void deletePod(String name) throws IOException, InterruptedException {
        namespaces.delete(name);
    }

    /** Runs the plugin as a runtime would, with its host side in the node namespace. */
    Result cni(String command, String containerId, String netns, String stdin, Map<String, String> extraEnv)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("nsenter", "--net=/run/netns/" + node, plugin().toString());
        Map<String, String> env = pb.environment();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", containerId);
        env.put("CNI_NETNS", netns);
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/opt/cni/bin:/usr/lib/cni");
        env.putAll(extraEnv);
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("plugin hung: " + command);
        }
        return new Result(p.exitValue(), out, err);
    }

    /** A plugin run's exit status and output. */
    record Result(int exit, String stdout, String stderr) {
    }

    /** {@code ip ARGS} in the node namespace; its stdout. */
    String ip(String... args) throws IOException, InterruptedException {
        return Netns.ip(node, args);
    }

    @Override
    public void close() throws IOException {
        namespaces.close();
    }
}
