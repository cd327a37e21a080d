package io.vpcipam.ipamd;

import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.config.ConfigException;
import io.vpcipam.ipamd.lease.Checkpoint;
import io.vpcipam.ipamd.lease.CheckpointException;
import io.vpcipam.ipamd.lease.CheckpointState;
import io.vpcipam.ipamd.lease.GroupCommit;
import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.host.HostNetwork;
import io.vpcipam.ipamd.host.LinuxHost;
import io.vpcipam.ipamd.k8s.KubernetesIntegration;
import io.vpcipam.ipamd.ops.Introspected;
import io.vpcipam.ipamd.ops.Metrics;
import io.vpcipam.ipamd.pool.AddressPool;
import io.vpcipam.ipamd.pool.PoolException;
import io.vpcipam.ipamd.pool.Reconciler;
import io.vpcipam.ipamd.pool.Wakeup;
import io.vpcipam.protocol.Layout;
import io.vpcipam.ipamd.server.IpamService;
import io.vpcipam.ipamd.server.SocketServer;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.ProviderContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * One running ipamd, wired: provider, checkpoint, pool, reconciler, socket. Start-up order matters for the
 * "never hand out an address twice" promise: the checkpoint is read (and a bad one stops us) before anything else;
 * the cloud is read; leases are restored against what the cloud holds; DELs spooled while we were down are
 * applied; only then is the socket opened.
 */
