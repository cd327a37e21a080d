package io.vpcipam.ipamd.takeover;

import io.vpcipam.ipamd.pool.AddressPool;
import io.vpcipam.provider.Ipv4Address;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Proves the addresses ipamd found when it took the node over free, round after round, until none is left: reads
 * the evidence (aws-node's checkpoint, the node's pods), asks {@link Takeover#provenFree} and hands the verdict to
 * the pool. Runs on its own virtual thread and ends when nothing is unproven.
 */
public final class Adoption implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Adoption.class.getName());

    private final AddressPool pool;
    private final Path awsNodeCheckpoint;
    private final Supplier<NodePods> pods;
    private final Duration interval;
    private volatile String reason = "not checked yet";
    private Thread thread;

    /**
     * @param awsNodeCheckpoint aws-node's checkpoint file, or null to ignore it
     * @param pods              lists the node's pods (throws a RuntimeException when the API server does not
     *                          answer), or null without Kubernetes
     * @param interval          time between rounds while something is unproven
     */
    public Adoption(AddressPool pool, Path awsNodeCheckpoint, Supplier<NodePods> pods, Duration interval) {
        this.pool = pool;
        this.awsNodeCheckpoint = awsNodeCheckpoint;
        this.pods = pods;
        this.interval = interval;
    }

    /** One round; public for tests. Returns how many addresses were proven free. */
    public int round() throws InterruptedException {
        Set<Ipv4Address> unproven = pool.unproven();
        if (unproven.isEmpty()) {
            reason = "nothing to prove";
            return 0;
        }
        Optional<AwsNodeCheckpoint> awsNode = Optional.empty();
        if (awsNodeCheckpoint != null) {
            try {
                awsNode = AwsNodeCheckpoint.read(awsNodeCheckpoint);
            } catch (IOException e) {
                LOG.warning("aws-node checkpoint ignored: " + e.getMessage());
            }
        }
        Optional<NodePods> listed = Optional.empty();
        if (pods != null) {
            try {
                listed = Optional.of(pods.get());
            } catch (RuntimeException e) {
                LOG.warning("cannot list the node's pods to prove taken-over addresses free: " + e.getMessage()
                        + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
            }
        }
        Set<String> ours = new HashSet<>();
        pool.status().leases().forEach(l -> ours.add(l.podNamespace() + "/" + l.podName()));
        Takeover.Verdict v = Takeover.provenFree(unproven, awsNode, listed, ours);
        String now = (unproven.size() - v.free().size()) + " unproven: " + v.reason();
        boolean changed = !now.equals(reason);
        reason = now; // before the pool changes, so whoever sees the pool proven sees why
        int proven = pool.prove(v.free());
        if (proven > 0 || changed) {
            LOG.info("takeover: " + proven + " addresses proven free of pods; " + now);
        }
        return proven;
    }

    /** Why addresses are still unproven (for introspection). */
    public String reason() {
        return reason;
    }

    /** Runs rounds until nothing is unproven. */
    public void start() {
        thread = Thread.ofPlatform().daemon().name("takeover").start(() -> {
            try {
                while (!pool.unproven().isEmpty()) {
                    round();
                    Thread.sleep(interval);
                }
                reason = "nothing to prove";
            } catch (InterruptedException e) {
                // closing
            } catch (RuntimeException e) {
                LOG.severe("takeover evidence loop stopped: " + e);
            }
        });
    }

    @Override
    public void close() {
        if (thread != null) {
            thread.interrupt();
        }
    }
}
