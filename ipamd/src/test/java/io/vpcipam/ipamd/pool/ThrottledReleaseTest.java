package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.sim.Verb;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A throttled unassign or delete was refused by the cloud, not applied: its addresses are known to be still held, so
 * they go back at once, with no doubt and no describe (issue 18.1: the describe took the token the retried release
 * needed, so under sustained throttling the pool never shrank and every release cost two calls).
 */
class ThrottledReleaseTest extends OnTestNode {

    private static CloudException.Throttled throttled() {
        return new CloudException.Throttled("RequestLimitExceeded", "Request limit exceeded (injected)", Duration.ZERO);
    }

    @Test
    void releaseThrottled_addressesBackWithoutDoubt_retriedWithoutADescribe() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(1, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        node.podsCameAndWent(3);
        assertEquals(4, node.cloud.heldAddresses().size());
        node.cloud.resetCounters();
        node.cloud.failNext(Verb.UNASSIGN, 1, ThrottledReleaseTest::throttled);

        node.reconciler.pass(); // throttled, waits the retry-after, releases in the same pass

        assertEquals(2, node.cloud.calls(Verb.UNASSIGN), "the refused release and its retry");
        assertEquals(0, node.cloud.calls(Verb.DESCRIBE_NODE), "a refused call needs no describe to settle it");
        assertEquals(1, node.cloud.heldAddresses().size(), "the pool shrank to its warm target");
        assertEquals(1, node.pool.status().total());
        assertEquals(0, node.pool.status().releasing());
    }

    @Test
    void releaseThrottled_addressesAreFreeAgainAtOnce() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(1, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        node.podsCameAndWent(3);
        var primary = node.cloud.peekNode().primaryInterface();
        var marked = node.pool.beginRelease(primary.id(), primary.secondaryAddresses(), java.util.List.of());
        assertEquals(4, node.pool.status().releasing());

        node.pool.endRelease(primary.id(), marked, CallOutcome.REFUSED);

        assertEquals(0, node.pool.status().releasing());
        assertEquals(4, node.pool.status().free(), "refused: still the node's, usable at once");
    }

    @Test
    void deleteThrottled_interfaceKept_retriedWithoutADescribe() throws Exception {
        nodeWithAnIdleSecondInterface();
        node.cloud.resetCounters();
        node.cloud.failNext(Verb.DELETE_INTERFACE, 1, ThrottledReleaseTest::throttled);

        node.reconciler.pass();

        assertEquals(2, node.cloud.calls(Verb.DELETE_INTERFACE), "the refused delete and its retry");
        assertEquals(0, node.cloud.calls(Verb.DESCRIBE_NODE), "a refused call needs no describe to settle it");
        assertEquals(1, node.cloud.peekNode().interfaces().size());
        assertEquals(0, node.pool.status().releasing());
        assertEquals(node.cloud.heldAddresses().size(), node.pool.status().total());
    }
}
