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
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;

/**
 * The plugin executable's entry point ({@code vpc-ipam}): wires the real environment, stdin,
 * stdout, ipamd socket and {@code ip} into a {@link Dispatcher} and exits with its status.
 */
public final class Main {

    private Main() {
    }

    /** Runs one CNI call as the runtime made it. */
    public static void main(String[] args) {
        Map<String, String> env = System.getenv();
        prewarm(env.get("CNI_COMMAND"));
        int rc = run(env, System.in, new FileOutputStream(FileDescriptor.out), System.err);
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
     * Starts the one-time set-up of what the call will need on threads of their own, while the main
     * thread reads and parses stdin: the first Unix socket ({@link #prewarmSockets}) and the first
     * process start ({@link #prewarmProcesses}). VERSION needs neither; STATUS starts no process.
     *
     * @return the threads started (daemons: nothing waits for them)
     */
    static List<Thread> prewarm(String command) {
        if (command == null || command.equals("VERSION")) {
            return List.of();
        }
        Thread sockets = prewarmSockets();
        return command.equals("STATUS") ? List.of(sockets) : List.of(sockets, prewarmProcesses());
    }

    /**
     * Opens (and closes) a Unix socket channel and a selector on a second thread while the main
     * thread reads and parses stdin. The first Unix socket of a JVM costs ~13 ms of one-time
     * initialisation (NIO natives, and the SecureRandom the JDK's Unix-domain socket support seeds
     * at class init), measured in a fresh JVM with the AOT cache; on a second core that work
     * overlaps with parsing the config instead of following it. Nothing is connected, so a
     * failure here changes nothing: the real call reports its own errors.
     */
    static Thread prewarmSockets() {
        return daemon("prewarm-sockets", () -> {
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX); Selector s = Selector.open()) {
                ch.configureBlocking(false);
            } catch (IOException | RuntimeException e) {
                // Only a head start: the ipamd call opens its own channel and reports failures.
            }
        });
    }

    /**
     * Asks, on a thread of its own, what the first {@link ProcessBuilder#start} asks: whether the
     * {@code java.lang.ProcessBuilder} system logger logs. The first ask finds the JDK's LoggerFinder
     * with ServiceLoader, which, after the runtime's own finder, still opens every jar on the class
     * paths to look for a second one (the JDK refuses two): measured in a fresh JVM with these flags
     * and an AOT cache, the first start took 24-28 ms with the plugin's four jars against 15-17 ms
     * with one small jar (chrt -f 50, 2 cores). Started here, that search overlaps with parsing the
     * config and the ipamd request instead of delaying the {@code ip} processes. Then the classes of
     * the first start are initialised (the process reaper's executor, the exit futures): measured the
     * same way, the first start after the logger search alone took 6.2-7.5 ms, after both 3.8-4.5 ms.
     */
    static Thread prewarmProcesses() {
        return daemon("prewarm-processes", () -> {
            try {
                System.getLogger("java.lang.ProcessBuilder").isLoggable(System.Logger.Level.DEBUG);
                for (String c : FIRST_PROCESS_START) {
                    Class.forName(c, true, null);
                }
            } catch (RuntimeException | ServiceConfigurationError | ClassNotFoundException | LinkageError e) {
                // Only a head start: ProcessBuilder.start does it all again and reports what goes wrong.
            }
        });
    }

    /** java.base classes the first {@link ProcessBuilder#start} initialises, in that order. */
    private static final List<String> FIRST_PROCESS_START = List.of("java.lang.ProcessImpl",
            "java.lang.ProcessHandleImpl", "java.util.concurrent.CompletableFuture", "java.util.concurrent.ForkJoinPool");

    private static Thread daemon(String name, Runnable task) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
