package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.Capabilities;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.InterfaceSpec;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.OwnerTags;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongConsumer;
import java.util.random.RandomGenerator;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The only caller of the cloud's mutating verbs on this node. Each pass: re-read the node when due (one describe,
 * not one per pod), then snapshot -> {@link Planner#plan} -> execute, repeated until the planner says nothing or
 * the pass's step budget is spent. A pass runs on a jittered timer and at once when an ADD finds the pool empty.
 *
 * <p>Cloud errors: throttling waits the cloud's retry-after plus a random spread that grows with each throttle in a
 * row, and goes on (a throttled periodic re-read is put off instead, see {@link #resync}); a full subnet pauses growth
 * for {@code subnetBackoff}; not-found, conflict or a limit the pool did not expect re-read the node. A failing cloud
 * (a fatal error, a server error, the provider's circuit breaker open, or any failed describe) ends the pass and holds
 * every cloud call until the provider's retry-after (the breaker's remaining open time), else a backoff doubling from
 * {@link #MIN_CLOUD_BACKOFF} to {@link #MAX_CLOUD_BACKOFF}; wake-ups from waiting ADDs do not shorten the hold, and the
 * first pass after it calls at once. {@link #cloudHealth()} says so for metrics and {@code explain}.
 *
 * <p>Leftovers: the first pass after start, and the pass after a create that ended in doubt, delete this node's own
 * detached interfaces created before then (a kill -9 between create and attach or between detach and delete, a create
 * whose answer never arrived). No create is in flight then (this thread is the only creator), so every detached
 * interface with this node's tag is a leftover; the hourly collector with its grace period is for other nodes'.
 *
 * <p>Why one class of some 900 lines: it is the one thread that calls the cloud's mutating verbs, and its state (the
 * cloud's health and hold, the refusal backoff, the resync flag, the leftover sweep's bound) is read by every step of
 * a pass; the decisions themselves are pure ({@link Planner}) and the pool's side is {@link ReconcilerSide}. Splitting
 * the executor from the loop would share that state across two objects on one thread with nothing gained.
 */
public final class Reconciler implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Reconciler.class.getName());
    private static final int MAX_STEPS_PER_PASS = 64;
    private static final int MAX_DECISIONS = 100;
    private static final int MAX_ORPHANS_PER_RUN = 20;
    /** First hold after a cloud failure that came without a retry-after. */
    static final Duration MIN_CLOUD_BACKOFF = Duration.ofMillis(500);
    /** Longest hold after repeated cloud failures without a retry-after: pods wait at most this after a recovery. */
    static final Duration MAX_CLOUD_BACKOFF = Duration.ofSeconds(10);
    /**
     * The spread added to a throttled call's retry-after on its first throttle in a row; it doubles with each throttle
     * in a row up to {@link #MAX_THROTTLE_SPREAD}, and the wait is drawn uniformly from it ("full jitter").
     */
    static final Duration THROTTLE_SPREAD = Duration.ofMillis(250);
    /**
     * The widest spread. Nothing shortens a wait after a throttle, so it must stay inside a pod's ADD timeout (10 s by
     * default): on AWS the engine sees a throttle only after the provider's own retries, with a retry-after of 3.2 s,
     * so a wait is at most 7.2 s. Simulated at 1,000 nodes on EC2's 20 calls/s (one seed), 4 s throttles 26% of the
     * calls against 29% for 2 s and 23% for 10 s. Their p99 time-to-IP (140, 164 and 146 s) does not rank them: another
     * random stream moves the same 4 s run's p99 to 159 s.
     */
    static final Duration MAX_THROTTLE_SPREAD = Duration.ofSeconds(4);
    /**
     * A periodic re-read throttled k times in a row is put off 2^k intervals, k at most this (8 intervals); and never
     * more than that many intervals after the last re-read that was answered: past it, the re-read is needed.
     */
    static final int MAX_RESYNC_DEFERRAL_DOUBLINGS = 3;
    /** First growth pause after the cloud refused an allocation for an interface or instance limit. */
    static final Duration MIN_LIMIT_BACKOFF = Duration.ofSeconds(5);
    /** Longest such pause: a limit that stays refuses at most one request this often. */
    static final Duration MAX_LIMIT_BACKOFF = Duration.ofMinutes(5);

    /**
     * Whether the cloud answers, as the reconciler last found it.
     *
     * @param failures  cloud failures in a row (0: it answers)
     * @param nextTry   no cloud call before this while failing
     * @param lastError the last failure: condition, code and message ("" when it answers)
     */
    public record CloudHealth(int failures, Instant nextTry, String lastError) {
        /** The cloud answers. */
        public static final CloudHealth ANSWERING = new CloudHealth(0, Instant.MIN, "");

        /** Whether calls are failing (and held until {@link #nextTry}). */
        public boolean failing() {
            return failures > 0;
        }
    }

    /**
     * The reconciler's knobs.
     *
     * @param targets            warm-pool targets
     * @param shrinkDelay        quiet time after a grow or shrink before the pool shrinks
     * @param interval           the pass timer (jittered by +-20%)
     * @param resyncInterval     how often the node is re-read from the cloud when nothing else asks for it
     * @param subnetBackoff      how long growth pauses after the subnet ran out
     * @param orphanInterval     how often leaked interfaces are collected (zero = never)
     * @param orphanGrace        a leaked interface younger than this is left alone (it may be mid-attach)
     * @param podSubnetId        subnet for new interfaces; null = the primary interface's
     * @param securityGroups     security groups for new interfaces; empty = the cloud's default
     * @param clusterName        cluster name for tags and for scoping leak collection; "" = none
     * @param extraTags          user tags for new interfaces
     */
    public record Settings(Targets targets, Duration shrinkDelay, Duration interval, Duration resyncInterval,
                           Duration subnetBackoff, Duration orphanInterval, Duration orphanGrace, String podSubnetId,
                           List<String> securityGroups, String clusterName, Map<String, String> extraTags,
                           boolean provisioning) {
        public Settings {
            securityGroups = List.copyOf(securityGroups);
            extraTags = Map.copyOf(extraTags);
            clusterName = clusterName == null ? "" : clusterName;
        }

        /** Settings that provision (create, assign, release, delete) as the targets say. */
        public Settings(Targets targets, Duration shrinkDelay, Duration interval, Duration resyncInterval,
                        Duration subnetBackoff, Duration orphanInterval, Duration orphanGrace, String podSubnetId,
                        List<String> securityGroups, String clusterName, Map<String, String> extraTags) {
            this(targets, shrinkDelay, interval, resyncInterval, subnetBackoff, orphanInterval, orphanGrace,
                    podSubnetId, securityGroups, clusterName, extraTags, true);
        }
    }

    /**
     * Where new interfaces go when Kubernetes says otherwise than the settings (custom networking: a NetworkConfig
     * for this node's zone or label).
     *
     * @param podSubnetId    subnet for new interfaces
     * @param securityGroups security groups for new interfaces; empty = the settings' ones
     */
    public record Placement(String podSubnetId, List<String> securityGroups) {
        public Placement {
            if (podSubnetId == null || podSubnetId.isBlank()) {
                throw new IllegalArgumentException("placement needs a subnet");
            }
            securityGroups = List.copyOf(securityGroups);
        }
    }

    /** How a decision went, typed: what {@code ipamd explain} reads (the outcome text is for people). */
    public enum Result {
        /** Nothing to do. */
        IDLE(true),
        /** The cloud did it. */
        DONE(true),
        /** Not attempted: the pool changed since the snapshot (an ADD took what was to be released). */
        SKIPPED(true),
        /** The cloud answers again after failing. */
        RECOVERED(true),
        /** The cloud throttled the call; it is tried again after its backoff. */
        THROTTLED(false),
        /** The cloud refused for capacity (subnet exhausted, an interface or instance limit). */
        CAPACITY(false),
        /** The cloud said not found or conflict: the node is re-read. */
        REFUSED(false),
        /** The call failed. */
        FAILED(false),
        /** The cloud is failing: no call until the hold ends. */
        HOLDING(false);

        private final boolean ok;

        Result(boolean ok) {
            this.ok = ok;
        }

        /** Whether the step went as planned (nothing an operator must look at). */
        public boolean ok() {
            return ok;
        }
    }

    /** One pass step: what the planner decided, how it went ({@code result}) and what happened, in words. */
    public record Decision(Instant at, String plan, String reason, String outcome, Result result) {
    }

    /**
     * How a pass waits and where its jitter comes from. ipamd uses {@link #REAL} (Thread.sleep, ThreadLocalRandom);
     * the fleet simulator gives a sleep in virtual time and a seeded random, so the same engine runs thousands of
     * nodes without a thread or a real sleep each, and the same seed gives the same run.
     */
    public interface Pacing {
        /** Real time and ThreadLocalRandom. */
        Pacing REAL = new Pacing() {
            @Override
            public void sleep(Duration d) throws InterruptedException {
                Thread.sleep(d);
            }

            @Override
            public RandomGenerator random() {
                return ThreadLocalRandom.current();
            }
        };

        /** Waits {@code d} (after a throttled call); called on the pass's thread, under no lock. */
        void sleep(Duration d) throws InterruptedException;

        /** The source of the timer's and the back-offs' jitter. */
        RandomGenerator random();
    }

    private final CloudProvider provider;
    private final ReconcilerSide pool;
    private final Settings settings;
    private final InstantSource clock;
    private final Capabilities caps;
    private final Wakeup wakeup;
    private final Pacing pacing;
    private final LongConsumer onPass;
    private final ArrayDeque<Decision> decisions = new ArrayDeque<>();
    private volatile boolean running = true;
    private volatile boolean needResync = true;
    private int limitRefusals; // allocations refused for an interface or instance limit, in a row (reconciler thread)
    private volatile CapacityRefusal lastCapacityRefusal; // null until the first
    private final java.util.List<java.util.function.Consumer<CapacityRefusal>> refusalListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile Placement placement; // null = the settings' subnet and security groups
    private volatile Warnings warnings = Warnings.NONE;
    private volatile String interfacesHeld; // non-null: why no interface may be created or deleted now
    private volatile Instant lastResync = Instant.MIN;
    /**
     * The periodic re-read waits until then after throttles (its own, or any call's), but never past
     * {@link #periodicResyncDeadline}; a needed re-read does not wait. Pass thread only.
     */
    private Instant periodicResyncAfter = Instant.MIN;
    /** Throttled calls in a row (this thread only); any answered call resets it. */
    private int throttles;
    /** Periodic re-reads throttled in a row (this thread only): each doubles the deferral of the next. */
    private int periodicThrottles;
    private volatile NodeLimits nodeLimits; // null until the node was first read
    private volatile CloudHealth health = CloudHealth.ANSWERING;
    private Instant sweepBefore; // non-null: this node's detached interfaces created up to then are leftovers
    private Instant nextOrphanRun;
    private volatile Thread thread;

    public Reconciler(CloudProvider provider, ReconcilerSide pool, Settings settings, InstantSource clock) {
        this(provider, pool, settings, clock, nanos -> { });
    }

    /** As the four-argument constructor; {@code onPass} is told each timed pass's duration in nanoseconds. */
    public Reconciler(CloudProvider provider, ReconcilerSide pool, Settings settings, InstantSource clock,
                      LongConsumer onPass) {
        this(provider, pool, settings, clock, onPass, new Wakeup());
    }

    /** As the five-argument constructor; a pass starts early whenever {@code wakeup} is rung. */
    public Reconciler(CloudProvider provider, ReconcilerSide pool, Settings settings, InstantSource clock,
                      LongConsumer onPass, Wakeup wakeup) {
        this(provider, pool, settings, clock, onPass, wakeup, Pacing.REAL);
    }

    /**
     * As the six-argument constructor, waiting and drawing jitter through {@code pacing}. A caller with its own
     * pacing drives the passes itself ({@link #pass}, {@link #nextPassDelay}) instead of {@link #start}.
     */
    public Reconciler(CloudProvider provider, ReconcilerSide pool, Settings settings, InstantSource clock,
                      LongConsumer onPass, Wakeup wakeup, Pacing pacing) {
        this.pacing = pacing;
        this.wakeup = wakeup;
        this.onPass = onPass;
        this.provider = provider;
        this.pool = pool;
        this.settings = settings;
        this.clock = clock;
        this.caps = provider.capabilities();
        this.nextOrphanRun = clock.instant().plus(jitter(Duration.ofMinutes(5)));
        this.sweepBefore = caps.hotAttachInterfaces() ? clock.instant() : null;
    }

    /** Starts the pass loop on its own thread. */
    public void start() {
        thread = Thread.ofPlatform().daemon().name("reconciler").start(this::loop);
    }

    /** Whether the pass loop's thread is running (liveness). */
    public boolean alive() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    /** Asks for a pass now. Never blocks: safe to call under the pool lock. */
    public void wake() {
        wakeup.ring();
    }

    /** Sets (or, with null, clears) where interfaces created from now on go; existing ones stay where they are. */
    public void placement(Placement newPlacement) {
        placement = newPlacement;
    }

    /** Where subnet exhaustion, limit refusals and denied permissions are reported beyond the log (Kubernetes). */
    public void warnings(Warnings sink) {
        warnings = sink == null ? Warnings.NONE : sink;
    }

    /**
     * Holds (with a reason) or releases (null) every interface create and delete: aws-node's
     * AWS_MANAGE_ENIS_NON_SCHEDULABLE=false on a cordoned node. Addresses on the interfaces the node has still come
     * and go; a release wakes a pass.
     */
    public void holdInterfaces(String why) {
        String before = interfacesHeld;
        interfacesHeld = why;
        if (why == null && before != null) {
            recordRaw("hold-interfaces", Result.DONE, "released", before);
            wake();
        } else if (why != null && !why.equals(before)) {
            recordRaw("hold-interfaces", Result.SKIPPED, why, "no interface created or deleted");
        }
    }

    /** Where new interfaces go now, or null for the settings' subnet and security groups. */
    public Placement placement() {
        return placement;
    }

    /** Records that the pool was just built from a describe (at start-up), so the first pass need not repeat it. */
    public void synced() {
        lastResync = clock.instant();
        needResync = false;
    }

    /** Asks for a fresh describe on the next pass. */
    public void requestResync() {
        needResync = true;
        wake();
    }

    private void loop() {
        while (running) {
            try {
                Duration hold = holdLeft();
                if (hold.isPositive()) {
                    // wake-ups do not shorten it: the cloud is failing; re-checked each second (the clock may jump)
                    Thread.sleep(Math.min(hold.toMillis() + 1, 1_000));
                    continue;
                }
                long start = System.nanoTime();
                try {
                    pass();
                } finally {
                    onPass.accept(System.nanoTime() - start);
                }
                wakeup.await(nextPassDelay().toNanos());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "reconcile pass failed", e);
                sleepQuietly(Duration.ofSeconds(1));
            }
        }
    }

    /** One pass: re-read if due, then plan and act until nothing is left to do. Public for tests and benches. */
    public void pass() throws InterruptedException {
        Instant now = clock.instant();
        if (holdLeft().isPositive()) {
            return; // the cloud is failing: nothing is called until the hold ends
        }
        boolean overdue = !now.isBefore(periodicResyncDeadline());
        if (needResync || overdue || (!now.isBefore(lastResync.plus(settings.resyncInterval()))
                && !now.isBefore(periodicResyncAfter))) {
            if (!resync(needResync || overdue)) {
                return;
            }
        }
        NodeInfo node = pool.node();
        if (node == null) {
            return;
        }
        if (sweepBefore != null && settings.provisioning()) {
            sweepLeftovers(node);
        }
        for (int step = 0; step < MAX_STEPS_PER_PASS && running; step++) {
            Planner.Planned planned = Planner.decide(pool.snapshot(), settings.targets(), node.limits(), caps,
                    clock.instant(), settings.shrinkDelay());
            shape(planned.shape());
            Plan plan = planned.plan();
            if (plan instanceof Plan.Nothing) {
                record(plan, Result.IDLE, "idle");
                break;
            }
            if (!settings.provisioning()) {
                // aws-node's DISABLE_NETWORK_RESOURCE_PROVISIONING: what is on the node is all there is
                skipped(plan);
                break;
            }
            String held = interfacesHeld;
            if (held != null && (plan instanceof Plan.CreateInterface || plan instanceof Plan.DeleteInterface)) {
                record(plan, Result.SKIPPED, "held: " + held); // on purpose: not a failure
                break;
            }
            if (!execute(plan, node)) {
                break;
            }
            if (needResync) {
                if (!resync(true)) {
                    break;
                }
                node = pool.node();
            }
        }
        shape(Planner.shape(pool.snapshot(), settings.targets(), node.limits(), caps));
        if (!pool.flush()) {
            LOG.warning("checkpoint write failed; retrying on the next pass");
        }
        if (settings.provisioning() && settings.orphanInterval().isPositive()
                && !clock.instant().isBefore(nextOrphanRun)) {
            nextOrphanRun = clock.instant().plus(jitter(settings.orphanInterval()));
            collectOrphans();
        }
    }

    /**
     * Re-reads the node. A {@code needed} re-read (a call's outcome is in doubt, a subnet is new, or the last answered
     * re-read is {@link #MAX_RESYNC_DEFERRAL_DOUBLINGS 8} intervals old) is retried after each throttle until the cloud
     * answers. A periodic one only looks for drift, so a throttle puts it off (2, 4, then 8 intervals for throttles in
     * a row, see {@link #deferPeriodicResync}) and the pass goes on with the pool as it is: on an account the whole
     * fleet shares, the periodic re-reads of a thousand nodes would otherwise be retried in step, and take the tokens
     * that the allocations of pods waiting for an address need.
     *
     * @return whether the pass may go on
     */
    private boolean resync(boolean needed) throws InterruptedException {
        while (running) {
            try {
                NodeInfo info = provider.describeNode();
                answered();
                pool.sync(info);
                lastResync = clock.instant();
                needResync = false;
                periodicThrottles = 0;
                return true;
            } catch (CloudException.Throttled e) {
                if (!needed && !needResync) {
                    periodicThrottles = Math.min(periodicThrottles + 1, MAX_RESYNC_DEFERRAL_DOUBLINGS);
                    deferPeriodicResync(1L << periodicThrottles);
                    recordRaw("resync", Result.THROTTLED, "periodic re-read of the node", "throttled (" + e.code()
                            + "): put off until " + periodicResyncAfter + ", the pass goes on");
                    return true;
                }
                backOff(e);
            } catch (CloudException e) {
                LOG.warning("describe failed (" + e.code() + "): " + e.getMessage());
                failed("describe", e);
                return false;
            }
        }
        return false;
    }

    /** Carries out one plan. Returns whether the pass may go on. */
    private boolean execute(Plan plan, NodeInfo node) throws InterruptedException {
        try {
            switch (plan) {
                case Plan.Allocate a -> {
                    int units = a.addresses() + a.prefixes();
                    pool.pending(units * (a.prefixes() > 0 ? caps.addressesPerPrefix() : 1));
                    try {
                        Assignment added = provider.assign(a.interfaceId(), a.addresses(), a.prefixes());
                        pool.assigned(a.interfaceId(), added);
                        limitRefusals = 0;
                    } finally {
                        pool.pending(-units * (a.prefixes() > 0 ? caps.addressesPerPrefix() : 1));
                    }
                }
                case Plan.CreateInterface c -> {
                    int units = c.addresses() + c.prefixes();
                    pool.pending(units * (c.prefixes() > 0 ? caps.addressesPerPrefix() : 1));
                    try {
                        NetworkInterface ni;
                        try {
                            ni = provider.createInterface(spec(c, node));
                        } catch (CloudException.Fatal | CloudException.Conflict e) {
                            sweepBefore = clock.instant(); // it may exist, detached: nobody would ever attach it
                            throw e;
                        }
                        pool.attached(ni);
                        if (node.subnet(ni.subnetId()) == null) {
                            needResync = true; // a subnet we have not described yet: its router comes from the cloud
                        }
                    } finally {
                        pool.pending(-units * (c.prefixes() > 0 ? caps.addressesPerPrefix() : 1));
                    }
                }
                case Plan.Release r -> {
                    Assignment marked = pool.beginRelease(r.interfaceId(), r.addresses(), r.prefixes());
                    if (marked.addresses().isEmpty() && marked.prefixes().isEmpty()) {
                        record(plan, Result.SKIPPED, "skipped: taken since the snapshot");
                        return true;
                    }
                    CallOutcome outcome = CallOutcome.IN_DOUBT;
                    try {
                        provider.unassign(r.interfaceId(), marked.addresses(), marked.prefixes());
                        outcome = CallOutcome.APPLIED;
                    } catch (CloudException.Throttled e) {
                        outcome = CallOutcome.REFUSED; // refused, so not applied: nothing to re-read
                        throw e;
                    } finally {
                        pool.endRelease(r.interfaceId(), marked, outcome);
                        if (outcome == CallOutcome.IN_DOUBT) {
                            needResync = true; // only a describe can say whether the failed call was applied
                        }
                    }
                }
                case Plan.DeleteInterface d -> {
                    if (!pool.beginDelete(d.interfaceId())) {
                        record(plan, Result.SKIPPED, "skipped: in use since the snapshot");
                        return true;
                    }
                    CallOutcome outcome = CallOutcome.IN_DOUBT;
                    try {
                        provider.deleteInterface(d.interfaceId());
                        outcome = CallOutcome.APPLIED;
                    } catch (CloudException.Throttled e) {
                        outcome = CallOutcome.REFUSED; // refused, so not applied: nothing to re-read
                        throw e;
                    } finally {
                        pool.endDelete(d.interfaceId(), outcome);
                        if (outcome == CallOutcome.IN_DOUBT) {
                            needResync = true; // only a describe can say whether the failed call was applied
                        }
                    }
                }
                case Plan.Nothing n -> {
                    return false;
                }
            }
            answered();
            record(plan, Result.DONE, "done");
            return true;
        } catch (CloudException.Throttled e) {
            record(plan, Result.THROTTLED, "throttled (" + e.code() + "), retry after " + e.retryAfter().toMillis() + " ms");
            backOff(e);
            return true;
        } catch (CloudException.CapacityExhausted e) {
            Plan smaller = e.scope() == CloudException.CapacityExhausted.Scope.SUBNET ? fitting(plan, e.available())
                    : null;
            if (smaller != null) {
                // the subnet has fewer than asked but some: take those now rather than nothing for subnetBackoff
                record(plan, Result.CAPACITY, "capacity: the subnet has only " + e.available() + " free; asking for what it has ("
                        + e.code() + ")");
                return execute(smaller, node);
            }
            record(plan, Result.CAPACITY, "capacity: " + e.code() + " " + e.getMessage());
            Instant until;
            if (e.scope() == CloudException.CapacityExhausted.Scope.SUBNET) {
                until = clock.instant().plus(settings.subnetBackoff());
            } else {
                // a limit our picture of the node missed (Azure's per-VM limit, a NIC full of someone else's
                // configurations): describe again, and do not ask the same again before a growing wait (issue 14.2)
                needResync = true;
                limitRefusals++;
                until = clock.instant().plus(limitBackoff(limitRefusals));
            }
            pool.pauseGrowth(until);
            boolean subnet = e.scope() == CloudException.CapacityExhausted.Scope.SUBNET;
            warnings.warn(subnet ? Warnings.Reason.SUBNET_EXHAUSTED : Warnings.Reason.CLOUD_LIMIT_REFUSED, "", "",
                    (subnet ? "the subnet has no free address for this node's pool" : "the cloud refused to grow"
                    + " the pool for an " + (e.scope() == CloudException.CapacityExhausted.Scope.INSTANCE_INTERFACES
                    ? "instance interface" : "interface or instance address") + " limit") + " (" + e.code() + ": "
                    + e.getMessage() + "); growth paused until " + until);
            refused(new CapacityRefusal(clock.instant(), plan instanceof Plan.Allocate a ? a.interfaceId() : null,
                    e.scope(), e.code(), e.getMessage(),
                    e.scope() == CloudException.CapacityExhausted.Scope.SUBNET ? 1 : limitRefusals, until));
            return false;
        } catch (CloudException.NotFound | CloudException.Conflict e) {
            record(plan, Result.REFUSED, e.condition() + ": " + e.code() + " " + e.getMessage());
            needResync = true;
            return false;
        } catch (CloudException e) {
            record(plan, Result.FAILED, "failed: " + e.code() + " " + e.getMessage());
            needResync = true;
            failed(plan.getClass().getSimpleName(), e);
            return false;
        }
    }

    /**
     * The same growth asking for only what a near-full subnet has ({@code free} addresses; a new interface's primary
     * takes one), or null when that is nothing or cannot be known (prefixes need aligned free blocks).
     */
    private static Plan fitting(Plan plan, int free) {
        return switch (plan) {
            case Plan.Allocate a when a.prefixes() == 0 && free > 0 && free < a.addresses() ->
                    new Plan.Allocate(a.interfaceId(), free, 0, "allocate " + free + " on " + a.interfaceId()
                            + ": all the subnet has (" + a.addresses() + " wanted)");
            case Plan.CreateInterface c when c.prefixes() == 0 && free > 1 && free - 1 < c.addresses() ->
                    new Plan.CreateInterface(free - 1, 0, "create interface with " + (free - 1)
                            + " addresses: all the subnet has (" + c.addresses() + " wanted)");
            default -> null;
        };
    }

    /** Keeps the refusal for introspection and tells the listeners (an Event, a metric). */
    private void refused(CapacityRefusal r) {
        lastCapacityRefusal = r;
        for (java.util.function.Consumer<CapacityRefusal> l : refusalListeners) {
            try {
                l.accept(r);
            } catch (RuntimeException ex) {
                LOG.warning("capacity refusal listener failed: " + ex); // a listener never stops the reconciler
            }
        }
    }

    /**
     * Calls {@code listener} on the reconciler thread each time a growth is refused for capacity (subnet exhausted,
     * an interface or instance limit), after growth has been paused: once per refused request, so at most once per
     * pause (5 s doubling to 5 min for a limit, IPAMD_SUBNET_BACKOFF for the subnet). It must not block.
     */
    public void onCapacityRefusal(java.util.function.Consumer<CapacityRefusal> listener) {
        refusalListeners.add(listener);
    }

    /** The last growth refused for capacity, or null if none was since start. */
    public CapacityRefusal lastCapacityRefusal() {
        return lastCapacityRefusal;
    }

    /** The growth pause after {@code refusals} limit refusals in a row: 5 s doubling, at most 5 minutes. */
    static Duration limitBackoff(int refusals) {
        long ms = MIN_LIMIT_BACKOFF.toMillis() << Math.min(16, Math.max(0, refusals - 1));
        return Duration.ofMillis(Math.min(ms, MAX_LIMIT_BACKOFF.toMillis()));
    }

    /** The cloud's current state for metrics and introspection. */
    public CloudHealth cloudHealth() {
        return health;
    }

    /** How much longer cloud calls are held because the cloud is failing (zero or negative: none). */
    private Duration holdLeft() {
        CloudHealth h = health;
        return h.failing() ? Duration.between(clock.instant(), h.nextTry()) : Duration.ZERO;
    }

    /** A cloud call failed in a way that says the cloud is failing: hold further calls (see the class comment). */
    private void failed(String what, CloudException e) {
        int failures = health.failures() + 1;
        Duration hold = e.retryAfter().isPositive() ? e.retryAfter() : cloudBackoff(failures, pacing.random());
        Instant next = clock.instant().plus(hold);
        health = new CloudHealth(failures, next, e.condition() + " " + e.code() + ": " + e.getMessage());
        if (e instanceof CloudException.Fatal f && f.permissionDenied()) {
            warnings.warn(Warnings.Reason.CLOUD_PERMISSION_DENIED, "", "", "the cloud denied " + what + " ("
                    + e.code() + ": " + e.getMessage() + "); the node's role or policy lacks the permission");
        }
        recordRaw("wait-for-cloud", Result.HOLDING, "the cloud is failing (" + what + ": " + e.condition() + " " + e.code() + ")",
                "no cloud call until " + next + " (" + failures + " failure" + (failures == 1 ? "" : "s")
                        + " in a row" + (e.retryAfter().isPositive() ? ", as the provider asked" : "") + ")");
    }

    /** A cloud call answered: whatever failed before is over. */
    private void answered() {
        throttles = 0;
        CloudHealth h = health;
        if (h.failing()) {
            health = CloudHealth.ANSWERING;
            recordRaw("wait-for-cloud", Result.RECOVERED, "the cloud answers again", "after " + h.failures() + " failure"
                    + (h.failures() == 1 ? "" : "s") + " in a row");
        }
    }

    /** {@link #MIN_CLOUD_BACKOFF} doubled per failure in a row, capped at {@link #MAX_CLOUD_BACKOFF}, +-20%. */
    static Duration cloudBackoff(int failures) {
        return cloudBackoff(failures, ThreadLocalRandom.current());
    }

    private static Duration cloudBackoff(int failures, RandomGenerator random) {
        long ms = Math.min(MAX_CLOUD_BACKOFF.toMillis(),
                MIN_CLOUD_BACKOFF.toMillis() << Math.min(20, Math.max(0, failures - 1)));
        long jittered = ms * 4 / 5 + random.nextLong(ms * 2 / 5 + 1);
        return Duration.ofMillis(Math.min(MAX_CLOUD_BACKOFF.toMillis(), jittered));
    }

    private InterfaceSpec spec(Plan.CreateInterface c, NodeInfo node) {
        Placement custom = placement;
        String subnet = custom != null ? custom.podSubnetId() : settings.podSubnetId();
        List<String> groups = custom != null && !custom.securityGroups().isEmpty()
                ? custom.securityGroups() : settings.securityGroups();
        if (subnet == null || subnet.isBlank()) {
            NetworkInterface primary = node.primaryInterface();
            subnet = primary != null ? primary.subnetId() : node.subnets().getFirst().id();
        }
        Map<String, String> tags = new HashMap<>(settings.extraTags());
        tags.put(OwnerTags.INSTANCE_ID, node.instanceId());
        tags.put(OwnerTags.CREATED_AT, clock.instant().toString());
        if (!settings.clusterName().isEmpty()) {
            tags.put(OwnerTags.CLUSTER, settings.clusterName());
        }
        return new InterfaceSpec(subnet, groups, c.addresses(), c.prefixes(), tags,
                "vpc-ipam " + node.instanceId());
    }

    private void shape(Planner.Shape shape) {
        pool.limits(shape);
        nodeLimits = new NodeLimits(shape.maxInterfaces(), shape.addressesPerInterface());
    }

    /**
     * The limits the pool grows within, for metrics.
     *
     * @param maxInterfaces         interfaces the pool may have (the card's limit, MAX_ENI, less unmanaged ones)
     * @param addressesPerInterface pod addresses one interface can hold (prefix members in prefix mode)
     */
    public record NodeLimits(int maxInterfaces, int addressesPerInterface) {
    }

    /** The limits found at the last pass, or null before the node was first read. */
    public NodeLimits nodeLimits() {
        return nodeLimits;
    }

    /** Deletes this node's detached interfaces created up to {@link #sweepBefore} (see the class comment). */
    private void sweepLeftovers(NodeInfo node) throws InterruptedException {
        Instant before = sweepBefore;
        try {
            int deleted = 0;
            for (NetworkInterface ni : provider.findOrphanedInterfaces(Map.of(OwnerTags.INSTANCE_ID,
                    node.instanceId()))) {
                Instant created = createdAt(ni);
                if (created == null || created.isAfter(before) || deleted >= MAX_ORPHANS_PER_RUN) {
                    continue;
                }
                provider.deleteInterface(ni.id());
                deleted++;
                recordRaw("collect-leftover", Result.DONE, "delete " + ni.id() + ": this node's, created " + created
                        + ", left detached by a crash or a lost answer", "done");
            }
            answered();
            sweepBefore = deleted >= MAX_ORPHANS_PER_RUN ? before : null;
        } catch (CloudException.Throttled e) {
            throttleWait(e); // no wait: tried again on the next pass
        } catch (CloudException e) {
            recordRaw("collect-leftover", Result.FAILED, "this node's detached interfaces", "failed: " + e.code() + " "
                    + e.getMessage());
            if (e instanceof CloudException.Fatal) {
                failed("collect-leftover", e);
            }
        }
    }

    private static Instant createdAt(NetworkInterface ni) {
        String created = ni.tags().get(OwnerTags.CREATED_AT);
        if (created == null) {
            return null;
        }
        try {
            return Instant.parse(created);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** Deletes interfaces this cluster (or, without a cluster name, this node) leaked, past their grace period. */
    private void collectOrphans() throws InterruptedException {
        NodeInfo node = pool.node();
        if (node == null || !caps.hotAttachInterfaces()) {
            return;
        }
        Map<String, String> owner = settings.clusterName().isEmpty()
                ? Map.of(OwnerTags.INSTANCE_ID, node.instanceId())
                : Map.of(OwnerTags.CLUSTER, settings.clusterName());
        try {
            int deleted = 0;
            for (NetworkInterface ni : provider.findOrphanedInterfaces(owner)) {
                if (deleted >= MAX_ORPHANS_PER_RUN) {
                    break;
                }
                if (!oldEnough(ni, clock.instant())) {
                    continue;
                }
                provider.deleteInterface(ni.id());
                deleted++;
                recordRaw("collect-orphan", Result.DONE, "delete leaked " + ni.id(), "done");
            }
        } catch (CloudException.Throttled e) {
            throttleWait(e); // no wait: tried again at the next run
        } catch (CloudException e) {
            recordRaw("collect-orphan", Result.FAILED, "leaked-interface collection", "failed: " + e.code() + " " + e.getMessage());
        }
    }

    private boolean oldEnough(NetworkInterface ni, Instant now) {
        String created = ni.tags().get(OwnerTags.CREATED_AT);
        if (created == null) {
            return false;
        }
        try {
            return !Instant.parse(created).plus(settings.orphanGrace()).isAfter(now);
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private void backOff(CloudException.Throttled e) throws InterruptedException {
        pacing.sleep(throttleWait(e));
    }

    /**
     * How long to wait after a throttle: the cloud's retry-after (at least 50 ms), plus a uniform draw from a spread
     * that doubles with each throttle in a row ({@link #THROTTLE_SPREAD} up to {@link #MAX_THROTTLE_SPREAD}). A bucket
     * the whole account shares gives every node the same retry-after (its next token), so without a growing, random
     * spread a throttled fleet retries in step and is throttled again, call after call. Also puts the next periodic
     * re-read off by an interval: the account is busy, and drift can wait for the calls pods are waiting for.
     */
    private Duration throttleWait(CloudException.Throttled e) {
        throttles++;
        deferPeriodicResync(1);
        long base = Math.max(50, e.retryAfter().toMillis());
        long spread = Math.min(MAX_THROTTLE_SPREAD.toMillis(), THROTTLE_SPREAD.toMillis() << Math.min(throttles - 1, 16));
        return Duration.ofMillis(base + pacing.random().nextLong(spread + 1));
    }

    /**
     * Puts the periodic re-read off by {@code intervals} resync intervals (jittered) from now, or leaves it later. The
     * account is throttling: a re-read that only looks for drift can wait, and the calls of pods waiting for an
     * address cannot. Needed re-reads are not affected; once the throttling stops, a re-read follows within the
     * deferral.
     */
    private void deferPeriodicResync(long intervals) {
        Instant later = clock.instant().plus(jitter(settings.resyncInterval().multipliedBy(intervals)));
        if (later.isAfter(periodicResyncAfter)) {
            periodicResyncAfter = later;
        }
    }

    /**
     * When a periodic re-read stops being put off: {@code 2^}{@link #MAX_RESYNC_DEFERRAL_DOUBLINGS} intervals after the
     * last answered re-read. Drift (an address removed behind our back) must be seen even while the account throttles
     * steadily; past this the re-read is retried like a needed one.
     */
    private Instant periodicResyncDeadline() {
        return lastResync.plus(settings.resyncInterval().multipliedBy(1L << MAX_RESYNC_DEFERRAL_DOUBLINGS));
    }

    /** How long the pass loop waits for a wake-up before the next timed pass: the interval, jittered by +-20%. */
    public Duration nextPassDelay() {
        return jitter(settings.interval());
    }

    private Duration jitter(Duration d) {
        long ms = Math.max(1, d.toMillis());
        return Duration.ofMillis(ms * 4 / 5 + pacing.random().nextLong(ms * 2 / 5 + 1));
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Outcome of every plan while provisioning is off; logged once per different plan, not every pass. */
    static final String PROVISIONING_OFF = "skipped: DISABLE_NETWORK_RESOURCE_PROVISIONING=true (no cloud"
            + " call; pods get the addresses already on the node)";

    private void skipped(Plan plan) {
        Decision last;
        synchronized (decisions) {
            last = decisions.peekLast();
        }
        if (last != null && last.plan().equals(plan.getClass().getSimpleName()) && last.reason().equals(plan.reason())
                && last.outcome().equals(PROVISIONING_OFF)) {
            return; // the same as last pass: nothing new to tell
        }
        record(plan, Result.SKIPPED, PROVISIONING_OFF);
    }

    private void record(Plan plan, Result result, String outcome) {
        recordRaw(plan.getClass().getSimpleName(), result, plan.reason(), outcome);
    }

    private void recordRaw(String kind, Result result, String reason, String outcome) {
        Decision d = new Decision(clock.instant(), kind, reason, outcome, result);
        boolean repeat;
        synchronized (decisions) {
            Decision last = decisions.peekLast();
            repeat = last != null && last.plan().equals(kind) && last.reason().equals(reason)
                    && last.outcome().equals(outcome);
            if (repeat) {
                decisions.pollLast(); // an idle pool repeats itself: keep the newest only
            }
            decisions.addLast(d);
            while (decisions.size() > MAX_DECISIONS) {
                decisions.pollFirst();
            }
        }
        if (!"idle".equals(outcome) && !(repeat && outcome.startsWith("held: "))) {
            LOG.info(kind + ": " + reason + " -> " + outcome);
        }
    }

    /** The latest decisions, oldest first. */
    public List<Decision> decisions() {
        synchronized (decisions) {
            return new ArrayList<>(decisions);
        }
    }

    /** Stops the loop; an in-flight cloud call finishes first. */
    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
