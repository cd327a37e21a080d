package io.vpcipam.ipamd.k8s;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.vpcipam.ipamd.config.ConfigException;
import io.vpcipam.ipamd.pool.AddressPool;
import io.vpcipam.ipamd.pool.Reconciler;
import io.vpcipam.ipamd.takeover.NodePods;
import io.vpcipam.provider.NodeInfo;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * ipamd on Kubernetes: node identity for the provider, lease collection against the pods on this node, custom
 * networking from the node's NetworkConfig, and the pool published on the Node.
 *
 * <p>The API server is never on the path of an ADD or DEL: each task (lease collection, the annotation, the
 * NetworkConfig) runs on its own timer thread, so a call that hangs for its whole timeout holds up only its own task,
 * and a failed call only means "try again at the next tick". When the API server is unreachable the pool keeps serving with the
 * placement it had; no lease is released (nothing can be confirmed gone); the annotation is published once the
 * server answers again. Start-up waits for the Node object for a bounded time only.
 *
 * <p>Only plain reads, lists with an equality field selector, and JSON merge patches: what every API server and
 * the fabric8 mock server in CRUD mode support alike.
 */
public final class KubernetesIntegration implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(KubernetesIntegration.class.getName());
    /** How often an Event's series count is brought up to date at most (client-go's events library: 30 min). */
    static final Duration EVENT_SERIES_INTERVAL = Duration.ofMinutes(5);
    /** Once the burst is spent, one Event write per this much time. */
    static final Duration EVENT_REFILL = Duration.ofSeconds(6);

    private final KubernetesClient client;
    private final KubeSettings settings;
    private final InstantSource clock;
    private final boolean ownsClient;
    private final ApiHealth health;
    private volatile NodeIdentity node;
    private volatile boolean identityChecked;
    private NodeEvents events; // null until attach()
    private NodeWatch nodeWatch; // null when interfaces are managed on a cordoned node too
    private volatile Node lastNode; // the Node as last read (its cordon state until the watch has synced)
    private volatile int vcpus; // the instance type's, for the annotation's maxPods cap; 0 = unknown
    private java.util.function.LongConsumer eventsDropped = n -> { };
    private AddressPool pool;
    private Reconciler reconciler;
    private PodLeaseCollector collector;
    private PoolAnnotation annotation;
    private final List<ScheduledExecutorService> timers = new ArrayList<>();

    private KubernetesIntegration(KubernetesClient client, KubeSettings settings, InstantSource clock,
                                  boolean ownsClient) {
        this.client = client;
        this.settings = settings;
        this.clock = clock;
        this.ownsClient = ownsClient;
        this.health = new ApiHealth(clock, this::checkIdentity);
    }

    /**
     * The integration for this process, or empty when it is off (IPAMD_KUBERNETES=false, or auto outside a pod).
     * The client uses the pod's service account (or a kubeconfig outside a cluster), short timeouts and few retries:
     * a slow API server must cost a timer tick, not a pod start.
     */
    public static Optional<KubernetesIntegration> fromEnv(Map<String, String> env, InstantSource clock)
            throws ConfigException {
        KubeSettings settings = KubeSettings.fromEnv(env);
        if (!settings.enabled()) {
            return Optional.empty();
        }
        ConfigBuilder config = new ConfigBuilder(Config.autoConfigure(null))
                .withConnectionTimeout(5_000)
                .withRequestTimeout(15_000)
                .withRequestRetryBackoffLimit(2)
                .withRequestRetryBackoffInterval(500);
        if (settings.endpoint() != null) {
            config.withMasterUrl(settings.endpoint().toString());
        }
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config.build()).build();
        return Optional.of(new KubernetesIntegration(client, settings, clock, true));
    }

    /** Over a given client (tests); the caller closes the client. */
    public static KubernetesIntegration over(KubernetesClient client, KubeSettings settings, InstantSource clock) {
        return new KubernetesIntegration(client, settings, clock, false);
    }

    /** The settings in force. */
    public KubeSettings settings() {
        return settings;
    }

    /**
     * Start-up: reads the Node, retrying until it answers or the start-up timeout passes.
     *
     * @return the node's identity, or empty when the API server did not answer in time (ipamd goes on without it)
     */
    public Optional<NodeIdentity> awaitNode() throws InterruptedException {
        long deadline = System.nanoTime() + settings.startupTimeout().toNanos();
        long delayMs = 200;
        while (true) {
            try {
                return Optional.ofNullable(readNode());
            } catch (KubernetesClientException e) {
                if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs) > deadline) {
                    if (ApiHealth.classify(e) == ApiHealth.Failure.UNREACHABLE) {
                        LOG.warning("Kubernetes API server did not answer within " + settings.startupTimeout()
                                + " (" + e.getMessage() + "); starting without the Node object, will catch up later");
                        health.mark(false, e);
                    } else {
                        health.failed("read the Node " + settings.nodeName(), e);
                        LOG.warning("starting without the Node object; will read it again later");
                    }
                    return Optional.empty();
                }
                Thread.sleep(delayMs);
                delayMs = Math.min(2_000, delayMs * 2);
            }
        }
    }

    /** The node as last read, or null when it never was. */
    public NodeIdentity node() {
        return node;
    }

    /** Whether the last call to the API server got an answer. */
    public boolean reachable() {
        return health.reachable();
    }

    /** The environment for the provider: {@code env} plus what the Node says (if it was read). */
    public Map<String, String> providerEnv(Map<String, String> env) {
        NodeIdentity n = node;
        return n == null ? env : n.providerEnv(env);
    }

    /**
     * Connects the integration to the pool and reconciler, before the reconciler's first pass, so the first new
     * interface already goes where this node's NetworkConfig says (when the Node could be read).
     */
    public void attach(AddressPool addressPool, Reconciler poolReconciler) {
        this.pool = addressPool;
        this.reconciler = poolReconciler;
        this.collector = new PodLeaseCollector(client, settings.nodeName(), settings.podGcGrace(), clock, addressPool);
        this.annotation = new PoolAnnotation(client, settings.nodeName());
        this.events = new NodeEvents(client, settings.nodeName(), clock, EVENT_SERIES_INTERVAL, EVENT_REFILL,
                collector::podUid, health::failed, eventsDropped);
        if (!settings.manageWhenCordoned()) {
            nodeWatch = new NodeWatch(client, settings.nodeName(), cordoned -> poolReconciler.holdInterfaces(
                    cordoned ? "node " + settings.nodeName() + " is cordoned (AWS_MANAGE_ENIS_NON_SCHEDULABLE=false)"
                            : null));
            nodeWatch.seen(lastNode); // before the first pass: a cordoned node makes no interface even then
        }
        if (settings.customNetworking() && node != null) {
            guarded("read the NetworkConfig", this::applyNetworkConfig);
        }
    }

    /** Starts the timers: lease collection (at once, then every interval), custom networking, the annotation. */
    public void start() {
        if (pool == null) {
            throw new IllegalStateException("attach() first");
        }
        if (settings.podWatch()) {
            collector.startWatch();
        }
        if (nodeWatch != null) {
            nodeWatch.start();
        }
        schedule("kubernetes-leases", () -> guarded("collect leases of gone pods", this::collectLeases),
                Duration.ZERO, settings.podGcInterval());
        if (settings.customNetworking()) {
            schedule("kubernetes-networkconfig", () -> guarded("refresh the NetworkConfig",
                    this::refreshNetworkConfig), jitter(settings.networkConfigInterval()),
                    settings.networkConfigInterval());
        }
        if (settings.annotateInterval().isPositive()) {
            schedule("kubernetes-annotation", () -> guarded("publish the pool on the Node", this::publishPool),
                    jitter(Duration.ofSeconds(5)), settings.annotateInterval());
        }
    }

    /**
     * One round of lease collection (the timer's task; public for tests).
     *
     * @return how many leases were released
     * @throws KubernetesClientException when the API server cannot be asked (nothing is released)
     */
    public int collectLeases() throws InterruptedException {
        int released = collector.collect();
        if (collector.asked()) {
            health.mark(true, null);
        }
        return released;
    }

    /**
     * This node's pods that can hold a pod address (not host-network, not finished), in one quorum read (no
     * resourceVersion: a list from the watch cache could miss a pod's newest address), for the takeover's evidence.
     *
     * @throws KubernetesClientException when the API server cannot be asked
     */
    public NodePods nodePods() {
        NodePods pods = collector.nodePods();
        health.mark(true, null);
        return pods;
    }

    /**
     * Publishes the pool on the Node if it changed (the timer's task; public for tests).
     *
     * @return whether a patch was sent
     * @throws KubernetesClientException when the API server cannot be asked
     */
    public boolean publishPool() {
        boolean sent = annotation.publish(pool.status(), vcpus);
        health.mark(true, null);
        return sent;
    }

    /**
     * Re-reads the Node (its labels may have changed) and its NetworkConfig (the timer's task; public for tests).
     *
     * @throws KubernetesClientException when the API server cannot be asked (the placement in force is kept)
     */
    public void refreshNetworkConfig() {
        readNode();
        applyNetworkConfig();
    }

    private NodeIdentity readNode() {
        Node n = client.nodes().withName(settings.nodeName()).get();
        health.mark(true, null);
        if (n == null) {
            LOG.warning("no Node named " + settings.nodeName() + " (NODE_NAME); going on without node identity");
            return null;
        }
        lastNode = n;
        if (nodeWatch != null) {
            nodeWatch.seen(n);
        }
        NodeIdentity identity = NodeIdentity.of(n);
        NodeIdentity before = node;
        if (before == null || !before.providerId().equals(identity.providerId())
                || !before.zone().equals(identity.zone()) || !before.instanceType().equals(identity.instanceType())) {
            LOG.info("Node " + identity.nodeName() + ": providerID '" + identity.providerId() + "', zone '"
                    + identity.zone() + "', instance type '" + identity.instanceType() + "'"
                    + (identity.instanceId().isEmpty() ? "" : " (instance " + identity.instanceId() + ")"));
        }
        node = identity;
        checkIdentity();
        return identity;
    }

    /** Once both are known: logs what the Node's labels say that the cloud contradicts. */
    private void checkIdentity() {
        NodeIdentity n = node;
        NodeInfo cloud = pool == null ? null : pool.node();
        if (identityChecked || n == null || cloud == null) {
            return;
        }
        identityChecked = true;
        for (String d : n.disagreements(cloud)) {
            LOG.warning("Node " + n.nodeName() + " and the cloud disagree: " + d + " (the cloud is the truth)");
        }
    }

    private void applyNetworkConfig() {
        NodeIdentity n = node;
        if (n == null) {
            return;
        }
        Reconciler.Placement before = reconciler.placement();
        switch (NetworkConfigs.resolve(client, n, settings.networkConfigLabel(),
                settings.networkConfigAnnotation())) {
            case NetworkConfigs.Resolution.Found f -> {
                if (!f.placement().equals(before)) {
                    LOG.info("custom networking: NetworkConfig " + f.name() + " puts new interfaces in "
                            + f.placement().podSubnetId() + " with security groups " + f.placement().securityGroups());
                }
                reconciler.placement(f.placement());
            }
            case NetworkConfigs.Resolution.None none -> {
                if (before != null) {
                    LOG.info("custom networking: " + none.why() + "; new interfaces go to the default subnet again");
                }
                reconciler.placement(null);
            }
            case NetworkConfigs.Resolution.Invalid bad -> LOG.warning("custom networking: NetworkConfig " + bad.name()
                    + " not used: " + bad.why() + (before == null ? "" : "; keeping " + before.podSubnetId()));
        }
    }

    private void guarded(String what, Task task) {
        try {
            task.run();
        } catch (KubernetesClientException e) {
            health.failed(what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not " + what, e);
        }
    }

    private void schedule(String thread, Runnable task, Duration initial, Duration every) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                .name(thread).unstarted(r));
        timers.add(timer);
        timer.scheduleWithFixedDelay(task, initial.toMillis(), Math.max(1, every.toMillis()), TimeUnit.MILLISECONDS);
    }

    /** Spreads the first tick of thousands of nodes restarted together (a DaemonSet roll) over the interval. */
    private static Duration jitter(Duration d) {
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(Math.max(1, d.toMillis())));
    }

    @FunctionalInterface
    private interface Task {
        void run() throws InterruptedException;
    }

    /**
     * Where the pool's warnings go: Warning Events on this Node (and the Pod named), deduplicated and rate-limited,
     * sent by a thread of their own. Available after {@link #attach}.
     */
    public io.vpcipam.ipamd.pool.Warnings warnings() {
        if (events == null) {
            throw new IllegalStateException("attach() first");
        }
        return events;
    }

    /** Told how many warnings were dropped instead of becoming Events (a metric); set before {@link #attach}. */
    public void onEventsDropped(java.util.function.LongConsumer counter) {
        eventsDropped = counter;
    }

    /** The instance type's vCPUs (the annotation's maxPods is capped by them, as {@code ipamd max-pods}). */
    public void instanceVcpus(int count) {
        vcpus = Math.max(0, count);
    }

    /** Whether this node's pods come from a live watch (else lease collection lists them each round). */
    public boolean watchingPods() {
        return collector != null && collector.watching();
    }

    /** Stops the timers and the watch; closes the client if this integration made it. */
    @Override
    public void close() {
        health.closing();
        if (events != null) {
            events.close(); // its last counts go out while the client is still open
        }
        if (collector != null) {
            collector.stopWatch();
        }
        if (nodeWatch != null) {
            nodeWatch.stop();
        }
        for (ScheduledExecutorService timer : timers) {
            timer.shutdownNow();
        }
        for (ScheduledExecutorService timer : timers) {
            try {
                timer.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (ownsClient) {
            client.close();
        }
    }
}
