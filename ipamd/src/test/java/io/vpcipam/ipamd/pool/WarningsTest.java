package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.server.IpamService;
import io.vpcipam.protocol.ErrorCodes;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.sim.Verb;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which pool outcomes are warnings for the cluster (Kubernetes Events), and with what reason and pod. */
class WarningsTest {

    record Warned(Warnings.Reason reason, String namespace, String pod, String message) {
    }

    @TempDir
    Path dir;
    TestNode node;
    final List<Warned> warned = new CopyOnWriteArrayList<>();
    final Warnings recorder = (r, ns, pod, msg) -> warned.add(new Warned(r, ns, pod, msg));

    @AfterEach
    void tearDown() {
        if (node != null) {
            node.close();
        }
    }

    private TestNode node() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(4, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.warnings(recorder);
        return node;
    }

    @Test
    void subnetExhausted_warnsOnTheNode() throws Exception {
        node().cloud.failNext(Verb.ASSIGN, 1, () -> new CloudException.CapacityExhausted(
                "InsufficientFreeAddressesInSubnet", "no free address (injected)",
                CloudException.CapacityExhausted.Scope.SUBNET));
        node.reconciler.pass();
        assertEquals(1, warned.size(), warned.toString());
        Warned w = warned.getFirst();
        assertEquals(Warnings.Reason.SUBNET_EXHAUSTED, w.reason());
        assertEquals("", w.pod());
        assertTrue(w.message().contains("InsufficientFreeAddressesInSubnet"), w.message());
    }

    @Test
    void interfaceOrInstanceLimitRefused_warnsOnTheNode() throws Exception {
        node().cloud.failNext(Verb.ASSIGN, 1, () -> new CloudException.CapacityExhausted(
                "PrivateIPAddressesPerVmLimitReached", "256 per VM (injected)",
                CloudException.CapacityExhausted.Scope.INTERFACE_ADDRESSES));
        node.reconciler.pass();
        assertEquals(List.of(Warnings.Reason.CLOUD_LIMIT_REFUSED), warned.stream().map(Warned::reason).toList());
        assertTrue(warned.getFirst().message().contains("PrivateIPAddressesPerVmLimitReached"));
    }

    @Test
    void permissionDenied_warnsOnTheNode_otherFatalErrorsDoNot() throws Exception {
        node().cloud.failNext(Verb.ASSIGN, 1, () -> new CloudException.Fatal("InternalError", "boom (injected)",
                null, true));
        node.reconciler.pass();
        assertTrue(warned.isEmpty(), warned.toString());

        node.clock.advance(Duration.ofMinutes(1)); // past the failing cloud's hold
        node.cloud.failNext(Verb.ASSIGN, 1, () -> CloudException.Fatal.denied("UnauthorizedOperation",
                "You are not authorized to perform this operation (injected)", null));
        node.reconciler.pass();
        assertEquals(List.of(Warnings.Reason.CLOUD_PERMISSION_DENIED), warned.stream().map(Warned::reason).toList());
        assertTrue(warned.getFirst().message().contains("UnauthorizedOperation"), warned.getFirst().message());
    }

    @Test
    void addThatTimedOutWaiting_warnsWithThePod() throws Exception {
        node();
        IpamService service = new IpamService(node.pool, "sim", false, Duration.ofMillis(50), 9001);
        service.warnings(recorder);
        Reply reply = service.handle(Request.add("vpc-ipam", "c1", "eth0", "/proc/1/ns/net", "shop", "web-1"));
        assertFalse(reply.ok());
        assertEquals(ErrorCodes.NO_ADDRESS_AVAILABLE, reply.error().code());
        assertEquals(1, warned.size(), warned.toString());
        Warned w = warned.getFirst();
        assertEquals(Warnings.Reason.ADD_TIMED_OUT, w.reason());
        assertEquals("shop", w.namespace());
        assertEquals("web-1", w.pod());

    }
}
