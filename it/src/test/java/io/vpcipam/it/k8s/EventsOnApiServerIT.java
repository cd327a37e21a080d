package io.vpcipam.it.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Event;
import io.vpcipam.protocol.ErrorCodes;
import io.vpcipam.protocol.Reply;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A starving node on a real kube-apiserver, under the chart's own ServiceAccount and ClusterRole: ipamd (its jar, on
 * the simulated cloud, in a subnet with room for a dozen addresses) records Warning Events on its Node and on the pods
 * it could not serve; a storm of failed ADDs stays one Event per object and reason whose series counts them; the
 * audit log shows every Event write allowed, and how few there were.
 */
class EventsOnApiServerIT extends OnApiServer {

    static final int PODS = 40;

    EventsOnApiServerIT() {
        super("vit-ev");
    }

    List<Event> nodeEvents() {
        return admin.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> nodeName.equals(e.getInvolvedObject().getName())).toList();
    }

    List<Event> podEvents() {
        return admin.v1().events().inNamespace(ns).list().getItems();
    }

    static int count(Event e) {
        return e.getCount() == null ? 1 : e.getCount();
    }

    @Test
    void starvingNode_warningEventsOnNodeAndPods_deduplicatedUnderAStorm_allowedByTheChartsRole() throws Exception {
        Kube.node(admin, nodeName, "us-east-1a", Map.of());
        Map<String, String> uids = new HashMap<>();
        for (int i = 0; i < PODS; i++) {
            Pod p = Kube.pod(admin, ns, "web-" + i, nodeName, false);
            uids.put(p.getMetadata().getName(), p.getMetadata().getUid());
        }
        Instant t0 = Instant.now().minusSeconds(1);
        // 16 addresses, 5 reserved, one the node's own: 10 for pods, then the subnet is exhausted
        startIpamd(Map.of("IPAMD_SIM_SUBNET", "10.0.0.0/28", "IPAMD_ADD_TIMEOUT", "1s"));

        // a storm: every pod of the node asks at once, twice; only the first ten or so can be served
        List<Reply> replies = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(PODS)) {
            for (int round = 0; round < 2; round++) {
                List<Future<Reply>> calls = new ArrayList<>();
                for (int i = 0; i < PODS; i++) {
                    String pod = "web-" + i;
                    calls.add(pool.submit(() -> add(pod)));
                }
                for (Future<Reply> f : calls) {
                    replies.add(f.get());
                }
            }
        }
        long timedOut = replies.stream().filter(r -> !r.ok()
                && ErrorCodes.NO_ADDRESS_AVAILABLE.equals(r.error().code())).count();
        assertTrue(timedOut >= PODS, timedOut + " ADDs timed out of " + replies.size() + ": " + ipamd.log());

        Kube.await(Duration.ofSeconds(60), () -> nodeEvents().stream().anyMatch(e -> e.getReason().equals(
                "AddTimedOut") && count(e) > 1), () -> "node events " + nodeEvents() + "\n" + ipamd.log());
        Kube.await(Duration.ofSeconds(60), () -> nodeEvents().stream().anyMatch(e -> e.getReason().equals(
                "SubnetExhausted")), () -> "node events " + nodeEvents());
        ipamd.close(); // SIGTERM: the last counts go out
        ipamd = null;

        // one Event per (Node, reason), whatever the storm; its series counts every failed ADD
        List<Event> onNode = nodeEvents();
        assertEquals(1, onNode.stream().filter(e -> e.getReason().equals("AddTimedOut")).count(), onNode.toString());
        assertEquals(1, onNode.stream().filter(e -> e.getReason().equals("SubnetExhausted")).count(),
                onNode.toString());
        Event timeouts = onNode.stream().filter(e -> e.getReason().equals("AddTimedOut")).findFirst().orElseThrow();
        assertEquals(timedOut, count(timeouts), "the series counts every timed-out ADD: " + timeouts);
        assertEquals("Warning", timeouts.getType());
        assertEquals(nodeName, timeouts.getInvolvedObject().getUid(), "kubectl describe node matches on uid = name");
        assertNotNull(timeouts.getLastTimestamp());
        assertNotNull(timeouts.getFirstTimestamp());

        // the pods: at most one Event each, naming the pod by its uid (kubectl describe pod finds it)
        List<Event> onPods = podEvents();
        assertFalse(onPods.isEmpty(), "no Event on any pod");
        assertEquals(onPods.size(), onPods.stream().map(e -> e.getInvolvedObject().getName()).distinct().count(),
                onPods.toString());
        for (Event e : onPods) {
            assertEquals("AddTimedOut", e.getReason());
            assertEquals(uids.get(e.getInvolvedObject().getName()), e.getInvolvedObject().getUid(), e.toString());
        }

        // the audit log: every Event write allowed by the chart's role, and few of them for 80 ADDs
        List<AuditLog.Entry> writes = AuditLog.by(cluster.auditLog(), Chart.user()).stream()
                .filter(e -> !e.at().isBefore(t0) && e.resource().equals("events")).toList();
        writes.forEach(e -> assertEquals("allow", e.decision(), e.toString()));
        writes.forEach(e -> assertEquals("", e.group(), e.toString()));
        long creates = writes.stream().filter(e -> e.verb().equals("create")).count();
        long patches = writes.stream().filter(e -> e.verb().equals("patch")).count();
        System.out.printf("starving node: %d ADDs timed out -> %d Event creates, %d patches (%d on the node, %d on"
                + " pods)%n", timedOut, creates, patches, onNode.size(), onPods.size());
        // a burst of 20 writes, then one per 6 s (the node's two Events are among them)
        long budget = 20 + Duration.between(t0, Instant.now()).toSeconds() / 6 + 1;
        assertTrue(creates >= 2 && creates <= budget, creates + " creates, budget " + budget + ": " + writes);
        assertTrue(patches <= 2 * (onNode.size() + onPods.size()), patches + " patches: " + writes);
    }
}
