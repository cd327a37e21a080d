package io.vpcipam.ipamd.lease;

import io.vpcipam.provider.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @net.jqwik.api.Property(tries = 300)
    void encodeDecode_anyStrings_roundTrip(@net.jqwik.api.ForAll @net.jqwik.api.constraints.StringLength(max = 40) String podName,
                                           @net.jqwik.api.ForAll @net.jqwik.api.constraints.StringLength(min = 1, max = 40) String containerId,
                                           @net.jqwik.api.ForAll String netns) throws Exception {
        net.jqwik.api.Assume.that(!containerId.isBlank());
        Lease l = new Lease(new LeaseKey("vpc-ipam", containerId, "eth0"), Ipv4Address.parse("10.0.1.5"), "eni-1",
                "ns \"quoted\" \\ \u0001", podName, netns, Instant.parse("2026-11-26T10:00:00Z"));
        CheckpointState state = new CheckpointState(List.of(l), Map.of());
        assertEquals(state, Checkpoint.decode(Checkpoint.encode(state)));
    }

    @Test
    void load_missingFile_isEmpty() throws Exception {
        assertEquals(CheckpointState.empty(), new Checkpoint(dir.resolve("none.json")).load());
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
}
