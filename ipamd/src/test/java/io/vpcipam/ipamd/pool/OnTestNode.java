package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.LeaseKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * What every pool test on a {@link TestNode} sets up: a temp dir for the node's state, the node (made by the test,
 * as each wants its own instance type and targets), closed after the test; and the pods' lease keys.
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

    /** Pod {@code i}'s attachment: network vpc-ipam, container c{@code i}, eth0. */
    static LeaseKey key(int i) {
        return new LeaseKey("vpc-ipam", "c" + i, "eth0");
    }
}
