package io.vpcipam.ipamd.simulate;

import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.Daemon;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.ipamd.pool.AddressPool;
import io.vpcipam.ipamd.pool.Grant;
import io.vpcipam.ipamd.pool.PoolException;
import io.vpcipam.ipamd.pool.Reconciler;
import io.vpcipam.ipamd.pool.Wakeup;
import io.vpcipam.provider.sim.SimFleet;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * One simulated node: ipamd's own {@link AddressPool} and {@link Reconciler} (built as {@code Daemon} builds them,
 * from the same {@link Config}) over its instance of the shared {@link SimFleet}, driven by the {@link Scheduler}
 * instead of a thread and a timer.
 *
 * <p>The pass loop is the daemon's: a pass runs at once when an ADD finds the pool empty (a wake during a pass
 * runs another right after it), else after {@link Reconciler#nextPassDelay()}; while the cloud is failing, the next
 * pass waits for the reconciler's hold to end. Each pass is a scheduler process, so its cloud calls take their
 * latency and its throttle back-offs their retry-after in virtual time.
 *
 * <p>ADDs: where ipamd's socket thread blocks in {@link AddressPool#add} until an address comes, the simulator
 * queues the ADD (FIFO, counted to the pool with {@link AddressPool#heldBack} so the planner sees the same demand)
 * and retries the queue whenever this node's pass gives control back (after each cloud call: exactly when the new
 * addresses reached the pool) and when a cooling address becomes free. The wait is the ADD's time-to-IP. The
 * checkpoint, the socket, the host data path and Kubernetes are not simulated: they cost no cloud calls and only
 * local milliseconds, which the simulator counts as zero.
 */
final class SimNode {

    /** What a node reports about each ADD. */
    interface Listener {
        /** An ADD that arrived at {@code arrivedAt} got its address after {@code waitNanos} of virtual time. */
        void served(long arrivedAt, long waitNanos);

        /** An ADD that arrived at {@code arrivedAt} failed: the node is at its limits, every address in use. */
        void nodeFull(long arrivedAt);
    }

    private record QueuedAdd(String pod, LeaseKey key, long since) {
    }

    static final String NETWORK = "vpc-ipam";

    private final String name;
    private final Scheduler scheduler;
    private final SimFleet.Node cloud;
    private final AddressPool pool;
    private final Reconciler reconciler;
    private final Config config;
    private final Listener listener;
    private final ArrayDeque<QueuedAdd> queue = new ArrayDeque<>();
    private final Map<String, LeaseKey> pods = new HashMap<>(); // pods holding a lease
    private final Reconciler.Pacing pacing;
    private boolean booted;
    private boolean running; // a pass (or the boot) is in progress
    private boolean kicked; // woken during a pass: run another right after
    private long timerGeneration; // a timer event of an older generation was superseded
    private boolean stopped;
    private long passes;

    SimNode(String name, Scheduler scheduler, SimFleet.Node cloud, Config config, RandomGenerator random,
            Listener listener) {
        this.name = name;
        this.scheduler = scheduler;
        this.cloud = cloud;
        this.config = config;
        this.listener = listener;
        this.pacing = new Reconciler.Pacing() {
            @Override
            public void sleep(Duration d) {
                scheduler.sleep(d);
            }

            @Override
            public RandomGenerator random() {
                return random;
            }
        };
        this.pool = new AddressPool(scheduler, config.cooldown(), this::wake, reason -> { });
        this.reconciler = new Reconciler(cloud, pool, Daemon.reconcilerSettings(config), scheduler, nanos -> { },
                new Wakeup(), pacing);
    }

    String name() {
        return name;
    }

    SimFleet.Node cloud() {
        return cloud;
    }

    /** Passes run so far. */
    long passes() {
        return passes;
    }

    /** Pods holding an address now. */
    int assigned() {
        return pods.size();
    }

    /** ADDs waiting for an address now. */
    int waiting() {
        return queue.size();
    }

    /** Boots the node now: ipamd's start-up describe, then the first pass at once (as {@code Daemon.start}). */
    void boot() {
        running = true;
        scheduler.run(() -> {
            try {
                pool.sync(Daemon.describeUntilAnswered(cloud, pacing));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            reconciler.synced();
        }, this::yielded, () -> {
            booted = true;
            running = false;
            runPass();
        });
    }

    /** The node is gone (scale-down): its pods and queued ADDs go with it, no pass runs again. */
    void stop() {
        stopped = true;
        queue.clear();
        pods.clear();
        timerGeneration++;
    }

    boolean stopped() {
        return stopped;
    }

    /** A pod on this node asks for an address (CNI ADD). */
    void add(String pod) {
        if (stopped || pods.containsKey(pod)) {
            return;
        }
        LeaseKey key = new LeaseKey(NETWORK, pod, "eth0");
        if (!queue.isEmpty() || !booted) {
            enqueue(pod, key);
            return;
        }
        try {
            Grant g = pool.tryAdd(key, "/var/run/netns/" + pod, "default", pod);
            if (g != null) {
                pods.put(pod, key);
                listener.served(scheduler.nanos(), 0);
            } else {
                enqueue(pod, key);
                wake(); // the daemon's onDemand: an ADD found the pool empty
            }
        } catch (PoolException e) {
            failed(e, scheduler.nanos());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A pod on this node is deleted (CNI DEL): its address cools down; a queued ADD of it is called off. */
    void del(String pod) {
        if (stopped) {
            return;
        }
        LeaseKey key = pods.remove(pod);
        if (key == null) {
            queue.removeIf(q -> q.pod().equals(pod));
            pool.heldBack(queue.size());
            return;
        }
        try {
            pool.del(key);
        } catch (PoolException | InterruptedException e) {
            throw new IllegalStateException("DEL of " + pod + " on " + name + ": " + e.getMessage(), e);
        }
        if (!config.cooldown().isZero()) {
            // a queued ADD takes the address when its cool-down ends, as a blocked ADD wakes for it in ipamd
            scheduler.after(config.cooldown(), this::serveQueue);
        } else {
            serveQueue();
        }
    }

    private void enqueue(String pod, LeaseKey key) {
        queue.addLast(new QueuedAdd(pod, key, scheduler.nanos()));
        pool.heldBack(queue.size());
    }

    private void failed(PoolException e, long arrivedAt) {
        if ("NODE_FULL".equals(e.code())) {
            listener.nodeFull(arrivedAt);
        } else {
            throw new IllegalStateException("ADD on " + name + ": " + e.code() + " " + e.getMessage(), e);
        }
    }

    /** Serves queued ADDs, oldest first, while the pool has free addresses. */
    private void serveQueue() {
        if (stopped || !booted || queue.isEmpty()) {
            return;
        }
        Iterator<QueuedAdd> it = queue.iterator();
        while (it.hasNext()) {
            QueuedAdd q = it.next();
            try {
                Grant g = pool.tryAdd(q.key(), "/var/run/netns/" + q.pod(), "default", q.pod());
                if (g == null) {
                    break;
                }
                it.remove();
                pods.put(q.pod(), q.key());
                listener.served(q.since(), scheduler.nanos() - q.since());
            } catch (PoolException e) {
                it.remove();
                failed(e, q.since());
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        pool.heldBack(queue.size());
    }

    /** The daemon's wake(): a pass now, or right after the running one. */
    private void wake() {
        if (stopped || !booted) {
            return;
        }
        if (running) {
            kicked = true;
            return;
        }
        Reconciler.CloudHealth health = reconciler.cloudHealth();
        if (health.failing() && health.nextTry().isAfter(scheduler.instant())) {
            return; // wake-ups do not shorten the hold; the timer is set for its end
        }
        long generation = ++timerGeneration;
        scheduler.after(Duration.ZERO, () -> {
            if (generation == timerGeneration) {
                runPass();
            }
        });
    }

    private void runPass() {
        if (stopped) {
            return;
        }
        running = true;
        kicked = false;
        timerGeneration++;
        passes++;
        scheduler.run(() -> {
            try {
                reconciler.pass();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, this::yielded, this::passEnded);
    }

    /** The pass gave control back (a cloud call is in flight or done): waiting ADDs may have addresses now. */
    private void yielded() {
        serveQueue();
    }

    private void passEnded() {
        running = false;
        serveQueue();
        if (stopped) {
            return;
        }
        Reconciler.CloudHealth health = reconciler.cloudHealth();
        Duration delay;
        if (health.failing() && health.nextTry().isAfter(scheduler.instant())) {
            delay = Duration.between(scheduler.instant(), health.nextTry());
        } else if (kicked) {
            delay = Duration.ZERO;
        } else {
            delay = reconciler.nextPassDelay();
        }
        kicked = false;
        long generation = ++timerGeneration;
        scheduler.after(delay, () -> {
            if (generation == timerGeneration) {
                runPass();
            }
        });
    }
}
