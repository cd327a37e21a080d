package io.vpcipam.ipamd.host;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the node's side of the pool's interfaces as {@link HostPlan} says, on its own thread: each pass reads the
 * pool's interfaces, finds their links by MAC, reads what the host holds, and applies only the difference. A pass
 * runs when the pool's interfaces change (woken by the pool), on a timer (so a rule someone deleted comes back and
 * a restart after kill -9 converges on the same set), and quickly while a new interface's link has not appeared.
 *
 * <p>An interface with device index 1+ serves pods only once a pass has set up its link and table
 * ({@link PoolSide#hostApplied}); one whose link never appears within {@link HostSettings#linkWait} is logged and
 * counted ({@code vpc_ipam_host_links_missing}) and keeps serving none. A failing host (no link with the primary
 * interface's MAC, a tool missing or refusing) is {@link #problem()}, which readiness reports; no lease is touched.
 */
public final class HostNetwork implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(HostNetwork.class.getName());
    private static final Duration LINK_POLL = Duration.ofMillis(200);

    /** What a pass reports (metrics). Called on the host thread. */
    public interface Listener {
        /** A pass ended; {@code missingLinks} interfaces have had no link for longer than the wait. */
        void passed(int missingLinks);

        /** A pass failed at {@code step}. */
        void failed(HostException.Step step);
    }

    private final PoolSide pool;
    private final HostSettings settings;
    private final LinuxHost host;
    private final InstantSource clock;
    private final Duration interval;
    private final Listener listener;
    private final Semaphore kick = new Semaphore(0);
    private final Map<String, Instant> missingSince = new HashMap<>();
    private final Set<String> reportedMissing = new HashSet<>();
    private Set<String> ready = Set.of();
    private volatile String problem = "host data path: not set up yet";
    private volatile boolean running = true;
    private volatile Thread thread;
    private String lastLogged;

    public HostNetwork(PoolSide pool, HostSettings settings, LinuxHost host, InstantSource clock, Duration interval,
                       Listener listener) {
        this.pool = Objects.requireNonNull(pool);
        this.settings = Objects.requireNonNull(settings);
        this.host = Objects.requireNonNull(host);
        this.clock = Objects.requireNonNull(clock);
        this.interval = Objects.requireNonNull(interval);
        this.listener = Objects.requireNonNull(listener);
    }

    /** Starts the pass loop on its own thread. */
    public void start() {
        thread = Thread.ofPlatform().daemon().name("host-network").start(this::loop);
    }

    /** Asks for a pass now. Never blocks: the pool calls it under its lock. */
    public void wake() {
        if (kick.availablePermits() == 0) {
            kick.release();
        }
    }

    /** Why the host is not set up as it should be, or null when the last pass succeeded. */
    public String problem() {
        return problem;
    }

    private void loop() {
        while (running) {
            boolean waitingForLinks;
            try {
                waitingForLinks = pass();
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "host data path pass failed", e);
                problem = "host data path: " + e;
                waitingForLinks = false;
            }
            try {
                kick.tryAcquire((waitingForLinks ? LINK_POLL : interval).toNanos(), TimeUnit.NANOSECONDS);
                kick.drainPermits();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * One pass. Public for tests and the daemon's first pass before it serves.
     *
     * @return whether an interface's link is still awaited within its wait (the next pass should come soon)
     */
    public synchronized boolean pass() {
        HostView view = pool.hostView();
        if (view.interfaces().isEmpty()) {
            return false;
        }
        HostPlan.Desired d;
        try {
            d = HostPlan.desired(view, host.linksByMac(), settings);
        } catch (HostException e) {
            fail(e);
            return false;
        }
        boolean waiting = trackMissing(d, view);
        if (d.problem() != null) {
            ready = Set.of();
            pool.hostApplied(Map.of(), Set.of());
            problem = d.problem();
            logOnce(Level.WARNING, "host data path: " + d.problem());
            listener.passed(reportedMissing.size());
            return waiting;
        }
        Set<String> nowReady = d.ready();
        try {
            HostState actual = host.read(d.state());
            HostPlan.Changes changes = HostPlan.diff(d.state(), actual);
            if (!changes.none()) {
                LOG.info("host data path: applying " + describe(changes));
                host.apply(changes);
            }
            problem = null;
            lastLogged = null;
        } catch (HostException e) {
            if (e.step() == HostException.Step.READ || e.step() == HostException.Step.IP) {
                Set<String> still = new LinkedHashSet<>(ready); // set up by an earlier pass: still serving
                still.retainAll(nowReady);
                nowReady = still;
            }
            fail(e);
        }
        ready = Set.copyOf(nowReady);
        pool.hostApplied(d.links(), ready);
        listener.passed(reportedMissing.size());
        return waiting;
    }

    private boolean trackMissing(HostPlan.Desired d, HostView view) {
        Instant now = clock.instant();
        missingSince.keySet().retainAll(d.missing());
        reportedMissing.retainAll(d.missing());
        boolean waiting = false;
        for (String id : d.missing()) {
            Instant since = missingSince.computeIfAbsent(id, k -> now);
            if (now.isBefore(since.plus(settings.linkWait()))) {
                waiting = true;
            } else if (reportedMissing.add(id)) {
                HostView.Interface i = view.interfaces().stream().filter(x -> x.id().equals(id)).findFirst()
                        .orElseThrow();
                LOG.warning("host data path: interface " + id + " (MAC " + i.mac() + ", device index "
                        + i.deviceIndex() + ") has no link on this host after " + settings.linkWait().toMillis()
                        + " ms; its addresses are not handed to pods until it appears");
            }
        }
        return waiting;
    }

    private void fail(HostException e) {
        problem = "host data path: " + e.step().name().toLowerCase(java.util.Locale.ROOT) + " failed: "
                + e.getMessage();
        listener.failed(e.step());
        logOnce(Level.WARNING, problem);
    }

    private void logOnce(Level level, String message) {
        if (!message.equals(lastLogged)) {
            LOG.log(level, message);
            lastLogged = message;
        }
    }

    private static String describe(HostPlan.Changes c) {
        StringBuilder b = new StringBuilder();
        if (!c.ipLines().isEmpty()) {
            b.append(c.ipLines().size()).append(" ip change(s) ").append(c.ipLines());
        }
        if (c.iptables() != null) {
            b.append(b.isEmpty() ? "" : "; ").append("iptables chains ")
                    .append(c.iptables().lines().filter(l -> l.startsWith(":")).toList());
        }
        if (!c.sysctls().isEmpty()) {
            b.append(b.isEmpty() ? "" : "; ").append("sysctls ").append(c.sysctls());
        }
        return b.toString();
    }

    /** Stops the loop. What is on the host stays: pods keep their network while ipamd restarts. */
    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
