package io.vpcipam.it.cni;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A private "node" network namespace for the plugin's host side, plus pod namespaces: the plugin
 * runs inside the node netns (nsenter), so every veth, route and rule it makes lives there and the
 * machine's own network is never touched. {@link #close()} deletes every namespace it made, which
 * takes whatever is left inside with it.
 */
final class NodeNetns implements AutoCloseable {

    final String node;
    private final List<String> namespaces = new ArrayList<>();

    private NodeNetns(String node) {
        this.node = node;
    }

    /** Skips the calling test, saying why, unless we are root with ip, nsenter and busybox. */
    static void assumeRoot() throws IOException {
        String status = Files.readString(Path.of("/proc/self/status"));
        boolean root = status.lines().anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
        assumeTrue(root, "network-namespace tests need root: run as root (CI does) to include them");
        for (String tool : List.of("/usr/sbin/ip", "/usr/bin/nsenter", "/bin/busybox")) {
            assumeTrue(Files.isExecutable(Path.of(tool)), tool + " is missing: bin/ci-packages.sh installs it");
        }
        assumeTrue(Files.isExecutable(plugin()), "the plugin is not built: " + plugin());
    }

    /** The packaged plugin launcher. */
    static Path plugin() {
        return Path.of(System.getProperty("vpcipam.cni.plugin", "../cni-shim/target/cni/vpc-ipam"))
                .toAbsolutePath().normalize();
    }

    /** A fresh node namespace with forwarding on (pods talk to each other through it). */
    static NodeNetns create() throws IOException, InterruptedException {
        NodeNetns n = new NodeNetns("vit-node-" + suffix());
        n.add(n.node);
        sh("ip", "-n", n.node, "link", "set", "lo", "up");
        sh("nsenter", "--net=/run/netns/" + n.node, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward");
        return n;
    }

    /** A new pod namespace; its path is {@code /run/netns/NAME}. */
    String pod(String tag) throws IOException, InterruptedException {
        String name = "vit-" + tag + "-" + suffix();
        add(name);
        sh("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    private void add(String name) throws IOException, InterruptedException {
        sh("ip", "netns", "add", name);
        namespaces.add(name);
    }

    /** Deletes a pod namespace now (the "pod is gone before DEL" case). */
    void deletePod(String name) throws IOException, InterruptedException {
        sh("ip", "netns", "del", name);
        namespaces.remove(name);
    }

    private static String suffix() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
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
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", node));
        cmd.addAll(List.of(args));
        return sh(cmd.toArray(String[]::new));
    }

    /** Runs a command, returns stdout; fails with its output unless it exits 0. */
    static String sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", cmd));
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
        }
        return out;
    }

    /** Runs a command and returns its exit status (output discarded). */
    static int status(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
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
                // Keep deleting: a namespace left behind outlives the test run.
                Thread.currentThread().interrupt();
                first = first == null ? new IOException("interrupted deleting " + ns, e) : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
