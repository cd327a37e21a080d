package io.vpcipam.cni;

import io.vpcipam.cni.netns.ProcessIpRunner;
import java.io.FileOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.io.FileDescriptor;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.Map;

/**
 * The plugin executable's entry point ({@code vpc-ipam}): wires the real environment, stdin,
 * stdout, ipamd socket and {@code ip} into a {@link Dispatcher} and exits with its status.
 */
public final class Main {

    private Main() {
    }

    /** Runs one CNI call as the runtime made it. */
    public static void main(String[] args) {
        prewarmSockets();
        int rc = run(System.getenv(), System.in, new FileOutputStream(FileDescriptor.out), System.err);
        // halt: nothing is left to run at exit, and skipping the shutdown sequence is a
        // measurable part of a ~50 ms plugin start.
        Runtime.getRuntime().halt(rc);
    }

    /**
     * One call with the real ipamd client and {@code ip}: what {@link #main} runs, and what the AOT
     * training runs many times in one process ({@link AotTraining}).
     */
    static int run(Map<String, String> env, InputStream stdin, OutputStream stdout, PrintStream stderr) {
        PrintStream out = new PrintStream(stdout, false, StandardCharsets.UTF_8);
        PluginLog log = new PluginLog(InstantSource.system(), stderr);
        int rc = new Dispatcher(env, stdin, out, log, InstantSource.system(),
                new SystemServices(ProcessIpRunner.system())).run();
        out.flush();
        return rc;
    }

    /**
     * Opens (and closes) a Unix socket channel and a selector on a second thread while the main
     * thread reads and parses stdin. The first Unix socket of a JVM costs ~13 ms of one-time
     * initialisation (NIO natives, and the SecureRandom the JDK's Unix-domain socket support seeds
     * at class init), measured in a fresh JVM with the AOT cache; on a second core that work
     * overlaps with parsing the config instead of following it. Nothing is connected, so a
     * failure here changes nothing: the real call reports its own errors.
     */
    static void prewarmSockets() {
        Thread t = new Thread(() -> {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX); Selector s = Selector.open()) {
                ch.configureBlocking(false);
            } catch (IOException | RuntimeException e) {
                // Only a head start: the ipamd call opens its own channel and reports failures.
            }
        }, "prewarm-sockets");
        t.setDaemon(true);
        t.start();
    }
}
