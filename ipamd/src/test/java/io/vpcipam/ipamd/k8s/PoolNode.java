package io.vpcipam.ipamd.k8s;

import io.vpcipam.provider.testkit.FakeClock;
import io.vpcipam.ipamd.lease.Checkpoint;
import io.vpcipam.ipamd.lease.GroupCommit;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.ipamd.pool.AddressPool;
import io.vpcipam.ipamd.pool.Grant;
import io.vpcipam.ipamd.pool.Reconciler;
import io.vpcipam.ipamd.pool.Targets;
import io.vpcipam.provider.sim.SimulatedCloud;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A node's pool on the simulated cloud with its checkpoint, driven by hand (no reconciler thread);
 * {@link #restart()} rebuilds it from disk as an ipamd restart would.
 */
final class PoolNode implements AutoCloseable {

    /** A clock the tests move. */
    final Path dir;
    final FakeClock clock = FakeClock.at("2026-11-26T12:00:00Z");
    final Targets targets;
    SimulatedCloud cloud;
    AddressPool pool;
    Reconciler reconciler;
    GroupCommit commit;

    PoolNode(Path dir, Targets targets) throws Exception {
        this.dir = dir;
        this.targets = targets;
        boot();
    }

    private void boot() throws Exception {
        cloud = SimulatedCloud.builder().instanceType("m5.large").clock(clock)
                .stateFile(dir.resolve(SimulatedCloud.STATE_FILE_NAME)).build();
        Checkpoint checkpoint = new Checkpoint(dir.resolve("checkpoint.json"));
        var saved = checkpoint.load();
        pool = new AddressPool(clock, Duration.ofSeconds(30), source -> commit = new GroupCommit(checkpoint, source),
                () -> { }, r -> { });
        reconciler = new Reconciler(cloud, pool, new Reconciler.Settings(targets, Duration.ZERO,
                Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ZERO,
                Duration.ofMinutes(5), null, List.of(), "test", Map.of()), clock);
        pool.restore(cloud.describeNode(), saved);
        pool.persist();
    }

    /** An ADD for a pod, as the CNI plugin sends it. */
    Grant add(String containerId, String namespace, String pod) throws Exception {
        return pool.add(new LeaseKey("vpc-ipam", containerId, "eth0"), "/proc/1/ns/net", namespace, pod,
                Duration.ofSeconds(2));
    }

    /** Drops everything in memory and starts again from the checkpoint and the cloud's state file. */
    void restart() throws Exception {
        commit.close();
        boot();
    }

    @Override
    public void close() {
        commit.close();
    }
}
