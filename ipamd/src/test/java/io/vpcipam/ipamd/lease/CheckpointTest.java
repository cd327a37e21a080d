package io.vpcipam.ipamd.lease;

import io.vpcipam.provider.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.strings;

class CheckpointTest {

    @TempDir
    Path dir;

    static CheckpointState sample() {
        Lease l = new Lease(new LeaseKey("vpc-ipam", "abc", "eth0"), Ipv4Address.parse("10.0.1.5"), "eni-1",
                "default", "web-0", "/proc/42/ns/net", Instant.parse("2026-11-26T10:00:00Z"));
        return new CheckpointState(List.of(l), Map.of(Ipv4Address.parse("10.0.1.9"), Instant.parse("2026-11-26T10:00:30Z")));
    }

    @Test
    void writeThenLoad_roundTripsLeasesAndCooling() throws Exception {
        Checkpoint cp = new Checkpoint(dir.resolve("checkpoint.json"));
        cp.write(sample());
        assertEquals(sample(), cp.load());
        assertFalse(Files.exists(dir.resolve("checkpoint.json.tmp")), "no temp file left behind");
    }

    /** Any text up to {@code max} code points: JSON-special and control characters, or any Unicode code point. */
    static Gen<String> anyText(int min, int max) {
        return Generate.oneOf(strings().ascii().ofLengthBetween(min, max),
                strings().allPossible().ofLengthBetween(min, max)).describedAs(CheckpointTest::visible);
    }

