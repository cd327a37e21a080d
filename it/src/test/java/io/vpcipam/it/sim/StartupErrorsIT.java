package io.vpcipam.it.sim;

import io.vpcipam.it.IpamdProcess;
import io.vpcipam.protocol.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real jar started with a state dir or socket it cannot use: one line naming the setting, exit 2, no stack
 * trace, nothing removed; every problem in one pass. And what it writes is root's alone even under umask 000.
 */
class StartupErrorsIT {

    @TempDir
    Path dir;

    record Run(int exit, String output) {
    }

    /** {@code ipamd run --provider sim} with these paths and env; waits for it to exit. */
    static Run run(Path stateDir, Path socket, Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(IpamdProcess.java(), "-Xmx128m", "-jar", IpamdProcess.jar().toString(),
                "run", "--state-dir", stateDir.toString(), "--socket", socket.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("IPAMD_") || k.startsWith("WARM_"));
        pb.environment().put("IPAMD_METRICS_ADDRESS", "127.0.0.1:0");
        pb.environment().put("IPAMD_INTROSPECTION_ADDRESS", "127.0.0.1:0");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("ipamd did not exit:\n" + out);
        }
        return new Run(p.exitValue(), out);
    }

    /** Exit 2, one line starting "ipamd:" that names {@code setting}, no stack trace. */
    static String oneLine(Run r, String setting) {
        assertEquals(2, r.exit(), r.output());
        String out = r.output().strip();
        assertEquals(1, out.lines().count(), "one line, got:\n" + out);
        assertTrue(out.startsWith("ipamd: ") && out.contains(setting + "='"), out);
        assertFalse(out.contains("Exception") || out.contains("\tat "), out);
        return out;
    }

    @Test
    void stateDirUnderARegularFile_oneLineExit2() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        String out = oneLine(run(dir.resolve("file/state"), dir.resolve("s.sock"), Map.of()), "IPAMD_STATE_DIR");
        assertTrue(out.contains("not a directory"), out);
    }

    @Test
    void stateDirNotWritable_oneLineExit2() throws Exception {
        String out = oneLine(run(Path.of("/sys/kernel"), dir.resolve("s.sock"), Map.of()), "IPAMD_STATE_DIR");
        assertTrue(out.contains("cannot write there"), out);
    }

    @Test
    void socketParentIsAFile_oneLineExit2() throws Exception {
        Files.writeString(dir.resolve("run"), "x");
        oneLine(run(dir.resolve("state"), dir.resolve("run/ipamd.sock"), Map.of()), "IPAMD_SOCKET");
    }

    @Test
    void socketIsARegularFile_isKept_oneLineExit2() throws Exception {
        Path precious = dir.resolve("precious.txt");
        Files.writeString(precious, "keep me");
        String out = oneLine(run(dir.resolve("state"), precious, Map.of()), "IPAMD_SOCKET");
        assertTrue(out.contains("not a socket"), out);
        assertEquals("keep me", Files.readString(precious));
    }

    @Test
    void socketIsADanglingSymlink_oneLineExit2() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("s.sock"), dir.resolve("nowhere"));
        oneLine(run(dir.resolve("state"), link, Map.of()), "IPAMD_SOCKET");
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void secondIpamdOnTheSocket_oneLineExit2_andTheFirstKeepsServing() throws Exception {
        try (IpamdProcess first = IpamdProcess.start("sim", dir.resolve("first"), Map.of("WARM_IP_TARGET", "1"),
                Duration.ofSeconds(30))) {
            String out = oneLine(run(dir.resolve("second"), first.socket(), Map.of()), "IPAMD_SOCKET");
            assertTrue(out.contains("another ipamd is already serving it"), out);
            assertTrue(first.call(io.vpcipam.protocol.Request.status()).ok());
        }
    }

    @Test
    void providerAndOtherErrors_allReportedInOnePass_beforeTheOpsServersStart() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        Run r = run(dir.resolve("state"), dir.resolve("file"), Map.of("IPAMD_PROVIDER", "nope", "WARM_IP_TARGET", "lots"));
        assertEquals(2, r.exit(), r.output());
        String out = r.output();
        assertTrue(out.contains("IPAMD_PROVIDER='nope': no such provider"), out);
        assertTrue(out.contains("WARM_IP_TARGET='lots'"), out);
        assertTrue(out.contains("IPAMD_SOCKET='"), out);
        assertFalse(out.contains("effective configuration"), "the ops servers started before the errors:\n" + out);
        assertFalse(out.contains("Exception") || out.contains("\tat "), out);
    }

    @Test
    void providerSettingsAndOtherErrors_allReportedInOnePass_beforeAnyCloudCall() throws Exception {
        // the provider's settings are validated with the rest of the configuration (before, a bad WARM_IP_TARGET hid
        // a bad IPAMD_AWS_API_RATE until the next start)
        Run r = run(dir.resolve("state"), dir.resolve("run/ipamd.sock"), Map.of("IPAMD_PROVIDER", "aws",
                "IPAMD_AWS_API_RATE", "fast", "AWS_REGION", "US East", "WARM_IP_TARGET", "lots"));
        assertEquals(2, r.exit(), r.output());
        String out = r.output();
        assertTrue(out.contains("IPAMD_AWS_API_RATE='fast'"), out);
        assertTrue(out.contains("AWS_REGION='US East'"), out);
        assertTrue(out.contains("WARM_IP_TARGET='lots'"), out);
        assertFalse(out.contains("Exception") || out.contains("\tat "), out);
    }

    @Test
    void underUmask000_stateDirSpoolAndFilesAreRootsAlone() throws Exception {
        Path state = dir.resolve("state");
        Path socket = dir.resolve("run/ipamd.sock");
        Path log = dir.resolve("ipamd.log");
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", "umask 000 && exec \"$@\"", "sh", IpamdProcess.java(),
                "-Xmx128m", "-jar", IpamdProcess.jar().toString(), "run", "--provider", "sim",
                "--state-dir", state.toString(), "--socket", socket.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("IPAMD_") || k.startsWith("WARM_"));
        pb.environment().put("IPAMD_METRICS_ADDRESS", "127.0.0.1:0");
        pb.environment().put("IPAMD_INTROSPECTION_ADDRESS", "127.0.0.1:0");
        pb.environment().put("WARM_IP_TARGET", "1");
        Process p = pb.start();
        try {
            Reply added = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (added == null && System.nanoTime() < deadline && p.isAlive()) {
                try {
                    added = IpamdProcess.call(socket, IpamdProcess.podAdd(1));
                } catch (IOException notYet) {
                    Thread.sleep(100);
                }
            }
            assertTrue(added != null && added.ok(), "ipamd did not serve:\n" + Files.readString(log));
            assertEquals("rwx------", mode(state));
            assertEquals("rwx------", mode(state.resolve("release-spool")));
            assertEquals("rw-------", mode(state.resolve("checkpoint.json")));
            assertEquals("rw-------", mode(state.resolve("sim-cloud.state")));
            assertEquals("rw-------", mode(socket));
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
