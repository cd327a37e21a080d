package io.vpcipam.ipamd;

import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.config.ConfigException;
import io.vpcipam.provider.sim.SimulatedCloud;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.InstantSource;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a state dir or socket path ipamd cannot use does at start: one line naming the setting, nothing removed. */
class DaemonStartupTest {

    @TempDir
    Path dir;

    Config config(Path stateDir, Path socket) throws ConfigException {
        return Config.fromEnv(Map.of("IPAMD_STATE_DIR", stateDir.toString(), "IPAMD_SOCKET", socket.toString(),
                "WARM_IP_TARGET", "1"));
    }

    static SimulatedCloud cloud() {
        return SimulatedCloud.builder().instanceType("m5.large").build();
    }

    StartupException refused(Path stateDir, Path socket, String setting) throws Exception {
        Config c = config(stateDir, socket);
        StartupException e = assertThrows(StartupException.class, () -> Daemon.start(c, cloud(), InstantSource.system()).close());
        assertTrue(e.getMessage().startsWith(setting + "='"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertEquals(java.util.List.of(e.getMessage()), Daemon.preflight(c), "preflight finds the same, alone");
        return e;
    }

    @Test
    void start_createsTheStateDirAndSpoolOwnerOnly_andTheCheckpointIs0600() throws Exception {
        Path state = dir.resolve("made/by/ipamd");
        try (Daemon d = Daemon.start(config(state, dir.resolve("s.sock")), cloud(), InstantSource.system())) {
            assertTrue(d.serving());
        }
        for (Path p : new Path[] {dir.resolve("made"), dir.resolve("made/by"), state, ReleaseSpool.dir(state)}) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
        }
        assertEquals("rw-------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(state.resolve(io.vpcipam.protocol.Layout.CHECKPOINT))));
    }

    @Test
    void start_stateDirUnderARegularFile_namesIpamdStateDir() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        StartupException e = refused(dir.resolve("file/state"), dir.resolve("s.sock"), "IPAMD_STATE_DIR");
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void start_stateDirNotWritable_namesIpamdStateDir() throws Exception {
        // sysfs refuses new files even to root: a read-only state dir without needing a mount
        StartupException e = refused(Path.of("/sys/kernel"), dir.resolve("s.sock"), "IPAMD_STATE_DIR");
        assertTrue(e.getMessage().contains("cannot write there"), e.getMessage());
    }

    @Test
    void start_stateDirWritableByOthers_isRefused() throws Exception {
        Path state = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));
        StartupException e = refused(state, dir.resolve("s.sock"), "IPAMD_STATE_DIR");
        assertTrue(e.getMessage().contains("writable by other users"), e.getMessage());
    }

    @Test
    void start_socketPathIsARegularFile_keepsTheFileAndNamesIpamdSocket() throws Exception {
        Path precious = dir.resolve("precious.txt");
        Files.writeString(precious, "not a socket");
        StartupException e = refused(dir.resolve("state"), precious, "IPAMD_SOCKET");
        assertTrue(e.getMessage().contains("regular file, not a socket"), e.getMessage());
        assertEquals("not a socket", Files.readString(precious), "ipamd deleted a file it took for a stale socket");
    }

    @Test
    void start_socketPathIsADanglingSymlink_namesIpamdSocket() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("s.sock"), dir.resolve("nowhere"));
        StartupException e = refused(dir.resolve("state"), link, "IPAMD_SOCKET");
        assertTrue(e.getMessage().contains("symbolic link to nothing"), e.getMessage());
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void start_socketParentIsARegularFile_namesIpamdSocket() throws Exception {
        Files.writeString(dir.resolve("run"), "x");
        StartupException e = refused(dir.resolve("state"), dir.resolve("run/ipamd.sock"), "IPAMD_SOCKET");
        assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    }

    @Test
    void start_anotherIpamdServesTheSocket_isRefusedAndTheSocketKept() throws Exception {
        Path socket = dir.resolve("s.sock");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(socket));
            StartupException e = refused(dir.resolve("state"), socket, "IPAMD_SOCKET");
            assertTrue(e.getMessage().contains("another ipamd is already serving it"), e.getMessage());
            assertTrue(Files.exists(socket));
        }
    }

    @Test
    void start_staleSocketOfADeadDaemon_isReplaced() throws Exception {
        Path socket = dir.resolve("s.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        } // closed without removing the file, as after a kill -9
        assertTrue(Files.exists(socket));
        try (Daemon d = Daemon.start(config(dir.resolve("state"), socket), cloud(), InstantSource.system())) {
            assertTrue(d.serving());
        }
    }
}
