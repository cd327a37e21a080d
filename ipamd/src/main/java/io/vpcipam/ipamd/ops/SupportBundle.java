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
 * was collected and, for what was not, why. Every file goes through {@link Redaction#text} (keys, tokens,
 * Authorization headers, passwords, private keys), and environment variables whose name says secret are dropped to
 * their name ({@link Redaction#settings}): a bundle is attached to tickets and must carry no credential.
 *
 * <p>This class holds the archive and the daemon's part (introspection, metrics); {@link BundleHost} runs the node's
 * commands and {@link BundleFiles} reads the state and CNI files.
 */
public final class SupportBundle {

    /** Files larger than this are cut to their last this-many bytes (logs) and the cut is noted. */
    static final int MAX_FILE_BYTES = 4 << 20;

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
        BundleHost.collect(b);
        BundleFiles.collect(sources, b);
        b.add("environment.txt", "# this command's environment: in the ipamd container, the daemon's settings"
                + "\n# (credentials are shown by name only)\n" + Redaction.settings(sources.env()));
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

    /** A small file's text (a /proc value), "?" if unreadable. */
    static String readSmall(Path p) {
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
            missing("ipamd/ (config, pool, leases, decisions, recent logs)",
                    "introspection is off (IPAMD_INTROSPECTION_ADDRESS=off); the logs are in the container's log");
            return;
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (String[] p : paths) {
            String uri = "http://" + loopback(endpoint) + p[0];
            try {
                HttpResponse<String> r = get(http, uri);
                add("ipamd/" + p[1], r.body());
                if (r.statusCode() != 200 && !p[0].equals("/readyz")) {
                    missing("ipamd/" + p[1], uri + " answered " + r.statusCode()
                            + " (kept as answered)");
                }
                if (p[0].equals("/v1/logs") && r.statusCode() == 200) {
                    add("ipamd/recent.log", logText(r.body()));
                }
            } catch (IOException e) {
                if (p == paths[0]) { // not answering at all: one line for every file it would have given
                    missing("ipamd/ (config, pool, leases, decisions, recent logs, readiness)",
                            "cannot reach http://" + loopback(endpoint) + " (" + reason(e) + "): ipamd is down or"
                                    + " not serving introspection there; 'kubectl logs --previous' has its last logs");
                    return;
                }
                missing("ipamd/" + p[1], "cannot reach " + uri + " (" + reason(e) + ")");
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
            missing("ipamd/metrics.txt", "metrics are off (IPAMD_METRICS_ADDRESS=off)");
            return;
        }
        String uri = "http://" + loopback(endpoint) + "/metrics";
        try {
            HttpResponse<String> r = get(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(), uri);
            add("ipamd/metrics.txt", r.body());
        } catch (IOException e) {
            missing("ipamd/metrics.txt", "cannot reach " + uri + " (" + reason(e) + ")");
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
    void add(String name, String text) {
        entries.add(new Entry(name, Redaction.text(text).getBytes(StandardCharsets.UTF_8)));
    }

    /** Notes {@code what} as not collected, and why (the summary lists it). */
    void missing(String what, String why) {
        missing.add(new Missing(what, why));
    }

    /** The summary's text (what was collected and what was missing), for the command to print. */
    public String summaryText() {
        return new String(entries.getLast().content(), StandardCharsets.UTF_8);
    }

    /** The short reason {@code e} gives, for the summary. */
    static String reason(Throwable e) {
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
