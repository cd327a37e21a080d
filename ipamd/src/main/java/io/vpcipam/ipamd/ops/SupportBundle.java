package io.vpcipam.ipamd.ops;

import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.ipamd.config.BuildInfo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * {@code ipamd support-bundle}: one archive with what a support engineer asks for first. From the running daemon
 * (introspection): its effective configuration, pool, leases, decisions and recent logs, readiness; its metrics. From
 * the node: addresses, links, policy rules, every route table, neighbours, the NAT table and ipamd's mangle chains,
 * the sysctls the data path depends on. From disk: the checkpoint, the release spool, aws-node's checkpoint, the
 * plugin's conflist and log. This process's vpc-ipam settings (the same container's environment as the daemon's).
 *
 * <p>It works with ipamd down: each source is tried on its own, and {@code summary.txt} (also printed) lists what
 * was collected and, for what was not, why. Every file goes through {@link LogSetup#redact} (keys, tokens,
 * Authorization headers, passwords, private keys), and environment variables whose name says secret are dropped to
 * their name: a bundle is attached to tickets and must carry no credential.
 */
public final class SupportBundle {

    /** Files larger than this are cut to their last this-many bytes (logs) and the cut is noted. */
    static final int MAX_FILE_BYTES = 4 << 20;
    /** Release spool files read at most (each is tiny; a spool with thousands is itself the finding). */
    static final int MAX_SPOOL_FILES = 200;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);
    /** Environment variables that are vpc-ipam's or aws-node's settings, or the cloud SDKs'. */
    private static final Pattern SETTING_NAME = Pattern.compile("(IPAMD_|AWS_|AZURE_|WARM_|MINIMUM_IP|MAX_ENI|ENABLE_"
            + "|DISABLE_|IP_COOLDOWN|POD_MTU|CLUSTER_|ADDITIONAL_ENI_TAGS|ENI_CONFIG|KUBERNETES_|NODE_NAME|MY_NODE_NAME"
            + "|JAVA_OPTS|JAVA_TOOL_OPTIONS|HTTPS?_PROXY|NO_PROXY).*", Pattern.CASE_INSENSITIVE);
    /** Names whose value is a credential whatever it looks like. */
    private static final Pattern SECRET_NAME = Pattern.compile(
            ".*(SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|ACCESS_KEY|PRIVATE|SESSION|_PROXY).*", Pattern.CASE_INSENSITIVE);

    /** Where to read from; a null endpoint or path is skipped and noted. */
    public record Sources(OpsConfig.Endpoint introspection, OpsConfig.Endpoint metrics, Path stateDir,
                         Path awsNodeCheckpoint, Path conflist, Path pluginLog, Map<String, String> env) {
    }

    /** One file of the bundle, already redacted. */
    public record Entry(String name, byte[] content) {
    }

    /** Something not collected, and why. */
    public record Missing(String what, String why) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final List<Missing> missing = new ArrayList<>();
    private final Instant at;

    private SupportBundle(Instant at) {
        this.at = at;
    }

    /** The files collected, in archive order (summary last). */
    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** What could not be collected. */
    public List<Missing> missing() {
        return List.copyOf(missing);
    }

    /** Collects everything it can from {@code sources}; never throws for a source that is down or absent. */
    public static SupportBundle collect(Sources sources, Instant now) {
        SupportBundle b = new SupportBundle(now);
        b.version(sources);
        b.introspection(sources.introspection());
        b.metrics(sources.metrics());
        b.host();
        b.state(sources);
        b.cni(sources);
        b.environment(sources.env());
        b.summary();
        return b;
    }

    /** The directory every file sits under: {@code vpc-ipam-support-20250131T120000Z}. */
    public String top() {
        return "vpc-ipam-support-" + at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()
                .replace("-", "").replace(":", "");
    }

    /** Writes the bundle as a gzipped tar under {@link #top()}. */
    public void writeTo(OutputStream out) throws IOException {
        try (TarGz tar = new TarGz(out, at)) {
            tar.directory(top());
            List<String> dirs = new ArrayList<>();
            for (Entry e : entries) {
                int slash = e.name().lastIndexOf('/');
                if (slash > 0 && !dirs.contains(e.name().substring(0, slash))) {
                    dirs.add(e.name().substring(0, slash));
                    tar.directory(top() + "/" + e.name().substring(0, slash));
                }
                tar.file(top() + "/" + e.name(), e.content());
            }
        }
    }

    // ---- sources

    private void version(Sources s) {
        StringBuilder t = new StringBuilder();
        t.append("ipamd ").append(BuildInfo.current().describe()).append('\n');
        t.append("java ").append(Runtime.version()).append('\n');
        t.append("collected at ").append(at).append('\n');
        t.append("host ").append(readSmall(Path.of("/proc/sys/kernel/hostname"))).append('\n');
        t.append("kernel ").append(readSmall(Path.of("/proc/sys/kernel/osrelease"))).append('\n');
        add("version.txt", t.toString());
    }

    private static String readSmall(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private void introspection(OpsConfig.Endpoint endpoint) {
        String[][] paths = {{"/v1/config", "config.json"}, {"/v1/pool", "pool.json"}, {"/v1/leases", "leases.json"},
                {"/v1/decisions", "decisions.json"}, {"/v1/logs", "logs.json"}, {"/readyz", "readyz.json"},
                {"/healthz", "healthz.json"}};
        if (endpoint == null) {
            missing.add(new Missing("ipamd/ (config, pool, leases, decisions, recent logs)",
                    "introspection is off (IPAMD_INTROSPECTION_ADDRESS=off); the logs are in the container's log"));
            return;
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (String[] p : paths) {
            String uri = "http://" + loopback(endpoint) + p[0];
            try {
                HttpResponse<String> r = get(http, uri);
                add("ipamd/" + p[1], r.body());
                if (r.statusCode() != 200 && !p[0].equals("/readyz")) {
                    missing.add(new Missing("ipamd/" + p[1], uri + " answered " + r.statusCode()
                            + " (kept as answered)"));
                }
                if (p[0].equals("/v1/logs") && r.statusCode() == 200) {
                    add("ipamd/recent.log", logText(r.body()));
                }
            } catch (IOException e) {
                if (p == paths[0]) { // not answering at all: one line for every file it would have given
                    missing.add(new Missing("ipamd/ (config, pool, leases, decisions, recent logs, readiness)",
                            "cannot reach http://" + loopback(endpoint) + " (" + reason(e) + "): ipamd is down or"
                                    + " not serving introspection there; 'kubectl logs --previous' has its last logs"));
                    return;
                }
                missing.add(new Missing("ipamd/" + p[1], "cannot reach " + uri + " (" + reason(e) + ")"));
            }
        }
    }

    private static String logText(String body) throws IOException {
        Map<String, Object> m = JSON.std.mapFrom(body);
        StringBuilder t = new StringBuilder();
        Object dropped = m.get("dropped");
        if (dropped instanceof Number n && n.longValue() > 0) {
            t.append("(").append(n).append(" older lines were not kept)\n");
        }
        for (Object line : IntrospectionClient.list(m.get("lines"))) {
            t.append(line).append('\n');
        }
        return t.toString();
    }

    private void metrics(OpsConfig.Endpoint endpoint) {
        if (endpoint == null) {
            missing.add(new Missing("ipamd/metrics.txt", "metrics are off (IPAMD_METRICS_ADDRESS=off)"));
            return;
        }
        String uri = "http://" + loopback(endpoint) + "/metrics";
        try {
            HttpResponse<String> r = get(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(), uri);
            add("ipamd/metrics.txt", r.body());
        } catch (IOException e) {
            missing.add(new Missing("ipamd/metrics.txt", "cannot reach " + uri + " (" + reason(e) + ")"));
        }
    }

    private static OpsConfig.Endpoint loopback(OpsConfig.Endpoint e) {
        return "0.0.0.0".equals(e.host()) ? new OpsConfig.Endpoint("127.0.0.1", e.port()) : e;
    }

    private static HttpResponse<String> get(HttpClient http, String uri) throws IOException {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private void host() {
        command("host/ip-addr.txt", null, "ip", "-d", "addr", "show");
        command("host/ip-rule.txt", null, "ip", "rule", "show");
        command("host/ip-route.txt", null, "ip", "route", "show", "table", "all");
        command("host/ip-neigh.txt", null, "ip", "neigh", "show");
        command("host/iptables-nat.txt", null, "iptables-save", "-t", "nat");
        // the mangle table is kube-proxy's and others' too: ipamd's chains (VPC-IPAM-*) and the jumps to them
        command("host/iptables-mangle-vpc-ipam.txt", line -> line.startsWith("*") || line.startsWith("COMMIT")
                || line.startsWith("#") || line.contains("VPC-IPAM"), "iptables-save", "-t", "mangle");
        StringBuilder t = new StringBuilder();
        for (String name : List.of("net/ipv4/ip_forward", "net/ipv4/conf/all/rp_filter",
                "net/ipv4/conf/default/rp_filter")) {
            t.append(name.replace('/', '.')).append(" = ").append(readSmall(Path.of("/proc/sys", name))).append('\n');
        }
        try (DirectoryStream<Path> conf = Files.newDirectoryStream(Path.of("/proc/sys/net/ipv4/conf"))) {
            for (Path p : conf) {
                String n = p.getFileName().toString();
                if (!n.equals("all") && !n.equals("default")) {
                    t.append("net.ipv4.conf.").append(n).append(".rp_filter = ")
                            .append(readSmall(p.resolve("rp_filter"))).append('\n');
                }
            }
        } catch (IOException e) {
            t.append("(cannot list /proc/sys/net/ipv4/conf: ").append(reason(e)).append(")\n");
        }
        add("host/sysctl.txt", t.toString());
    }

    private void command(String name, java.util.function.Predicate<String> keep, String... argv) {
        String line = String.join(" ", argv);
        Process p;
        try {
            p = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            missing.add(new Missing(name, "'" + line + "' could not run (" + reason(e) + ")"));
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
                missing.add(new Missing(name, "'" + line + "' took longer than " + COMMAND_TIMEOUT.toSeconds()
                        + " s and was stopped"));
                return;
            }
            String text = new String(output.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8);
            if (keep != null) {
                text = String.join("\n", text.lines().filter(keep).toList()) + "\n";
            }
            add(name, "$ " + line + "\n" + text);
            if (p.exitValue() != 0) {
                missing.add(new Missing(name, "'" + line + "' exited " + p.exitValue() + " (its output is kept)"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            missing.add(new Missing(name, "'" + line + "' output unreadable (" + reason(e) + ")"));
        }
    }

    private static byte[] readCapped(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int n;
        while ((n = in.read(chunk)) > 0) {
            if (buf.size() < MAX_FILE_BYTES) {
                buf.write(chunk, 0, Math.min(n, MAX_FILE_BYTES - buf.size()));
            }
        }
        return buf.toByteArray();
    }

    private void state(Sources s) {
        if (s.stateDir() == null) {
            missing.add(new Missing("state/", "no state dir given"));
        } else {
            Path dir = s.stateDir();
            file("state/checkpoint.json", dir.resolve(io.vpcipam.protocol.Layout.CHECKPOINT));
            StringBuilder listing = new StringBuilder();
            list(dir, listing);
            Path spool = dir.resolve("release-spool");
            if (Files.isDirectory(spool, LinkOption.NOFOLLOW_LINKS)) {
                list(spool, listing);
                int n = 0;
                try (DirectoryStream<Path> files = Files.newDirectoryStream(spool)) {
                    for (Path f : files) {
                        if (n++ >= MAX_SPOOL_FILES) {
                            missing.add(new Missing("state/release-spool/", "more than " + MAX_SPOOL_FILES
                                    + " files; the first " + MAX_SPOOL_FILES + " are kept, all are listed"));
                            break;
                        }
                        if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                            file("state/release-spool/" + f.getFileName(), f);
                        }
                    }
                } catch (IOException e) {
                    missing.add(new Missing("state/release-spool/", "cannot read " + spool + " (" + reason(e) + ")"));
                }
            }
            add("state/listing.txt", listing.toString());
        }
        if (s.awsNodeCheckpoint() != null && Files.exists(s.awsNodeCheckpoint(), LinkOption.NOFOLLOW_LINKS)) {
            file("state/aws-node-ipam.json", s.awsNodeCheckpoint());
        }
    }

    private void list(Path dir, StringBuilder out) {
        out.append(dir).append(":\n");
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            List<String> lines = new ArrayList<>();
            for (Path f : files) {
                PosixFileAttributes a = Files.readAttributes(f, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                lines.add(String.format(Locale.ROOT, "  %s %s:%s %10d %s %s%s", PosixFilePermissions.toString(
                                a.permissions()), a.owner().getName(), a.group().getName(), a.size(),
                        a.lastModifiedTime(), f.getFileName(), a.isSymbolicLink() ? " (symbolic link)"
                                : a.isDirectory() ? "/" : ""));
            }
            lines.stream().sorted().forEach(l -> out.append(l).append('\n'));
        } catch (IOException e) {
            out.append("  (cannot list: ").append(reason(e)).append(")\n");
            missing.add(new Missing("state/listing.txt", "cannot list " + dir + " (" + reason(e) + ")"));
        }
    }

    private void cni(Sources s) {
        if (s.conflist() != null) {
            file("cni/" + s.conflist().getFileName(), s.conflist());
        }
        if (s.pluginLog() != null) {
            file("cni/plugin.log", s.pluginLog());
        }
    }

    /** A file's content (its last {@link #MAX_FILE_BYTES} when larger), never through a symbolic link. */
    private void file(String name, Path p) {
        try (SeekableByteChannel ch = Files.newByteChannel(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            long from = Math.max(0, size - MAX_FILE_BYTES);
            ch.position(from);
            ByteBuffer buf = ByteBuffer.allocate((int) (size - from));
            while (buf.hasRemaining() && ch.read(buf) > 0) {
                // read it all
            }
            String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
            add(name, from > 0 ? "(the first " + from + " bytes are cut)\n" + text : text);
        } catch (NoSuchFileException e) {
            missing.add(new Missing(name, p + " does not exist"));
        } catch (IOException e) {
            missing.add(new Missing(name, "cannot read " + p + " (" + reason(e) + ")"));
        }
    }

    private void environment(Map<String, String> env) {
        StringBuilder t = new StringBuilder("# this command's environment: in the ipamd container, the daemon's settings"
                + "\n# (credentials are shown by name only)\n");
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            if (!SETTING_NAME.matcher(e.getKey()).matches()) {
                continue;
            }
            boolean secret = SECRET_NAME.matcher(e.getKey()).matches() && !e.getKey().endsWith("_FILE");
            t.append(e.getKey()).append('=').append(secret ? "<redacted>" : e.getValue()).append('\n');
        }
        add("environment.txt", t.toString());
    }

    private void summary() {
        StringBuilder t = new StringBuilder();
        t.append("vpc-ipam support bundle, ").append(at).append(", ipamd ").append(BuildInfo.current().describe())
                .append("\n\ncollected:\n");
        for (Entry e : entries) {
            t.append(String.format(Locale.ROOT, "  %-36s %9d bytes%n", e.name(), e.content().length));
        }
        t.append(missing.isEmpty() ? "\nnothing missing\n" : "\nmissing:\n");
        for (Missing m : missing) {
            t.append("  ").append(m.what()).append(": ").append(m.why()).append('\n');
        }
        add("summary.txt", t.toString());
    }

    /** Every file goes in through here: redacted once, in one place. */
    private void add(String name, String text) {
        entries.add(new Entry(name, LogSetup.redact(text).getBytes(StandardCharsets.UTF_8)));
    }

    /** The summary's text (what was collected and what was missing), for the command to print. */
    public String summaryText() {
        return new String(entries.getLast().content(), StandardCharsets.UTF_8);
    }

    private static String reason(Throwable e) {
        if (e instanceof java.net.ConnectException) {
            return "connection refused";
        }
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + " does not exist";
        }
        Throwable t = e;
        while (t.getCause() != null && (t.getMessage() == null || t instanceof java.util.concurrent.ExecutionException
                || t instanceof UncheckedIOException)) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