public final class Daemon implements Introspected, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Daemon.class.getName());
    private static final String SOCKET_SETTING = "IPAMD_SOCKET";

    private final Config config;
    private final CloudProvider provider;
    private final AddressPool pool;
    private final Reconciler reconciler;
    private final IpamService service;
    private final SocketServer server;
    private final AtomicLong droppedLeases;
    private KubernetesIntegration kubernetes; // null when not on Kubernetes
    private Thread spoolSweeper;
    private io.vpcipam.ipamd.takeover.Adoption adoption;
    private HostNetwork host; // null when ipamd does not program the host
    private final Metrics metrics;

    private Daemon(Config config, CloudProvider provider, AddressPool pool, Reconciler reconciler,
                   IpamService service, SocketServer server, AtomicLong droppedLeases, Metrics metrics) {
        this.metrics = metrics;
        this.droppedLeases = droppedLeases;
        this.config = config;
        this.provider = provider;
        this.pool = pool;
        this.reconciler = reconciler;
        this.service = service;
        this.server = server;
    }

    /** Starts a daemon; returns once the socket is serving. */
    public static Daemon start(Config config, Map<String, String> env, InstantSource clock) throws Exception {
        return start(config, env, clock, new Metrics(clock));
    }

    /** Starts a daemon reporting into {@code metrics}, the provider's cloud calls included. */
    public static Daemon start(Config config, Map<String, String> env, InstantSource clock, Metrics metrics)
            throws Exception {
        long began = System.nanoTime(); // start-up duration metric: the Node wait and provider set-up included
        preflightOrThrow(config); // a state dir or socket we cannot use stops us before the cloud is touched
        new Checkpoint(config.stateDir().resolve(Layout.CHECKPOINT)).load(); // as does a bad checkpoint
        var factory = Providers.find(config.provider());
        KubernetesIntegration k8s;
        try {
            k8s = KubernetesIntegration.fromEnv(env, clock).orElse(null);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        try {
            Map<String, String> providerEnv = env;
            if (k8s != null) {
                k8s.awaitNode(); // the Node's providerID, zone and instance type reach the provider as env vars
                providerEnv = k8s.providerEnv(env);
            }
            ProviderContext context = new ProviderContext(providerEnv, config.stateDir(), clock, metrics);
            Daemon daemon = start(config, factory.create(context), clock, metrics, k8s);
            if (k8s != null) { // the annotation's maxPods gets the cap ipamd max-pods applies; never fatal
                try {
                    factory.instanceType(daemon.pool.node().instanceType(), context)
                            .ifPresent(t -> k8s.instanceVcpus(t.vcpus()));
                } catch (CloudException | RuntimeException e) {
                    LOG.info("instance type's vCPUs unknown (" + e.getMessage() + "): the Node annotation's maxPods"
                            + " is not capped by them");
                }
            }
            metrics.startedIn(java.time.Duration.ofNanos(System.nanoTime() - began));
            return daemon;
        } catch (Exception | Error e) {
            if (k8s != null) {
                k8s.close();
            }
            throw e;
        }
    }

    /** Starts a daemon over an already-built provider (tests, benches). */
    public static Daemon start(Config config, CloudProvider provider, InstantSource clock) throws Exception {
        return start(config, provider, clock, new Metrics(clock));
    }

    /** Starts a daemon over an already-built provider, reporting into {@code metrics}. */
    public static Daemon start(Config config, CloudProvider provider, InstantSource clock, Metrics metrics)
            throws Exception {
        return start(config, provider, clock, metrics, null);
    }

    /** Starts a daemon over a provider with the Kubernetes integration (or null), which the daemon then owns. */
    public static Daemon start(Config config, CloudProvider provider, InstantSource clock, Metrics metrics,
                               KubernetesIntegration kubernetes) throws Exception {
        long began = System.nanoTime();
        preflightOrThrow(config);
        Checkpoint checkpoint = new Checkpoint(config.stateDir().resolve(Layout.CHECKPOINT));
        CheckpointState saved = checkpoint.load();
        AtomicLong dropped = new AtomicLong();
        Wakeup demand = new Wakeup();
        AddressPool pool = new AddressPool(clock, config.cooldown(),
                source -> new GroupCommit(checkpoint, source, metrics::checkpointWritten), () -> {
                    metrics.addWaited(); // onDemand runs once per ADD that found the pool empty
                    demand.ring();
                }, reason -> {
                    dropped.incrementAndGet();
                    metrics.leaseDropped(reason);
                });
        Reconciler reconciler = new Reconciler(provider, pool, reconcilerSettings(config), clock, metrics::reconciled,
                demand);
        if (config.host().enabled()) {
            pool.gateOnHost(); // secondary interfaces serve pods once their node side is set up
        }

        NodeInfo node = describeUntilAnswered(provider);
        List<Lease> lost = pool.restore(node, saved);
        reconciler.synced();
        for (Lease l : lost) {
            LOG.warning("lease " + l.key() + " on " + l.address() + " dropped: the checkpoint names that address twice");
        }
        try {
            pool.persist(); // leases dropped at start are on disk before anything is served
            applySpool(config.stateDir(), pool);
        } catch (IOException e) {
            reconciler.close();
            throw new StartupException(StateDir.SETTING, config.stateDir(), e.getMessage(), e);
        }
        HostNetwork host = null;
        if (config.host().enabled()) {
            host = new HostNetwork(pool, config.host(), LinuxHost.system(), clock, config.interval(),
                    metrics.hostListener());
            pool.onInterfacesChanged(host::wake);
            host.pass(); // links, tables, rules and chains are in place before the first pod is served
            host.start();
        }

        int mtu = config.mtu() > 0 ? config.mtu() : ("azure".equals(provider.name()) ? 1500 : 9001);
        IpamService service = new IpamService(pool, provider.name(),
                config.targets().prefixMode() && provider.capabilities().prefixDelegation(), config.addTimeout(), mtu,
                metrics::served, config.host().externalSnat());
        if (kubernetes != null) {
            kubernetes.onEventsDropped(metrics::eventsDropped);
            kubernetes.attach(pool, reconciler); // custom networking is in force before the first interface is made
            reconciler.warnings(kubernetes.warnings()); // subnet exhausted, limits, denied: Events on the Node
            service.warnings(kubernetes.warnings()); // an ADD that timed out: Events on the Pod and the Node
        }
        reconciler.start();
        reconciler.wake();
        SocketServer server = new SocketServer(config.socket(), config.allowedUids(), service, Duration.ofSeconds(30));
        try {
            server.start();
        } catch (IOException e) {
            service.shutDown();
            reconciler.close();
            if (host != null) {
                host.close();
            }
            pool.close();
            throw new StartupException(SOCKET_SETTING, config.socket(), e.getMessage(), e);
        }
        LOG.info("ipamd serving " + config.socket() + " on " + provider.name() + " node " + node.instanceId() + " ("
                + node.instanceType() + ", " + node.interfaces().size() + " interfaces); " + saved.leases().size()
                + " leases restored, " + lost.size() + " dropped");
        metrics.watch(pool, server::serving);
        metrics.watchCloud(reconciler::cloudHealth);
        metrics.watchLimits(reconciler::nodeLimits);
        reconciler.onCapacityRefusal(metrics::capacityRefused);
        Daemon daemon = new Daemon(config, provider, pool, reconciler, service, server, dropped, metrics);
        daemon.host = host;
        // the plugin also spools a DEL when ipamd is up but did not answer in time: apply those without a restart
        daemon.spoolSweeper = Thread.ofVirtual().name("release-spool").start(() -> {
            while (true) {
                try {
                    Thread.sleep(config.interval());
                    applySpool(config.stateDir(), pool);
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    LOG.warning("release spool: " + e.getMessage());
                }
            }
        });
        if (kubernetes != null) {
            daemon.kubernetes = kubernetes;
            kubernetes.start();
        }
        // addresses found at a takeover are the pool's only once the node's pods (or aws-node's checkpoint) say so
        daemon.adoption = new io.vpcipam.ipamd.takeover.Adoption(pool, config.awsNodeCheckpoint(),
                kubernetes == null ? null : kubernetes::nodePods, config.interval());
        daemon.adoption.start();
        metrics.startedIn(java.time.Duration.ofNanos(System.nanoTime() - began));
        return daemon;
    }

    /**
     * What would stop this configuration at start, each problem one line naming its setting, found without touching
     * the cloud: the state dir cannot be made, written or is open to other users; the socket path is not a socket,
     * its directory cannot be made, or another ipamd serves it. Makes the state dir ready as a side effect.
     */
    public static List<String> preflight(Config config) {
        return preflight(config.stateDir(), config.socket());
    }

    /** As {@link #preflight(Config)}, for the two paths alone (either may be null: not checked). */
    static List<String> preflight(Path stateDir, Path socket) {
        List<String> problems = new ArrayList<>();
        if (stateDir != null) {
            try {
                StateDir.prepare(stateDir);
            } catch (StartupException e) {
                problems.add(e.getMessage());
            }
        }
        if (socket != null) {
            try {
                SocketServer.checkPath(socket);
            } catch (IOException e) {
                problems.add(new StartupException(SOCKET_SETTING, socket, e.getMessage()).getMessage());
            }
        }
        return problems;
    }

    private static void preflightOrThrow(Config config) throws StartupException {
        StateDir.prepare(config.stateDir());
        try {
            SocketServer.checkPath(config.socket());
        } catch (IOException e) {
            throw new StartupException(SOCKET_SETTING, config.socket(), e.getMessage(), e);
        }
    }

    /** The reconciler's settings from the configuration (the fleet simulator builds its nodes' the same way). */
    public static Reconciler.Settings reconcilerSettings(Config c) {
        return new Reconciler.Settings(c.targets(), c.shrinkDelay(), c.interval(), c.resyncInterval(),
                c.subnetBackoff(), c.leakCleanup() ? Duration.ofHours(1) : Duration.ZERO, Duration.ofMinutes(5),
                c.podSubnet(), c.securityGroups(), c.clusterName(), c.extraTags(), c.provisioning());
    }

    private static NodeInfo describeUntilAnswered(CloudProvider provider) throws InterruptedException {
        return describeUntilAnswered(provider, Reconciler.Pacing.REAL);
    }

    /**
     * The cloud may be throttling or briefly unreachable at boot: keep asking, backing off, as the AWS CNI does
     * (waiting through {@code pacing}: real time in ipamd, virtual time in the fleet simulator).
     */
    public static NodeInfo describeUntilAnswered(CloudProvider provider, Reconciler.Pacing pacing)
            throws InterruptedException {
        long delayMs = 200;
        while (true) {
            try {
                return provider.describeNode();
            } catch (CloudException.Throttled e) {
                pacing.sleep(Duration.ofMillis(Math.max(delayMs, e.retryAfter().toMillis())));
            } catch (CloudException e) {
                LOG.warning("cannot describe the node yet (" + e.code() + ": " + e.getMessage() + "); retrying in "
                        + delayMs + " ms");
                pacing.sleep(Duration.ofMillis(delayMs));
            }
            delayMs = Math.min(30_000, delayMs * 2);
        }
    }

    private static void applySpool(Path stateDir, AddressPool pool) throws IOException, InterruptedException {
        for (ReleaseSpool.Entry e : ReleaseSpool.read(stateDir)) {
            try {
                Lease released = pool.delSpooled(e.key(), Files.getLastModifiedTime(e.file()).toInstant());
                LOG.info("applied spooled DEL " + e.key() + (released == null ? " (no lease)" : " -> " + released.address()));
                Files.deleteIfExists(e.file());
            } catch (PoolException ex) {
                LOG.warning("spooled DEL " + e.key() + " not applied yet: " + ex.getMessage());
            }
        }
    }

    /** The pool, for tests and benches. */
    public AddressPool pool() {
        return pool;
    }

    /** The reconciler, for tests and benches. */
    public Reconciler reconciler() {
        return reconciler;
    }

    /** The provider this daemon drives. */
    public CloudProvider provider() {
        return provider;
    }

    /** The request handler. */
    public IpamService service() {
        return service;
    }

    /** Whether the socket is bound and accepting (false once shutdown began). */
    public boolean serving() {
        return server.serving();
    }

    /** Whether the provider delegates prefixes and the configuration asks for them. */
    public boolean prefixMode() {
        return config.targets().prefixMode() && provider.capabilities().prefixDelegation();
    }

    /** The metrics this daemon reports into. */
    public Metrics metrics() {
        return metrics;
    }

    /** Proves addresses found at a takeover free of pods; null only while starting. */
    public io.vpcipam.ipamd.takeover.Adoption adoption() {
        return adoption;
    }

    /** Why the node's data path is not set up as it should be; null when it is, or when ipamd does not program it. */
    public String hostProblem() {
        return host == null ? null : host.problem();
    }

    /** The Kubernetes integration, or null when not on Kubernetes. */
    public KubernetesIntegration kubernetes() {
        return kubernetes;
    }

    /** The configuration it runs with. */
    public Config config() {
        return config;
    }

    /** Leases dropped without a DEL since start (the cloud lost their address, or GC). */
    public long droppedLeases() {
        return droppedLeases.get();
    }

    /** Stops serving, finishes pending checkpoint writes, stops the reconciler. No cloud resource is released. */
    @Override
    public void close() {
        if (adoption != null) {
            adoption.close();
        }
        if (kubernetes != null) {
            kubernetes.close();
        }
        service.shutDown();
        server.close();
        if (spoolSweeper != null) {
            spoolSweeper.interrupt();
        }
        reconciler.close();
        if (host != null) {
            host.close();
        }
        pool.close();
        provider.close();
    }
}
