package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.LeaseKey;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A checkpoint write that failed once (disk full for a moment) must be retried by the next flush or request, and a
 * DEL answered "ok" must be on disk like any other acknowledged change.
 */
class CheckpointRetryTest extends OnTestNode {

    /**
     * A node with its warm addresses and {@code pods} leases (pods 1 to {@code pods}) on disk, then writes break: the
     * temp file cannot be created while a directory sits at its path, so writes fail and the old file stays.
     * Deleting the returned path mends the disk.
     */
    private Path nodeThenWritesBreak(int pods) throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(2, 0, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        for (int i = 1; i <= pods; i++) {
            node.pool.add(key(i), "", "ns", "pod" + i, Duration.ZERO);
        }
        Path tmp = dir.resolve("checkpoint.json.tmp");
        Files.createDirectory(tmp);
        return tmp;
    }

    @Test
    void flushAfterAFailedWrite_writesAgain() throws Exception {
        Path tmp = nodeThenWritesBreak(1);
        assertThrows(PoolException.class, () -> node.pool.del(key(1)));
        Files.delete(tmp); // the disk has room again
        assertTrue(node.pool.flush(), "the reconciler's flush must retry the failed write");
        assertTrue(node.checkpoint.load().leases().isEmpty(), "the release is on disk after the flush");
    }

    @Test
    void retriedDelAfterAFailedWrite_isDurableBeforeItIsAnswered() throws Exception {
        Path tmp = nodeThenWritesBreak(1);
        assertThrows(PoolException.class, () -> node.pool.del(key(1))); // the shim will retry
        Files.delete(tmp);
        assertNull(node.pool.del(key(1))); // answered ok: the lease is gone
        assertTrue(node.checkpoint.load().leases().isEmpty(),
                "an acknowledged DEL is not on disk: a kill -9 now would bring the lease back");
    }

    @Test
    void addAfterAFailedWrite_stillFailsWhileTheDiskIsBroken() throws Exception {
        Path tmp = nodeThenWritesBreak(0);
        assertThrows(PoolException.class, () -> node.pool.add(key(1), "", "ns", "pod1", Duration.ZERO));
        assertFalse(node.pool.flush());
        assertThrows(PoolException.class, () -> node.pool.add(key(2), "", "ns", "pod2", Duration.ZERO));
        assertEquals(0, node.pool.status().assigned());
        Files.delete(tmp);
        node.pool.add(key(3), "", "ns", "pod3", Duration.ZERO);
        assertEquals(1, node.checkpoint.load().leases().size());
    }
}
