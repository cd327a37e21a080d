package io.vpcipam.ipamd.k8s;

import com.fasterxml.jackson.jr.ob.JSON;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.vpcipam.ipamd.pool.Warnings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.LongConsumer;

/**
 * Warning Events on this Node, and on the Pod a warning names, so {@code kubectl describe node|pod} says why pods
 * wait. Core {@code v1} Events, as the kubelet writes them: every API server serves them, and a 1.20 server refuses
 * an {@code events.k8s.io/v1} Event about a cluster-scoped object such as a Node (its namespace must then equal the
 * object's, which is none).
 *
 * <p>Never on the ADD path: {@link #warn} only folds the occurrence into a bounded inbox (one entry per object and
 * reason; an occurrence of yet another pair when it is full is dropped and counted); one thread of its own takes
 * the inbox and talks to the API server.
 *
 * <p>Deduplicated as client-go's recorders do it, so a starving node does not flood the API server: one Event per
 * (object, reason), whose {@code count} and {@code lastTimestamp} are patched at once for the second occurrence,
 * then at most every {@code seriesInterval}, and once more at close;
 * a series quiet for {@link #SERIES_WINDOW} ends (a later occurrence starts a new Event). Every write draws from one
 * token bucket ({@link #BURST}, then one per {@code refill}), except the Node's last counts at close; the Node's
 * series go first, a Pod's Event that finds the bucket empty waits for its turn, and one still unsent after
 * {@link #SERIES_WINDOW} is dropped and counted. At most {@link #MAX_SERIES} series are tracked; an occurrence for
 * another object beyond that is dropped and counted.
 */
final class NodeEvents implements Warnings, AutoCloseable {

    /** The Events' source component and reportingComponent. */
    static final String COMPONENT = "vpc-ipam-ipamd";
    /** (object, reason) pairs waiting for the sender; an occurrence of another pair is dropped. */
    static final int QUEUE = 512;
    /** Series tracked at once. */
    static final int MAX_SERIES = 256;
    /** Writes allowed at once before the refill rate applies. */
    static final int BURST = 20;
    /** A series with no occurrence for this long is over (client-go's events library: 6 minutes). */
    static final Duration SERIES_WINDOW = Duration.ofMinutes(6);
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    /** One occurrence, as offered. */
    private record Occurrence(Reason reason, String namespace, String pod, String message, Instant at) {
    }

    /** Occurrences of one (object, reason) not yet taken by the sender. */
    private record Pending(Occurrence first, int count, Instant last) {
    }

    /** What the API server has (or should have) for one (object, reason). */
    private static final class Series {
        final Occurrence first;
        Event created; // null until created
        String name; // chosen at the first attempt, kept for retries: a create that did land answers 409 then
        int count;
        int sent; // the count the API server has
        Instant last;
        Instant nextPatch = Instant.MIN;

        Series(Occurrence first) {
            this.first = first;
            this.count = 1;
            this.last = first.at();
        }

        boolean node() {
            return first.pod().isEmpty();
        }
    }

    private final KubernetesClient client;
    private final String nodeName;
    private final InstantSource clock;
    private final Duration seriesInterval;
    private final Duration refill;
    private final BiFunction<String, String, String> podUid;
    private final BiConsumer<String, KubernetesClientException> failed;
    private final LongConsumer dropped;
    private final ConcurrentHashMap<String, Pending> inbox = new ConcurrentHashMap<>();
    private final Map<String, Series> series = new LinkedHashMap<>(); // sender thread only
    private double tokens = BURST;
    private Instant refilled;
    private Instant retryAt = Instant.MIN;
    private volatile boolean closed;
    private final Thread sender;

