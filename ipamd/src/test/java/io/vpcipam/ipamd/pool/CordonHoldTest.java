package io.vpcipam.ipamd.pool;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * aws-node's AWS_MANAGE_ENIS_NON_SCHEDULABLE=false: while the node is cordoned the reconciler creates and deletes no
 * interface; addresses on the interfaces it has still come and go. (The cordon itself comes from the Node watch.)
 */
class CordonHoldTest {

    @TempDir
    Path dir;
    TestNode node;

    @AfterEach
    void tearDown() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void held_noInterfaceCreated_addressesOnTheExistingOneStillGrow_releasedThenCreated() throws Exception {
        // m5.large: 3 interfaces x 9 secondary addresses; 20 warm needs a second interface
        node = new TestNode(dir, "m5.large", new Targets(20, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.holdInterfaces("node n1 is cordoned");
        node.reconciler.pass();
        assertEquals(1, node.pool.snapshot().interfaces().size(), "no interface created while cordoned");
        assertEquals(9, node.pool.status().free(), "the primary interface still filled");
        String last = node.reconciler.decisions().getLast().outcome();
        assertTrue(last.startsWith("held: node n1 is cordoned"), last);
        node.reconciler.pass();
        assertEquals(1, node.pool.snapshot().interfaces().size());

        node.reconciler.holdInterfaces(null);
        node.reconciler.pass();
        assertTrue(node.pool.snapshot().interfaces().size() >= 2, "uncordoned: the interface is created");
        assertEquals(20, node.pool.status().free());
    }

    @Test
    void held_anIdleInterfaceIsNotDeleted() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(0, 0, 1, 0, false, 0), Duration.ZERO);
        node.reconciler.pass(); // the warm interface's worth first
        node.podsCameAndWent(20); // grew to three interfaces for 20 pods, all gone now: some interface is idle
        int before = node.pool.snapshot().interfaces().size();
        assertTrue(before >= 3, before + " interfaces");
        node.reconciler.holdInterfaces("node n1 is cordoned");
        for (int i = 0; i < 5; i++) {
            node.clock.advance(Duration.ofMinutes(5));
            node.reconciler.pass();
        }
        assertEquals(before, node.pool.snapshot().interfaces().size(), "no interface deleted while cordoned");

        node.reconciler.holdInterfaces(null);
        node.clock.advance(Duration.ofMinutes(5));
        node.reconciler.pass();
        assertTrue(node.pool.snapshot().interfaces().size() < before, "uncordoned: the idle interface goes");
    }
}
