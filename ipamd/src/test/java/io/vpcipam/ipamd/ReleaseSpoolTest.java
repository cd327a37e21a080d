package io.vpcipam.ipamd;

import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReleaseSpoolTest {

    @TempDir
    Path dir;

    static String del(String containerId) {
        return Codec.encode(Request.del("vpc-ipam", containerId, "eth0")) + "\n";
    }

    @Test
    void read_spoolDirIsASymlink_isRefusedAndItsTargetIsLeftAlone() throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Files.writeString(elsewhere.resolve("1-a.json"), del("a"));
        Files.writeString(elsewhere.resolve("2-b.json"), "{not json");
        Path state = Files.createDirectory(dir.resolve("state"));
        Files.createSymbolicLink(ReleaseSpool.dir(state), elsewhere);
        IOException e = assertThrows(IOException.class, () -> ReleaseSpool.read(state));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        try (var files = Files.list(elsewhere)) {
            assertEquals(List.of("1-a.json", "2-b.json"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "files behind the link were renamed");
        }
    }

    @Test
    void read_entryThatIsASymlink_isNeverReadThroughAndIsSetAside() throws Exception {
        Path victim = dir.resolve("victim.json");
        Files.writeString(victim, del("someone-else"));
        Path spool = Files.createDirectories(ReleaseSpool.dir(dir.resolve("state")));
        Files.createSymbolicLink(spool.resolve("1-x.json"), victim);
        Files.writeString(spool.resolve("2-y.json"), del("y"));
        var entries = ReleaseSpool.read(dir.resolve("state"));
        assertEquals(List.of("y"), entries.stream().map(en -> en.key().containerId()).toList());
        assertTrue(Files.isSymbolicLink(spool.resolve("1-x.json.bad")), "the link itself is kept aside");
        assertEquals(del("someone-else"), Files.readString(victim));
    }

    @Test
    void prepare_makesTheSpoolOwnerOnly_evenOneAPluginMadeUnderAWideUmask() throws Exception {
        Path state = Files.createDirectory(dir.resolve("state"));
        ReleaseSpool.prepare(state);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ReleaseSpool.dir(state))));
        Files.setPosixFilePermissions(ReleaseSpool.dir(state), PosixFilePermissions.fromString("rwxrwxrwx"));
        ReleaseSpool.prepare(state);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ReleaseSpool.dir(state))));
    }

    @Test
    void prepare_spoolDirIsASymlink_isRefused() throws Exception {
        Path state = Files.createDirectory(dir.resolve("state"));
        Files.createSymbolicLink(ReleaseSpool.dir(state), Files.createDirectory(dir.resolve("elsewhere")));
        IOException e = assertThrows(IOException.class, () -> ReleaseSpool.prepare(state));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    }
}
