package io.vpcipam.it.host;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The machine side of the test kit: running a tool and the skip-unless-root check that every test of real
 * namespaces, links, containerd or a kubelet starts with. Each command is bounded (60 s) so a hung tool fails the test
 * with what it printed instead of hanging the build.
 */
public final class Host {

    private Host() {
    }

    /** Runs a command, returns its stdout and stderr; fails with them unless it exits 0 within 60 s. */
    public static String sh(String... cmd) throws IOException, InterruptedException {
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

    /** Runs a command and returns its exit status (output discarded; -1 when it hangs for 60 s). */
    public static int status(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    /** Skips the calling test with {@code why} unless it runs as root, and with a hint for each missing tool. */
    public static void assumeRoot(String why, List<String> tools) throws IOException {
        String status = Files.readString(Path.of("/proc/self/status"));
        assumeTrue(status.lines().anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0")), why);
        for (String tool : tools) {
            assumeTrue(Files.isExecutable(Path.of(tool)), tool + " is missing: bin/ci-packages.sh installs it");
        }
    }

    /** A random 6-hex-digit suffix for names other engineers' tests must not collide with. */
    public static String suffix() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
    }

    /** A condition {@link #await} polls. */
    @FunctionalInterface
    public interface Check {
        /** True once the awaited state is reached. */
        boolean ok() throws IOException, InterruptedException;
    }

    /**
     * Polls {@code ok} (every 100 ms) until it holds; fails naming {@code what}, with {@code logs}, when process
     * {@code p} (the one that should get there) exits first or {@code timeout} passes.
     */
    public static void await(Duration timeout, Process p, String what, Check ok, Supplier<String> logs)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IOException(what + " exited with " + p.exitValue() + ":\n" + logs.get());
            }
            if (ok.ok()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException(what + " not ready within " + timeout + ":\n" + logs.get());
    }

    /** The last {@code lines} lines of a log file, for a failure message. */
    public static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Stops a process: SIGTERM, then SIGKILL when it has not ended within 20 s. */
    public static void stop(Process p) throws InterruptedException {
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Unmounts (lazily, deepest first) whatever is still mounted at or below {@code dir}, before it is deleted. */
    public static void unmountBelow(Path dir) throws IOException, InterruptedException {
        status("sh", "-c", "grep -o ' " + dir + "[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l");
    }

    /**
     * Walks {@code root} depth first, skipping whatever vanishes meanwhile: runtimes remove a container's cgroup or
     * state file as its last process dies, so entries go between their listing and their visit while a clean-up
     * walks. {@code Files.walk}'s stream throws {@code UncheckedIOException} then, which once failed a test in its
     * clean-up after every assertion had passed. {@code dirBefore} gets each directory before what is in it,
     * {@code file} every other entry, {@code dirAfter} each directory after what is in it. A missing root is no error.
     */
    public static void walk(Path root, Consumer<Path> dirBefore, Consumer<Path> file, Consumer<Path> dirAfter) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    dirBefore.accept(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    file.accept(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                    dirAfter.accept(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // only a visitor's own exception gets here, and they throw none
        }
    }
}
