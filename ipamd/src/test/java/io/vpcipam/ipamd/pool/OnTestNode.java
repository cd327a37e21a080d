package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.LeaseKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What every pool test on a {@link TestNode} sets up: a temp dir for the node's state, the node (made by the test,
 * as each wants its own instance type and targets), closed after the test; the pods' lease keys; and a node state
 * several tests start from.
 */
abstract class OnTestNode {

    @TempDir
    Path dir;
    TestNode node;

    @AfterEach
    void closeNode() {
        if (node != null) {
            node.close();
        }
    }

    /**
     * An m5.large with WARM_ENI_TARGET=1 whose first interface filled up, so a pass made a second one for the warm
     * target, and whose pods then all went: the second interface is idle, the one the next pass gives back.
     */
    void nodeWithAnIdleSecondInterface() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(0, 0, 1, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        int perInterface = node.pool.status().free();
        for (int i = 0; i < perInterface; i++) {
            node.pool.add(key(i), "", "ns", "pod" + i, Duration.ZERO);
        }
        node.reconciler.pass(); // a second interface for the warm target
        assertEquals(2, node.cloud.peekNode().interfaces().size());
        for (int i = 0; i < perInterface; i++) {
            node.pool.del(key(i));
        }
    }

    /** Pod {@code i}'s attachment: network vpc-ipam, container c{@code i}, eth0. */
    static LeaseKey key(int i) {
        return new LeaseKey("vpc-ipam", "c" + i, "eth0");
    }
}