    /**
     * @param seriesInterval at most one count update per series this often
     * @param refill         one write more is allowed per this much time once the burst is spent
     * @param podUid         a pod's uid from what ipamd already knows (the pod watch), or null
     * @param failed         told about a failed API call (the integration logs it once, as for its other calls)
     * @param dropped        told about each occurrence dropped (inbox full, too many series, or never sent)
     */
    NodeEvents(KubernetesClient client, String nodeName, InstantSource clock, Duration seriesInterval, Duration refill,
               BiFunction<String, String, String> podUid, BiConsumer<String, KubernetesClientException> failed,
               LongConsumer dropped) {
        this.client = client;
        this.nodeName = nodeName;
        this.clock = clock;
        this.seriesInterval = seriesInterval;
        this.refill = refill;
        this.podUid = podUid;
        this.failed = failed;
        this.dropped = dropped;
        this.refilled = clock.instant();
        this.sender = Thread.ofPlatform().daemon().name("kubernetes-events").start(this::run);
    }

    @Override
    public void warn(Reason reason, String podNamespace, String podName, String message) {
        Instant now = clock.instant();
        boolean pod = podNamespace != null && !podNamespace.isEmpty() && podName != null && !podName.isEmpty();
        // the Node always hears of it; the Pod too when one is named
        offer(new Occurrence(reason, "", "", message, now));
        if (pod) {
            offer(new Occurrence(reason, podNamespace, podName, message, now));
        }
    }

    private void offer(Occurrence o) {
        String key = o.namespace() + "/" + o.pod() + "/" + o.reason();
        if (closed || (inbox.size() >= QUEUE && !inbox.containsKey(key))) {
            dropped.accept(1);
            return;
        }
        // repeats of one (object, reason) fold into one entry here: a storm never fills the inbox
        inbox.merge(key, new Pending(o, 1, o.at()), (a, b) -> new Pending(a.first(), a.count() + 1, b.last()));
    }

    private void run() {
        while (!closed) {
            try {
                Thread.sleep(200);
                drain();
                flush(false);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                failed.accept("record an Event", e instanceof KubernetesClientException k ? k
                        : new KubernetesClientException(String.valueOf(e), e));
            }
        }
        try {
            drain();
            flush(true); // the last counts
        } catch (RuntimeException ignored) {
            // best effort at shutdown
        }
    }

    private void drain() {
        for (String key : List.copyOf(inbox.keySet())) {
            Pending p = inbox.remove(key);
            if (p != null) {
                add(key, p);
            }
        }
    }

    private void add(String key, Pending p) {
        Series s = series.get(key);
        if (s != null && !s.last.plus(SERIES_WINDOW).isAfter(p.first().at())) {
            series.remove(key); // the old series is over: this one starts a new Event
            s = null;
        }
        if (s == null) {
            if (series.size() >= MAX_SERIES && !p.first().pod().isEmpty()) {
                dropped.accept(p.count());
                return;
            }
            s = new Series(p.first());
            s.count = p.count();
            s.last = p.last();
            series.put(key, s);
            return;
        }
        s.count += p.count();
        s.last = p.last();
    }

    /** Sends what is due; with {@code all}, every pending count regardless of the interval (close). */
    private void flush(boolean all) {
        Instant now = clock.instant();
        if (now.isBefore(retryAt) && !all) {
            return;
        }
        List<Map.Entry<String, Series>> due = new ArrayList<>(series.entrySet());
        due.sort(Comparator.comparing((Map.Entry<String, Series> e) -> !e.getValue().node())); // the Node's first
        for (Map.Entry<String, Series> e : due) {
            Series s = e.getValue();
            if (s.created == null && !s.node() && s.first.at().plus(SERIES_WINDOW).isBefore(now)) {
                series.remove(e.getKey()); // a Pod's Event that never found a turn: too old to tell now
                dropped.accept(s.count);
                continue;
            }
            if (s.created != null && !s.last.plus(SERIES_WINDOW).isAfter(now) && s.sent == s.count) {
                series.remove(e.getKey()); // over, and the API server has its last count
                continue;
            }
            boolean create = s.created == null;
            boolean patch = !create && s.sent < s.count && (all || s.sent == 1 || !now.isBefore(s.nextPatch));
            if (!create && !patch) {
                continue;
            }
            // at close the Node's series (one per reason, so a handful of writes) go out whatever the budget: the
            // last count is the one an operator reads after the storm; Pods' Events keep to the budget
            if (!(all && s.node()) && !take(now)) {
                return;
            }
            try {
                if (create) {
                    create(s, now);
                } else {
                    patch(s, now);
                }
            } catch (KubernetesClientException ex) {
                if (ex.getCode() == 404 && !create) {
                    s.created = null; // the API server's event TTL removed it: the series goes on as a new Event
                    s.name = null;
                    continue;
                }
                failed.accept((create ? "create" : "update") + " an Event on " + (s.node() ? "Node " + nodeName
                        : "Pod " + s.first.namespace() + "/" + s.first.pod()), ex);
                retryAt = now.plusSeconds(5 + ThreadLocalRandom.current().nextLong(5));
                return;
            }
        }
    }

