package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.Checkpoint;
import io.vpcipam.ipamd.lease.CheckpointState;
import io.vpcipam.ipamd.lease.GroupCommit;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.provider.sim.SimulatedCloud;
import io.vpcipam.provider.testkit.FakeClock;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One node in a test: the simulated cloud with its state file, the pool, a reconciler driven by hand (no thread),
 * and the checkpoint. {@link #crashAndRestart()} drops every in-memory object and rebuilds from disk, as a kill -9
 * followed by a restart would.
 */
final class TestNode implements AutoCloseable {
    final Path dir;
    final FakeClock clock = FakeClock.at("2026-11-26T12:00:00Z");
    final String instanceType;
    final Reconciler.Settings settings;
    final Duration cooldown;
    SimulatedCloud cloud;
    AddressPool pool;
    Reconciler reconciler;
    GroupCommit commit;
    Checkpoint checkpoint;

    TestNode(Path dir, String instanceType, Targets targets, Duration cooldown) throws Exception {
        this.dir = dir;
        this.instanceType = instanceType;
        this.cooldown = cooldown;
        this.settings = new Reconciler.Settings(targets, Duration.ZERO, Duration.ofSeconds(5), Duration.ofSeconds(60),
                Duration.ofSeconds(120), Duration.ZERO, Duration.ofMinutes(5), null, List.of(), "test", Map.of());
        boot();
    }

    private void boot() throws Exception {
        cloud = SimulatedCloud.builder().instanceType(instanceType).clock(clock)
                .stateFile(dir.resolve(SimulatedCloud.STATE_FILE_NAME)).build();
        checkpoint = new Checkpoint(dir.resolve("checkpoint.json"));
        CheckpointState saved = checkpoint.load();
        pool = new AddressPool(clock, cooldown, source -> commit = new GroupCommit(checkpoint, source), () -> { },
                r -> { });
        reconciler = new Reconciler(cloud, pool, settings, clock);
        pool.restore(cloud.describeNode(), saved);
        pool.persist();
    }

    /**
     * {@code n} pods came and went: each ADD (keys {@code c0..c<n-1>}, eth0) is followed by a reconcile pass, as the
     * waiting ADD would wake the reconciler, then every pod is deleted. Leaves {@code n} addresses free (cooling when
     * the node has a cool-down) on top of the warm pool.
     */
    void podsCameAndWent(int n) throws Exception {
        for (int i = 0; i < n; i++) {
            pool.add(new LeaseKey("vpc-ipam", "c" + i, "eth0"), "", "ns", "pod" + i,
                    Duration.ZERO);
            reconciler.pass();
        }
        for (int i = 0; i < n; i++) {
            pool.del(new LeaseKey("vpc-ipam", "c" + i, "eth0"));
        }
    }

    /** Forgets everything in memory; what was acknowledged is on disk (checkpoint and cloud state). */
    void crashAndRestart() throws Exception {
        commit.close();
        boot();
    }

    /** kill -9 and restart: nothing is flushed, so only what was durable when acknowledged is read back. */
    void kill() throws Exception {
        boot(); // the old commit is dropped unclosed (it holds no thread): closing it would write its pending state
    }

    @Override
    public void close() {
        commit.close();
    }
}
