package io.vpcipam.it;

import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A real ipamd: {@code java -jar ipamd/target/ipamd.jar run} in its own process, as users and the chart start it,
 * with its log in the state dir. {@link #kill()} is kill -9.
 */
public final class IpamdProcess implements AutoCloseable {

    private final Process process;
    private final Path socket;
    private final Path stateDir;
    private final Path log;

    private IpamdProcess(Process process, Path socket, Path stateDir, Path log) {
        this.process = process;
        this.socket = socket;
        this.stateDir = stateDir;
        this.log = log;
    }

    /** The runnable jar, from the build. */
    public static Path jar() {
        return Path.of(System.getProperty("vpcipam.ipamd.jar", "../ipamd/target/ipamd.jar")).toAbsolutePath().normalize();
    }

    /** The java launcher of the JDK running the tests (JDK 25). */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Starts ipamd with {@code provider}, its socket and checkpoint under {@code stateDir}, and {@code env} on top of
     * a clean environment; returns when the socket answers STATUS.
     */
    public static IpamdProcess start(String provider, Path stateDir, Map<String, String> env, Duration timeout)
            throws IOException, InterruptedException {
        return start(provider, stateDir, env, timeout, List.of("-Xmx128m"));
    }

    /** As {@link #start(String, Path, Map, Duration)}, with these JVM options. */
    public static IpamdProcess start(String provider, Path stateDir, Map<String, String> env, Duration timeout,
                                     List<String> jvmOptions) throws IOException, InterruptedException {
        return start(provider, stateDir, env, timeout, jvmOptions, List.of());
    }

    /**
     * As {@link #start(String, Path, Map, Duration, List)}, the java command run behind {@code launcher} (e.g.
     * {@code nsenter --net=/run/netns/NODE}, to run ipamd in a test's node network namespace). ipamd does not
     * program the host unless {@code env} sets {@code IPAMD_HOST_NETWORK} (or the simulated cloud's fabric): a
     * test must never change the machine's own network.
     */
    public static IpamdProcess start(String provider, Path stateDir, Map<String, String> env, Duration timeout,
                                     List<String> jvmOptions, List<String> launcher)
            throws IOException, InterruptedException {
        Files.createDirectories(stateDir);
        Path socket = stateDir.resolve("ipamd.sock");
        Path log = stateDir.resolve("ipamd.log");
        List<String> cmd = new ArrayList<>(launcher);
        cmd.add(java());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar().toString(), "run",
                "--provider", provider, "--socket", socket.toString(), "--state-dir", stateDir.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("IPAMD_") || k.startsWith("WARM_")
                || k.startsWith("MINIMUM_") || k.equals("MAX_ENI") || k.equals("ENABLE_PREFIX_DELEGATION"));
        // ephemeral loopback ports unless a test names them: parallel runs and a node's own ipamd must not collide
        pb.environment().put("IPAMD_METRICS_ADDRESS", "127.0.0.1:0");
        pb.environment().put("IPAMD_INTROSPECTION_ADDRESS", "127.0.0.1:0");
        if (!env.containsKey("IPAMD_SIM_FABRIC_NETNS")) {
            pb.environment().put("IPAMD_HOST_NETWORK", "false");
        }
        pb.environment().putAll(env);
        Process p = pb.start();
        IpamdProcess ipamd = new IpamdProcess(p, socket, stateDir, log);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException("ipamd exited with " + p.exitValue() + ":\n" + ipamd.log());
            }
            if (Files.exists(socket)) {
                try {
                    Reply r = ipamd.call(Request.status());
                    if (r != null && r.ok()) {
                        return ipamd;
                    }
                } catch (IOException ignored) {
                    // not accepting yet
                }
            }
            Thread.sleep(50);
        }
        ipamd.kill();
        throw new IOException("ipamd did not serve " + socket + " within " + timeout + ":\n" + ipamd.log());
    }

    /** What an {@code ipamd} CLI command printed and how it exited. */
    public record Cli(int exit, String out, String err) {
    }

    /** Runs the ipamd CLI ({@code ipamd <args>}) without the caller's IPAMD_ variables; waits up to 30 s. */
    public static Cli cli(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", jar().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("IPAMD_"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("ipamd " + String.join(" ", args) + " did not exit within 30 s");
        }
        return new Cli(p.exitValue(), out, err);
    }

    /** The ADD a CNI plugin sends for test pod {@code i} (container-i / default/pod-i, eth0). */
    public static Request podAdd(int i) {
        return Request.add("vpc-ipam", "container-" + i, "eth0", "/proc/1/ns/net", "default", "pod-" + i);
    }

    /** ADDs pods {@code from} (inclusive) to {@code to} (exclusive) all at once, as a burst of pod starts. */
    public List<Reply> addPods(int from, int to) throws Exception {
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Reply>> futures = new ArrayList<>();
            for (int i = from; i < to; i++) {
                Request add = podAdd(i);
                futures.add(ex.submit(() -> call(add)));
            }
            List<Reply> replies = new ArrayList<>();
            for (Future<Reply> f : futures) {
                replies.add(f.get(60, TimeUnit.SECONDS));
            }
            return replies;
        }
    }

    /** One request, one reply, on a fresh connection. */
    public Reply call(Request request) throws IOException {
        return call(socket, request);
    }

    /** One request, one reply, on a fresh connection to {@code socket}. */
    public static Reply call(Path socket, Request request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            new FrameWriter(Channels.newOutputStream(ch)).write(request);
            return new FrameReader(Channels.newInputStream(ch), FrameReader.MAX_REPLY_FRAME_BYTES).readReply();
        }
    }

    /** The socket path. */
    public Path socket() {
        return socket;
    }

    /** The state dir. */
    public Path stateDir() {
        return stateDir;
    }

    /** The process id. */
    public long pid() {
        return process.pid();
    }

    /** What ipamd logged so far. */
    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** kill -9: no shutdown hook runs, as in a node crash or an OOM kill. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM and wait, as kubelet stops a pod. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
