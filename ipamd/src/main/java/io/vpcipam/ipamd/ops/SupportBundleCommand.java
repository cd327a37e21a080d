package io.vpcipam.ipamd.ops;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ipamd support-bundle}: writes {@link SupportBundle} to a file (or stdout) and prints its summary. */
@Command(name = "support-bundle", mixinStandardHelpOptions = true,
        description = {"Write one archive (tar.gz) for a support ticket: ipamd's configuration, pool, leases,"
                + " decisions and recent logs, the node's addresses, rules, routes and NAT rules, the checkpoint and"
                + " release spool, the plugin's conflist and log. Credentials are removed. Works with ipamd down"
                + " (collects what it can; the summary says what is missing and why)."})
public final class SupportBundleCommand implements Callable<Integer> {

    static final String DEFAULT_STATE_DIR = "/var/lib/vpc-ipam";
    static final String DEFAULT_CONFLIST = "/etc/cni/net.d/05-vpc-ipam.conflist";
    static final String DEFAULT_PLUGIN_LOG = "/var/log/vpc-ipam/cni.log";
    static final String DEFAULT_AWS_NODE_CHECKPOINT = "/var/run/aws-node/ipam.json";

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "where to write the archive; - for stdout (default /tmp/<bundle name>.tar.gz)")
    String output;
    @Option(names = "--introspection", paramLabel = "HOST:PORT", description = "introspection address"
            + " (IPAMD_INTROSPECTION_ADDRESS; default " + OpsConfig.DEFAULT_INTROSPECTION + "; off = skip)")
    String introspection;
    @Option(names = "--metrics", paramLabel = "HOST:PORT", description = "metrics address"
            + " (IPAMD_METRICS_ADDRESS; default " + OpsConfig.DEFAULT_METRICS + "; off = skip)")
    String metrics;
    @Option(names = "--state-dir", description = "state dir (IPAMD_STATE_DIR; default " + DEFAULT_STATE_DIR + ")")
    Path stateDir;
    @Option(names = "--conflist", paramLabel = "FILE", description = "the plugin's conflist (default "
            + DEFAULT_CONFLIST + ")")
    Path conflist;
    @Option(names = "--plugin-log", paramLabel = "FILE", description = "the plugin's log file (default "
            + DEFAULT_PLUGIN_LOG + ", the chart's)")
    Path pluginLog;

    @Override
    public Integer call() {
        return run(System.getenv(), System.out, System.err, InstantSource.system());
    }

    int run(Map<String, String> env, PrintStream out, PrintStream err, InstantSource clock) {
        SupportBundle.Sources sources;
        try {
            sources = new SupportBundle.Sources(
                    endpoint("--introspection", introspection, env, "IPAMD_INTROSPECTION_ADDRESS",
                            OpsConfig.DEFAULT_INTROSPECTION),
                    endpoint("--metrics", metrics, env, "IPAMD_METRICS_ADDRESS", OpsConfig.DEFAULT_METRICS),
                    stateDir != null ? stateDir : Path.of(value(env, "IPAMD_STATE_DIR", DEFAULT_STATE_DIR)),
                    awsNodeCheckpoint(env),
                    conflist != null ? conflist : Path.of(DEFAULT_CONFLIST),
                    pluginLog != null ? pluginLog : Path.of(DEFAULT_PLUGIN_LOG), env);
        } catch (IllegalArgumentException e) {
            err.println("ipamd support-bundle: " + e.getMessage());
            return 2;
        }
        SupportBundle bundle = SupportBundle.collect(sources, clock.instant());
        try {
            if ("-".equals(output)) {
                bundle.writeTo(out);
                out.flush();
                err.print(bundle.summaryText());
                return 0;
            }
            Path target = output != null ? Path.of(output) : Path.of("/tmp", bundle.top() + ".tar.gz");
            Path parent = target.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(parent, ".support-bundle", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                try (OutputStream o = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
                    bundle.writeTo(o);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            err.print(bundle.summaryText());
            err.println("wrote " + target);
            return 0;
        } catch (IOException e) {
            err.println("ipamd support-bundle: cannot write the archive: " + e.getMessage());
            return 1;
        }
    }

    private static OpsConfig.Endpoint endpoint(String flag, String given, Map<String, String> env, String name,
                                               String fallback) {
        String text = given != null ? given : value(env, name, fallback);
        if (text.equalsIgnoreCase("off")) {
            return null;
        }
        try {
            return OpsConfig.Endpoint.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((given != null ? flag : name) + " '" + text
                    + "': must be host:port or off");
        }
    }

    private static Path awsNodeCheckpoint(Map<String, String> env) {
        String v = value(env, "IPAMD_AWS_NODE_CHECKPOINT", DEFAULT_AWS_NODE_CHECKPOINT);
        return v.equalsIgnoreCase("off") ? null : Path.of(v);
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }
}
