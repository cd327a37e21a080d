package io.vpcipam.ipamd.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.vpcipam.ipamd.pool.Warnings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Warning Events on the fabric8 mock API server: what they say, deduplication, and never blocking the caller. */
class NodeEventsTest {

    static final String NODE = "ip-10-0-0-9.ec2.internal";
    static final String EVENTS = "/api/v1/namespaces/";

    MockApi api;
    NodeEvents events;
    final AtomicLong dropped = new AtomicLong();
    final List<String> failures = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        api = new MockApi();
    }

    @AfterEach
    void tearDown() {
        if (events != null) {
            events.close();
        }
        api.close();
    }

    NodeEvents events(Duration seriesInterval) {
        events = new NodeEvents(api.client(), NODE, InstantSource.system(), seriesInterval, Duration.ofSeconds(6),
                (ns, name) -> null, (what, e) -> failures.add(what + ": " + e.getCode()), dropped::addAndGet);
        return events;
    }

    List<Event> eventsIn(String namespace) {
        return api.admin().v1().events().inNamespace(namespace).list().getItems();
    }

    static void await(Duration timeout, java.util.function.BooleanSupplier ok, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ok.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what.get());
            }
            Thread.sleep(20);
        }
    }

    @Test
    void nodeWarning_isAWarningEventOnTheNode_thatKubectlDescribeNodeFinds() throws Exception {
        events(Duration.ofHours(1)).warn(Warnings.Reason.SUBNET_EXHAUSTED, "", "", "subnet-1 has no free address");
        await(Duration.ofSeconds(20), () -> eventsIn("default").size() == 1, () -> eventsIn("default").toString());
        Event e = eventsIn("default").getFirst();
        assertEquals("Warning", e.getType());
        assertEquals("SubnetExhausted", e.getReason());
        assertEquals("subnet-1 has no free address", e.getMessage());
        assertEquals(NodeEvents.COMPONENT, e.getReportingComponent());
        assertEquals(NodeEvents.COMPONENT, e.getSource().getComponent());
        assertEquals(NODE, e.getSource().getHost());
        assertEquals("ipamd-" + NODE, e.getReportingInstance());
        assertNotNull(e.getFirstTimestamp());
        assertEquals("", e.getInvolvedObject().getNamespace() == null ? "" : e.getInvolvedObject().getNamespace());
        assertEquals("Node", e.getInvolvedObject().getKind());
        assertEquals(NODE, e.getInvolvedObject().getName());
        // kubectl describe node looks Events up by uid = the node's name (as the kubelet records them)
        assertEquals(NODE, e.getInvolvedObject().getUid());
        assertEquals(1, e.getCount());
    }

    @Test
    void podWarning_isAnEventOnThePodWithItsUid_andOneOnTheNode() throws Exception {
        Pod pod = api.admin().pods().inNamespace("shop").resource(new PodBuilder().withNewMetadata().withName("web-1")
                .withNamespace("shop").endMetadata().withNewSpec().withNodeName(NODE).endSpec().build()).create();
        events(Duration.ofHours(1)).warn(Warnings.Reason.ADD_TIMED_OUT, "shop", "web-1", "no address within 10 s");
        await(Duration.ofSeconds(20), () -> eventsIn("shop").size() == 1 && eventsIn("default").size() == 1,
                () -> eventsIn("shop") + " " + eventsIn("default"));
        Event e = eventsIn("shop").getFirst();
        assertEquals("AddTimedOut", e.getReason());
        assertEquals("Pod", e.getInvolvedObject().getKind());
        assertEquals("web-1", e.getInvolvedObject().getName());
        assertEquals("shop", e.getInvolvedObject().getNamespace());
        assertEquals(pod.getMetadata().getUid(), e.getInvolvedObject().getUid(), "kubectl describe pod matches on uid");
        assertEquals("AddTimedOut", eventsIn("default").getFirst().getReason());
    }

    @Test
    void storm_oneEventPerObjectAndReason_whoseSeriesCountsEveryOccurrence_inAFewWrites() throws Exception {
        events(Duration.ofHours(1));
        for (int i = 0; i < 2000; i++) {
            events.warn(Warnings.Reason.SUBNET_EXHAUSTED, "", "", "subnet-1 has no free address (" + i + ")");
            if (i == 0) {
                await(Duration.ofSeconds(20), () -> eventsIn("default").size() == 1, () -> "first Event");
            }
        }
        await(Duration.ofSeconds(20), () -> eventsIn("default").getFirst().getCount() > 1, () -> "count");
        events.close(); // the last count goes out at close
        List<Event> all = eventsIn("default");
        assertEquals(1, all.size(), all.toString());
        Event e = all.getFirst();
        assertEquals("subnet-1 has no free address (0)", e.getMessage(), "the note is the first occurrence's");
        assertEquals(2000, e.getCount());
        assertNotNull(e.getLastTimestamp());
        int writes = api.requests("POST", EVENTS) + api.requests("PATCH", EVENTS);
        assertTrue(writes <= 3, writes + " writes for 2000 occurrences (create, the series' start, the last count)");
        assertEquals(0, api.requests("GET", EVENTS + "default/events/"),
                "a patch needs no read of the Event (the chart grants no get on events)");
        assertEquals(0, dropped.get());
    }

    @Test
    void close_sendsTheNodesLastCount_evenWhenPodEventsSpentTheWriteBudget() throws Exception {
        // no refill within the test: once the burst is spent, nothing more is written before close
        events = new NodeEvents(api.client(), NODE, InstantSource.system(), Duration.ofHours(1), Duration.ofHours(1),
                (ns, name) -> null, (what, e) -> failures.add(what + ": " + e.getCode()), dropped::addAndGet);
        // a starving node: more pods time out than the budget has writes, the Node's series first
        int pods = 3 * NodeEvents.BURST;
        for (int i = 0; i < pods; i++) {
            events.warn(Warnings.Reason.ADD_TIMED_OUT, "ns", "pod-" + i, "no address");
        }
        await(Duration.ofSeconds(20), () -> api.requests("POST", EVENTS) + api.requests("PATCH", EVENTS)
                >= NodeEvents.BURST, () -> "node " + eventsIn("default") + " pods " + eventsIn("ns").size());
        // the same pods ask again and time out again: the budget is spent, the count can only go out at close
        for (int i = 0; i < pods; i++) {
            events.warn(Warnings.Reason.ADD_TIMED_OUT, "ns", "pod-" + i, "no address");
        }
        events.close();
        List<Event> onNode = eventsIn("default");
        assertEquals(1, onNode.size(), onNode.toString());
        assertEquals(2 * pods, onNode.getFirst().getCount(), "the Node's series counts every timed-out ADD");
    }

    @Test
    void hungApiServer_warnNeverBlocks_andWhatTheQueueCannotHoldIsCountedAsDropped() throws Exception {
        api.stall("POST", EVENTS);
        events(Duration.ofHours(1)).warn(Warnings.Reason.ADD_TIMED_OUT, "", "", "first");
        Thread.sleep(300); // the sender is now inside the hung create
        long start = System.nanoTime();
        for (int i = 0; i < 5000; i++) {
            events.warn(Warnings.Reason.ADD_TIMED_OUT, "ns", "pod-" + i, "no address");
        }
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMs < 2_000, "5000 warnings took " + tookMs + " ms while the API server hangs");
        assertTrue(dropped.get() >= 5000 - NodeEvents.QUEUE, dropped.get() + " dropped");
    }

    @Test
    void apiServerDown_thenBack_theEventIsSentThen_andTheFailureIsReported() throws Exception {
        api.down();
        events(Duration.ofHours(1)).warn(Warnings.Reason.CLOUD_PERMISSION_DENIED, "", "", "UnauthorizedOperation");
        await(Duration.ofSeconds(20), () -> !failures.isEmpty(), () -> "no failure reported");
        api.up();
        await(Duration.ofSeconds(30), () -> eventsIn("default").size() == 1, () -> "no Event after the API came back");
        assertEquals("CloudPermissionDenied", eventsIn("default").getFirst().getReason());
    }

    @Test
    void forbidden_isReportedWithTheCode() throws Exception {
        api.deny("POST", EVENTS, "create", "events");
        events(Duration.ofHours(1)).warn(Warnings.Reason.SUBNET_EXHAUSTED, "", "", "x");
        await(Duration.ofSeconds(20), () -> !failures.isEmpty(), () -> "no failure reported");
        assertTrue(failures.getFirst().endsWith(": 403"), failures.toString());
        assertTrue(failures.getFirst().contains("Node " + NODE), failures.toString());
    }

}