    private boolean take(Instant now) {
        double gained = Duration.between(refilled, now).toMillis() / (double) Math.max(1, refill.toMillis());
        if (gained > 0) {
            tokens = Math.min(BURST, tokens + gained);
            refilled = now;
        }
        if (tokens < 1) {
            return false;
        }
        tokens--;
        return true;
    }

    private void create(Series s, Instant now) {
        Occurrence o = s.first;
        ObjectReference involved;
        String namespace;
        String object;
        if (s.node()) {
            // a Node's Events live in "default" with no involvedObject namespace, and kubectl describe node finds them
            // by uid = the node's name, as the kubelet records them
            involved = new ObjectReferenceBuilder().withKind("Node").withApiVersion("v1").withName(nodeName)
                    .withUid(nodeName).build();
            namespace = "default";
            object = nodeName;
        } else {
            involved = new ObjectReferenceBuilder().withKind("Pod").withApiVersion("v1").withNamespace(o.namespace())
                    .withName(o.pod()).withUid(uid(o.namespace(), o.pod())).build();
            namespace = o.namespace();
            object = o.pod();
        }
        String message = o.message().length() > 1000 ? o.message().substring(0, 1000) + "..." : o.message();
        int count = s.count;
        if (s.name == null) {
            s.name = object + "." + Long.toHexString(o.at().toEpochMilli() * 1000 + ThreadLocalRandom.current()
                    .nextInt(1000));
        }
        Event event = new EventBuilder().withNewMetadata().withNamespace(namespace).withName(s.name).endMetadata()
                .withType("Warning").withReason(o.reason().reason()).withMessage(message)
                .withInvolvedObject(involved).withNewSource().withComponent(COMPONENT).withHost(nodeName).endSource()
                .withReportingComponent(COMPONENT).withReportingInstance("ipamd-" + nodeName)
                .withFirstTimestamp(SECONDS.format(o.at())).withLastTimestamp(SECONDS.format(s.last))
                .withCount(count).build();
        try {
            s.created = client.v1().events().inNamespace(namespace).resource(event).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            s.created = event; // an earlier attempt made it, though its answer was lost: the count goes by patch
            return;
        }
        s.sent = count;
        s.nextPatch = now.plus(seriesInterval);
    }

    private void patch(Series s, Instant now) {
        int count = s.count;
        String body = json(Map.of("count", count, "lastTimestamp", SECONDS.format(s.last)));
        String namespace = s.node() ? "default" : s.first.namespace();
        // over the Event as created, so the client sends the patch alone (by name, it would GET the Event first)
        client.v1().events().inNamespace(namespace).resource(s.created)
                .patch(PatchContext.of(PatchType.JSON_MERGE), body);
        s.sent = count;
        s.nextPatch = now.plus(seriesInterval);
    }

    /** The pod's uid (so {@code kubectl describe pod} lists the Event), from the watch or one GET; null if gone. */
    private String uid(String namespace, String name) {
        String known = podUid.apply(namespace, name);
        if (known != null) {
            return known;
        }
        Pod pod = client.pods().inNamespace(namespace).withName(name).get();
        return pod == null ? null : pod.getMetadata().getUid();
    }

    private static String json(Object o) {
        try {
            return JSON.std.asString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stops the sender after one last attempt to send every pending count, waiting a few seconds at most. The sender
     * is never interrupted inside a call: a create cut short on our side may have been made on the server's.
     */
    @Override
    public void close() {
        closed = true;
        try {
            sender.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