    /** A generated string as a failure report shows it: quoted, control characters as escapes. */
    static String visible(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.chars().forEach(c -> sb.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return sb.append('"').toString();
    }

    @Test
    void encodeDecode_anyStrings_roundTrip() {
        qt().withExamples(300).forAll(anyText(0, 40), anyText(1, 40).assuming(c -> !c.isBlank()), anyText(0, 255))
                .checkAssert((podName, containerId, netns) -> {
                    Lease l = new Lease(new LeaseKey("vpc-ipam", containerId, "eth0"), Ipv4Address.parse("10.0.1.5"), "eni-1",
                            "ns \"quoted\" \\ \u0001", podName, netns, Instant.parse("2026-11-26T10:00:00Z"));
                    CheckpointState state = new CheckpointState(List.of(l), Map.of());
                    try {
                        assertEquals(state, Checkpoint.decode(Checkpoint.encode(state)));
                    } catch (IOException e) {
                        throw new AssertionError("its own encoding was refused: " + e.getMessage(), e);
                    }
                });
    }

    @Test
    void load_missingFile_isAFreshStartWithNothing() throws Exception {
        CheckpointState none = new Checkpoint(dir.resolve("none.json")).load();

        assertEquals(CheckpointState.none(), none);
        assertTrue(none.fresh(), "no checkpoint: every address on the node is unproven");
    }

    @Test
    void writeThenLoad_roundTripsUnprovenAddresses_andAWrittenFileIsNeverFresh() throws Exception {
        Checkpoint cp = new Checkpoint(dir.resolve("checkpoint.json"));
        CheckpointState state = new CheckpointState(sample().leases(), sample().cooling(),
                java.util.Set.of(Ipv4Address.parse("10.0.1.20"), Ipv4Address.parse("10.0.1.7")), true);

        cp.write(state);
        CheckpointState back = cp.load();

        assertEquals(state.unproven(), back.unproven());
        assertFalse(back.fresh());
    }

    @Test
    void load_fileWithoutUnproven_asWrittenBeforeTakeovers_hasNothingUnproven() throws Exception {
        Path f = dir.resolve("checkpoint.json");
        Files.writeString(f, "{\"version\":\"vpc-ipam/1\",\"leases\":[],\"cooling\":[]}");

        CheckpointState state = new Checkpoint(f).load();

        assertEquals(java.util.Set.of(), state.unproven());
        assertFalse(state.fresh());
    }

    @Test
    void load_garbage_refusesWithAMessageNamingTheFile() throws Exception {
        Path f = dir.resolve("checkpoint.json");
        for (String bad : List.of("", "{", "[]", "{\"version\":\"other\"}", "{\"version\":\"vpc-ipam/1\",\"leases\":[{}]}",
                "{\"version\":\"vpc-ipam/1\",\"leases\":[{\"network\":\"n\",\"containerId\":\"c\",\"ifName\":\"e\","
                        + "\"address\":\"10.0.0.999\",\"interfaceId\":\"i\",\"assignedAt\":\"2026-11-26T10:00:00Z\"}]}")) {
            Files.writeString(f, bad);
            CheckpointException e = assertThrows(CheckpointException.class, () -> new Checkpoint(f).load(), bad);
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    @Test
    void write_leftoverTempFileFromACrash_isReplacedAndTheOldCheckpointWasIntact() throws Exception {
        Checkpoint cp = new Checkpoint(dir.resolve("checkpoint.json"));
        cp.write(sample());
        Files.writeString(dir.resolve("checkpoint.json.tmp"), "{\"torn"); // a crash mid-write of the next version
        assertEquals(sample(), cp.load(), "the torn temp file never replaces the checkpoint");
        cp.write(CheckpointState.empty());
        assertEquals(CheckpointState.empty(), cp.load());
    }

    @Test
    void groupCommit_manyConcurrentChanges_shareWritesAndAllBecomeDurable() throws Exception {
        Checkpoint cp = new Checkpoint(dir.resolve("checkpoint.json"));
        int[] writes = {0};
        java.util.concurrent.atomic.AtomicReference<GroupCommit> self = new java.util.concurrent.atomic.AtomicReference<>();
        try (GroupCommit gc = new GroupCommit(cp, () -> {
            synchronized (writes) {
                writes[0]++;
            }
            while (self.get() == null) {
                Thread.onSpinWait();
            }
            return new GroupCommit.Versioned(sample(), self.get().latest());
        })) {
            self.set(gc);
            Thread[] threads = new Thread[64];
            for (int i = 0; i < threads.length; i++) {
                threads[i] = Thread.ofVirtual().start(() -> {
                    try {
                        gc.awaitDurable(gc.changed());
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
            }
            for (Thread t : threads) {
                t.join();
            }
        }
        assertEquals(sample(), cp.load());
        assertTrue(writes[0] < 64, "64 changes took " + writes[0] + " writes");
    }

    @Test
    void writeThenLoad_keepsTheTimeOfTheLastAdd() throws Exception {
        Lease l = sample().leases().getFirst().addedAgain(Instant.parse("2026-11-26T10:05:00Z"));
        Checkpoint cp = new Checkpoint(dir.resolve("checkpoint.json"));
        cp.write(new CheckpointState(List.of(l), Map.of()));
        assertEquals(Instant.parse("2026-11-26T10:05:00Z"), cp.load().leases().getFirst().lastAddAt());
    }

    @Test
    void load_fileWrittenBeforeLastAddAtExisted_takesTheAssignmentTime() throws Exception {
        Path f = dir.resolve("checkpoint.json");
        Files.writeString(f, "{\"version\":\"vpc-ipam/1\",\"leases\":[{\"network\":\"n\",\"containerId\":\"c\","
                + "\"ifName\":\"e\",\"address\":\"10.0.0.9\",\"interfaceId\":\"i\",\"assignedAt\":\"2026-11-26T10:00:00Z\"}]}");
        assertEquals(Instant.parse("2026-11-26T10:00:00Z"), new Checkpoint(f).load().leases().getFirst().lastAddAt());
    }

    @Test
    void write_symlinkPlantedAtTheTempPath_isNotFollowed() throws Exception {
        Path victim = dir.resolve("victim");
        Files.writeString(victim, "precious");
        Files.createSymbolicLink(dir.resolve("checkpoint.json.tmp"), victim);
        Checkpoint cp = new Checkpoint(dir.resolve("checkpoint.json"));
        cp.write(sample());
        assertEquals("precious", Files.readString(victim), "root wrote the checkpoint through a planted link");
        assertEquals(sample(), cp.load());
    }

    @Test
    void write_fileAndTheDirItCreatesAreOwnerOnlyWhateverTheUmask() throws Exception {
        Checkpoint cp = new Checkpoint(dir.resolve("state/checkpoint.json"));
        cp.write(sample());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cp.file())));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state"))));
    }
}
