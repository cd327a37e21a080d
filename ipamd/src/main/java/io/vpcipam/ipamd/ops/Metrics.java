package io.vpcipam.ipamd.ops;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.vpcipam.ipamd.host.HostException;
import io.vpcipam.ipamd.host.HostNetwork;
import io.vpcipam.ipamd.pool.AddressPool;
import io.vpcipam.ipamd.pool.Reconciler;
import io.vpcipam.ipamd.pool.PoolStatus;
import io.vpcipam.protocol.Op;
import io.vpcipam.protocol.Reply;
import io.vpcipam.provider.CloudCallListener;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Every ipamd metric, in one private {@link PrometheusRegistry} (not the library's global one, so tests and two
 * daemons in one JVM do not collide).
 *
 * <p>Cost on the ADD path: two {@code System.nanoTime()} calls and one histogram observation plus one pre-resolved
 * counter increment, all lock-free (the client's data points are striped adders). Pool gauges are not updated on
 * the ADD path at all: they are sampled at scrape time with one {@link AddressPool#status()} call per scrape.
 */
public final class Metrics implements CloudCallListener {

    private static final double[] ADD_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    private static final double[] CLOUD_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    private static final double[] PASS_BUCKETS = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
            120};
    private static final double[] WRITE_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            0.1, 0.25, 0.5, 1, 2.5};
    private static final double NANOS_PER_SECOND = 1e9;

    /** The last failed cloud call, for the readiness reason while the daemon cannot start. */
    public record CloudError(String verb, String condition, Instant at) {
    }

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final InstantSource clock;
    private final Histogram addDuration;
    private final Counter addWaits;
    private final Counter addErrors;
    private final Counter requests;
    private final Map<Op, CounterDataPoint> okRequests = new EnumMap<>(Op.class);
    private final Counter cloudCalls;
    private final Histogram cloudCallDuration;
    private final Counter throttles;
    private final Counter limiterWait;
    private final Histogram reconcileDuration;
    private final Histogram checkpointWriteDuration;
    private final Counter checkpointWriteErrors;
    private final Counter leasesDropped;
    private final Counter hostErrors;
    private final Counter capacityRefusals;
    private final Gauge hostLinksMissing;
    private final Counter eventsDropped;
    private volatile CloudError lastCloudError;
    private volatile Source source;
    private volatile Supplier<Reconciler.CloudHealth> cloudHealth = () -> Reconciler.CloudHealth.ANSWERING;
    private volatile Supplier<Reconciler.NodeLimits> nodeLimits = () -> null;
    private volatile Duration startup; // null until the daemon served its socket

    private record Source(AddressPool pool, BooleanSupplier ready) {
    }

    /** Creates the metrics; nothing is exposed until a server serves {@link #registry()}. */
    public Metrics(InstantSource clock) {
        this.clock = clock;
        addDuration = Histogram.builder().name("vpc_ipam_add_duration_seconds")
                .help("Time to answer an ADD, waiting for an address included.")
                .classicOnly().classicUpperBounds(ADD_BUCKETS).register(registry);
        addWaits = Counter.builder().name("vpc_ipam_add_waits")
                .help("ADDs that found no free address and waited for the reconciler.").register(registry);
        addErrors = Counter.builder().name("vpc_ipam_add_errors")
                .help("ADDs answered with an error, by protocol error code.").labelNames("code").register(registry);
        requests = Counter.builder().name("vpc_ipam_requests")
                .help("Socket requests by operation and outcome (ok or the protocol error code).")
                .labelNames("op", "code").register(registry);
        for (Op op : Op.values()) {
            okRequests.put(op, requests.labelValues(op.name().toLowerCase(Locale.ROOT), "ok"));
        }
        cloudCalls = Counter.builder().name("vpc_ipam_cloud_calls")
                .help("Cloud API calls by verb and outcome: ok, throttled, capacity, not_found, conflict or fatal.")
                .labelNames("verb", "condition").register(registry);
        cloudCallDuration = Histogram.builder().name("vpc_ipam_cloud_call_duration_seconds")
                .help("Cloud API call time by verb, retries and rate-limiter waits included.")
                .labelNames("verb").classicOnly().classicUpperBounds(CLOUD_BUCKETS).register(registry);
        throttles = Counter.builder().name("vpc_ipam_cloud_throttles")
                .help("Attempts the cloud throttled, by verb (the call may have succeeded on retry).")
                .labelNames("verb").register(registry);
        limiterWait = Counter.builder().name("vpc_ipam_rate_limiter_wait_seconds")
                .help("Time calls waited for this node's own API rate limiter, by verb.")
                .labelNames("verb").register(registry);
        reconcileDuration = Histogram.builder().name("vpc_ipam_reconcile_duration_seconds")
                .help("Time of one reconciler pass (describe, plan and cloud calls).")
                .classicOnly().classicUpperBounds(PASS_BUCKETS).register(registry);
        checkpointWriteDuration = Histogram.builder().name("vpc_ipam_checkpoint_write_duration_seconds")
                .help("Time to write the checkpoint (temp file, fsync, rename, fsync dir); one write covers many"
                        + " lease changes.")
                .classicOnly().classicUpperBounds(WRITE_BUCKETS).register(registry);
        checkpointWriteErrors = Counter.builder().name("vpc_ipam_checkpoint_write_errors")
                .help("Checkpoint writes that failed (each fails the lease changes it carried).").register(registry);
        leasesDropped = Counter.builder().name("vpc_ipam_leases_dropped")
                .help("Leases dropped without a DEL, by reason.").labelNames("reason").register(registry);
        for (AddressPool.DropReason r : AddressPool.DropReason.values()) {
            leasesDropped.labelValues(reason(r)); // present at 0 so rate() and alerts work from the first scrape
        }
        capacityRefusals = Counter.builder().name("vpc_ipam_capacity_refusals")
                .help("Growth refused for capacity, by reason (SubnetExhausted, InstanceInterfaceLimit,"
                        + " InterfaceAddressLimit, InstanceAddressLimit); each pauses growth.")
                .labelNames("reason").register(registry);
        for (String r : io.vpcipam.ipamd.pool.CapacityRefusal.REASONS) {
            capacityRefusals.labelValues(r);
        }
        hostErrors = Counter.builder().name("vpc_ipam_host_setup_errors")
                .help("Host data path passes that failed, by step: read, ip, iptables or sysctl.")
                .labelNames("step").register(registry);
        for (HostException.Step st : HostException.Step.values()) {
            hostErrors.labelValues(st.name().toLowerCase(Locale.ROOT));
        }
        hostLinksMissing = Gauge.builder().name("vpc_ipam_host_links_missing")
                .help("Attached interfaces whose Linux link has not appeared within IPAMD_HOST_LINK_WAIT"
                        + " (their addresses are not handed to pods).").register(registry);
        eventsDropped = Counter.builder().name("vpc_ipam_kubernetes_events_dropped")
                .help("Warnings that did not become a Kubernetes Event: the queue was full, too many objects had"
                        + " one, or the write budget never came round before it went stale.").register(registry);
        registry.register(new PoolCollector());
    }

    /** {@code n} warnings were dropped instead of being sent as Events. Never blocks. */
    public void eventsDropped(long n) {
        eventsDropped.inc(n);
    }

    /** The host data path's reports. */
    public HostNetwork.Listener hostListener() {
        return new HostNetwork.Listener() {
            @Override
            public void passed(int missingLinks) {
                hostLinksMissing.set(missingLinks);
            }

            @Override
            public void failed(HostException.Step step) {
                hostErrors.labelValues(step.name().toLowerCase(Locale.ROOT)).inc();
            }
        };
    }

    /** Adds the JVM's memory, GC, thread and process metrics (once per registry). */
    public Metrics withJvmMetrics() {
        JvmMetrics.builder().register(registry);
        return this;
    }

    /** The registry the metrics server exposes. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** From now on scrapes sample this pool; {@code ready} feeds {@code vpc_ipam_ready}. */
    public void watch(AddressPool pool, BooleanSupplier ready) {
        this.source = new Source(pool, ready);
    }

    /** From now on scrapes report the interfaces the pool may have and the addresses one holds. */
    public void watchLimits(Supplier<Reconciler.NodeLimits> limits) {
        this.nodeLimits = limits;
    }

    /** The daemon took {@code took} from reading its configuration to serving its socket. */
    public void startedIn(Duration took) {
        this.startup = took;
    }

    /** ipamd's version, as the build recorded it. */
    static String version() {
        return io.vpcipam.ipamd.config.BuildInfo.current().version();
    }

    /** From now on scrapes report whether the cloud is failing, as the reconciler found it. */
    public void watchCloud(Supplier<Reconciler.CloudHealth> health) {
        this.cloudHealth = health;
    }

    /** The last failed cloud call, or null if none failed yet. */
    public CloudError lastCloudError() {
        return lastCloudError;
    }

    // ------------------------------------------------------------ hooks (called on the hot paths: cheap, no locks)

    /** A socket request was answered after {@code nanos}. Called on the connection's thread. */
    public void served(Op op, long nanos, Reply reply) {
        if (op == Op.ADD) {
            addDuration.observe(nanos / NANOS_PER_SECOND);
        }
        if (reply.ok()) {
            okRequests.get(op).inc();
            return;
        }
        String code = reply.error().code();
        requests.labelValues(op.name().toLowerCase(Locale.ROOT), code).inc();
        if (op == Op.ADD) {
            addErrors.labelValues(code).inc();
        }
    }

    /** An ADD found the pool empty and waits. Called under the pool lock. */
    public void addWaited() {
        addWaits.inc();
    }

    /** A growth was refused for capacity (the reconciler's {@code onCapacityRefusal}). */
    public void capacityRefused(io.vpcipam.ipamd.pool.CapacityRefusal r) {
        capacityRefusals.labelValues(r.reason()).inc();
    }

    /** A lease was dropped without a DEL. Called under the pool lock. */
    public void leaseDropped(AddressPool.DropReason r) {
        leasesDropped.labelValues(reason(r)).inc();
    }

    /** One reconciler pass took {@code nanos}. */
    public void reconciled(long nanos) {
        reconcileDuration.observe(nanos / NANOS_PER_SECOND);
    }

    /** One checkpoint write took {@code nanos}; {@code ok} false if it failed. */
    public void checkpointWritten(long nanos, boolean ok) {
        checkpointWriteDuration.observe(nanos / NANOS_PER_SECOND);
        if (!ok) {
            checkpointWriteErrors.inc();
        }
    }

    @Override
    public void onCall(String verb, Duration elapsed, String condition) {
        cloudCalls.labelValues(verb, condition == null ? "ok" : condition).inc();
        cloudCallDuration.labelValues(verb).observe(elapsed.toNanos() / NANOS_PER_SECOND);
        if (condition != null) {
            lastCloudError = new CloudError(verb, condition, clock.instant());
        }
    }

    @Override
    public void onThrottle(String verb) {
        throttles.labelValues(verb).inc();
    }

    @Override
    public void onLimiterWait(String verb, Duration waited) {
        limiterWait.labelValues(verb).inc(waited.toNanos() / NANOS_PER_SECOND);
    }

    private static String reason(AddressPool.DropReason r) {
        return r.name().toLowerCase(Locale.ROOT);
    }

    /** Pool gauges, read at scrape time: one status() per scrape instead of work on every ADD. */
    private final class PoolCollector implements MultiCollector {
        @Override
        public MetricSnapshots collect() {
            Source s = source;
            GaugeSnapshot.Builder ready = GaugeSnapshot.builder().name("vpc_ipam_ready")
                    .help("1 when the daemon serves its socket with an initialised pool, else 0.");
            Reconciler.CloudHealth health = cloudHealth.get();
            GaugeSnapshot failing = gauge("vpc_ipam_cloud_failing", "1 while the cloud keeps failing (server errors,"
                    + " the provider's circuit breaker open) and the reconciler holds its calls, else 0.",
                    health.failing() ? 1 : 0);
            List<io.prometheus.metrics.model.snapshots.MetricSnapshot> always = new java.util.ArrayList<>();
            always.add(failing);
            always.add(GaugeSnapshot.builder().name("vpc_ipam_build_info")
                    .help("1, labelled with ipamd's version, the commit it was built from and the Java runtime's.")
                    .dataPoint(point(1, Labels.of("version", version(), "commit",
                            io.vpcipam.ipamd.config.BuildInfo.current().commit(), "java", Runtime.version().toString())))
                    .build());
            Duration took = startup;
            if (took != null) {
                always.add(gauge("vpc_ipam_startup_duration_seconds", "Time from reading the configuration to"
                        + " serving the socket (node read, leases restored, checkpoint replayed).",
                        took.toNanos() / NANOS_PER_SECOND));
            }
            Reconciler.NodeLimits limits = nodeLimits.get();
            if (limits != null) {
                always.add(gauge("vpc_ipam_max_interfaces", "Interfaces the pool may have: the instance's limit,"
                        + " MAX_ENI, less interfaces ipamd must leave alone.", limits.maxInterfaces()));
                always.add(gauge("vpc_ipam_addresses_per_interface", "Pod addresses one interface can hold"
                        + " (prefix members in prefix mode).", limits.addressesPerInterface()));
            }
            if (s == null) {
                always.add(ready.dataPoint(point(0, Labels.EMPTY)).build());
                return new MetricSnapshots(always);
            }
            PoolStatus p = s.pool().status();
            GaugeSnapshot.Builder addresses = GaugeSnapshot.builder().name("vpc_ipam_addresses")
                    .help("Pod addresses the node holds, by state (pending: asked of the cloud, not yet usable;"
                            + " unproven: found at a takeover, a pod may still hold it).");
            addresses.dataPoint(point(p.free(), Labels.of("state", "free")));
            addresses.dataPoint(point(p.assigned(), Labels.of("state", "assigned")));
            addresses.dataPoint(point(p.cooling(), Labels.of("state", "cooling")));
            addresses.dataPoint(point(p.pending(), Labels.of("state", "pending")));
            addresses.dataPoint(point(p.releasing(), Labels.of("state", "releasing")));
            addresses.dataPoint(point(p.unproven(), Labels.of("state", "unproven")));
            always.add(ready.dataPoint(point(s.ready().getAsBoolean() ? 1 : 0, Labels.EMPTY)).build());
            always.add(addresses.build());
            always.add(gauge("vpc_ipam_interfaces", "Cloud interfaces attached to the node.", p.interfaces().size()));
            always.add(gauge("vpc_ipam_max_addresses", "Pod addresses the node can hold at its cloud limits.",
                    p.capacity()));
            always.add(gauge("vpc_ipam_add_waiting", "ADDs waiting for an address right now.", p.waiting()));
            return new MetricSnapshots(always);
        }

        @Override
        public List<String> getPrometheusNames() {
            return List.of("vpc_ipam_ready", "vpc_ipam_addresses", "vpc_ipam_interfaces", "vpc_ipam_max_addresses",
                    "vpc_ipam_add_waiting", "vpc_ipam_cloud_failing", "vpc_ipam_build_info",
                    "vpc_ipam_startup_duration_seconds", "vpc_ipam_max_interfaces", "vpc_ipam_addresses_per_interface");
        }

        private static GaugeSnapshot gauge(String name, String help, double value) {
            return GaugeSnapshot.builder().name(name).help(help).dataPoint(point(value, Labels.EMPTY)).build();
        }

        private static GaugeSnapshot.GaugeDataPointSnapshot point(double value, Labels labels) {
            return GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).labels(labels).build();
        }
    }
}
