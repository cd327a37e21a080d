package io.vpcipam.it.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.vpcipam.protocol.Request;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * aws-node's AWS_MANAGE_ENIS_NON_SCHEDULABLE (default false) on a real API server: a cordon is a real update of the
 * Node ({@code spec.unschedulable}, as {@code kubectl cordon} sends it), which ipamd sees through its watch of its
 * own Node (under the chart's ClusterRole); while cordoned no interface is created, and pods are still served from
 * the interface it has; uncordoned, the interface the warm target wants comes.
 */
class CordonOnApiServerIT extends OnApiServer {

    CordonOnApiServerIT() {
        super("vit-cordon");
    }

    int interfaces() {
        try {
            return ipamd.call(Request.status()).status().interfaces().size();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void cordon(boolean on) {
        admin.nodes().withName(nodeName).edit(n -> new NodeBuilder(n).editSpec().withUnschedulable(on).endSpec()
                .build());
    }

    @Test
    void cordonedByARealNodeUpdate_noInterfaceCreated_podsStillServed_uncordoned_theInterfaceComes()
            throws Exception {
        Kube.node(admin, nodeName, "us-east-1a", Map.of());
        Instant t0 = Instant.now().minusSeconds(1);
        startIpamd(Map.of("IPAMD_RECONCILE_INTERVAL", "1s"));
        Kube.await(Duration.ofSeconds(30), () -> interfaces() == 1, () -> "interfaces " + interfaces());

        cordon(true);
        Kube.await(Duration.ofSeconds(60), () -> ipamd.log().contains("Node " + nodeName + " is cordoned"),
                () -> ipamd.log());
        // one warm interface's worth (29 on c5.4xlarge) is kept free: the first pod makes the pool want a second
        for (int i = 0; i < 5; i++) {
            assertTrue(add("web-" + i).ok(), "pods are still served from the interface the node has");
        }
        Kube.await(Duration.ofSeconds(30), () -> ipamd.log().contains("held: node " + nodeName + " is cordoned"),
                () -> ipamd.log());
        Thread.sleep(5_000); // several passes
        assertEquals(1, interfaces(), "no interface created on a cordoned node\n" + ipamd.log());

        cordon(false);
        Kube.await(Duration.ofSeconds(60), () -> interfaces() == 2, () -> "interfaces " + interfaces() + "\n"
                + ipamd.log());

        List<AuditLog.Entry> nodeReads = ipamdRequests(t0).stream().filter(e -> e.resource().equals("nodes")
                        && (e.verb().equals("watch") || e.verb().equals("list"))).toList();
        assertTrue(nodeReads.stream().anyMatch(e -> e.verb().equals("watch")
                && e.uri().contains("metadata.name%3D" + nodeName)), "its own Node watched: " + nodeReads);
        nodeReads.stream().filter(e -> !e.verb().equals("watch"))
                .forEach(e -> assertEquals("allow", e.decision(), e.toString()));
    }
}
