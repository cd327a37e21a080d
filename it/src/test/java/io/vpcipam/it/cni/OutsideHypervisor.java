package io.vpcipam.it.cni;

import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.sim.SimulatedCloud;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * The simulated cloud's hypervisor running outside ipamd, as a real one does: for an ipamd in a container, which
 * holds only NET_ADMIN and NET_RAW and so cannot enter other network namespaces ({@code IPAMD_SIM_FABRIC_NETNS}
 * needs {@code ip -n}, that is CAP_SYS_ADMIN). ipamd's simulated cloud keeps the node in its state file
 * ({@code <stateDir>/sim-cloud.state}); this watches that file and, after every change, plugs the attached
 * interfaces into the node and the VPC fabric with the simulated cloud's own hypervisor (a throwaway
 * {@link SimulatedCloud} over the same file, built with {@code plug}), so the links appear a moment after the
 * cloud call, as on EC2.
 */
final class OutsideHypervisor implements AutoCloseable {

    private final Path stateFile;
    private final String instanceType;
    private final String nodeNetns;
    private final String fabricNetns;
    private final Thread watcher;
    private volatile boolean closed;
    private volatile String lastError;

    private OutsideHypervisor(Path stateFile, String instanceType, String nodeNetns, String fabricNetns) {
        this.stateFile = stateFile;
        this.instanceType = instanceType;
        this.nodeNetns = nodeNetns;
        this.fabricNetns = fabricNetns;
        this.watcher = Thread.ofPlatform().daemon().name("outside-hypervisor").unstarted(this::watch);
    }

    /**
     * Launches the instance (the simulated cloud's state file in {@code stateDir}, with its primary interface),
     * plugs its primary interface into {@code nodeNetns} and starts watching for ipamd's changes.
     */
    static OutsideHypervisor launch(Path stateDir, String instanceType, String nodeNetns, String fabricNetns)
            throws IOException {
        Files.createDirectories(stateDir);
        OutsideHypervisor h = new OutsideHypervisor(stateDir.resolve(SimulatedCloud.STATE_FILE_NAME), instanceType,
                nodeNetns, fabricNetns);
        h.sync();
        h.watcher.start();
        return h;
    }

    /** The node as the cloud holds it now. */
    NodeInfo node() throws Exception {
        return SimulatedCloud.builder().instanceType(instanceType).stateFile(stateFile).build().describeNode();
    }

    /** The last plugging failure, or null. */
    String lastError() {
        return lastError;
    }

    private void sync() {
        // building over an existing state file only loads it; plug makes the links match it
        SimulatedCloud.builder().instanceType(instanceType).stateFile(stateFile).plug(nodeNetns, fabricNetns).build();
    }

    private void watch() {
        Object seen = version();
        while (!closed) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            Object now = version();
            if (!Objects.equals(now, seen)) {
                seen = now;
                try {
                    sync();
                    lastError = null;
                } catch (RuntimeException e) {
                    lastError = e.toString();
                }
            }
        }
    }

    /** The state file's inode and mtime: ipamd replaces it by rename, so either changes with every write. */
    private Object version() {
        try {
            BasicFileAttributes a = Files.readAttributes(stateFile, BasicFileAttributes.class);
            return a.fileKey() + "@" + a.lastModifiedTime().toMillis();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
        try {
            watcher.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
