package io.vpcipam.ipamd.ops;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * The node's part of a support bundle: what {@code ip} and {@code iptables-save} say, and the sysctls the data path
 * depends on. Each command runs on its own with a timeout and capped output, so one that hangs or floods costs its
 * own file, not the bundle; a command that is absent or fails is noted in the summary with its output kept.
 */
final class BundleHost {

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

    private BundleHost() {
    }

    /** Adds the node's addresses, links, rules, routes, neighbours, NAT and ipamd's mangle chains, and sysctls. */
    static void collect(SupportBundle b) {
        command(b, "host/ip-addr.txt", null, "ip", "-d", "addr", "show");
        command(b, "host/ip-rule.txt", null, "ip", "rule", "show");
        command(b, "host/ip-route.txt", null, "ip", "route", "show", "table", "all");
        command(b, "host/ip-neigh.txt", null, "ip", "neigh", "show");
        command(b, "host/iptables-nat.txt", null, "iptables-save", "-t", "nat");
        // the mangle table is kube-proxy's and others' too: ipamd's chains (VPC-IPAM-*) and the jumps to them
        command(b, "host/iptables-mangle-vpc-ipam.txt", line -> line.startsWith("*") || line.startsWith("COMMIT")
                || line.startsWith("#") || line.contains("VPC-IPAM"), "iptables-save", "-t", "mangle");
        StringBuilder t = new StringBuilder();
        for (String name : List.of("net/ipv4/ip_forward", "net/ipv4/conf/all/rp_filter",
                "net/ipv4/conf/default/rp_filter")) {
            t.append(name.replace('/', '.')).append(" = ").append(SupportBundle.readSmall(Path.of("/proc/sys", name)))
                    .append('\n');
        }
        try (DirectoryStream<Path> conf = Files.newDirectoryStream(Path.of("/proc/sys/net/ipv4/conf"))) {
            for (Path p : conf) {
                String n = p.getFileName().toString();
                if (!n.equals("all") && !n.equals("default")) {
                    t.append("net.ipv4.conf.").append(n).append(".rp_filter = ")
                            .append(SupportBundle.readSmall(p.resolve("rp_filter"))).append('\n');
                }
            }
        } catch (IOException e) {
            t.append("(cannot list /proc/sys/net/ipv4/conf: ").append(SupportBundle.reason(e)).append(")\n");
        }
        b.add("host/sysctl.txt", t.toString());
    }

    /** Runs {@code argv} (stdin /dev/null, {@link #COMMAND_TIMEOUT} at most); adds its output, kept by {@code keep}. */
    private static void command(SupportBundle b, String name, Predicate<String> keep, String... argv) {
        String line = String.join(" ", argv);
        Process p;
        try {
            p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            b.missing(name, "'" + line + "' could not run (" + SupportBundle.reason(e) + ")");
            return;
        }
        CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = p.getInputStream()) {
                return readCapped(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            if (!p.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                b.missing(name, "'" + line + "' took longer than " + COMMAND_TIMEOUT.toSeconds()
                        + " s and was stopped");
                return;
            }
            String text = new String(output.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8);
            if (keep != null) {
                text = String.join("\n", text.lines().filter(keep).toList()) + "\n";
            }
            b.add(name, "$ " + line + "\n" + text);
            if (p.exitValue() != 0) {
                b.missing(name, "'" + line + "' exited " + p.exitValue() + " (its output is kept)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        } catch (ExecutionException | TimeoutException e) {
            b.missing(name, "'" + line + "' output unreadable (" + SupportBundle.reason(e) + ")");
        }
    }

    private static byte[] readCapped(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int n;
        while ((n = in.read(chunk)) > 0) {
            if (buf.size() < SupportBundle.MAX_FILE_BYTES) {
                buf.write(chunk, 0, Math.min(n, SupportBundle.MAX_FILE_BYTES - buf.size()));
            }
        }
        return buf.toByteArray();
    }
}
