package io.vpcipam.it.k8s;

import java.io.IOException;

/**
 * One control plane shared by the test classes that only create and read objects (each in its own namespace and
 * with its own node names); stopped by process id when the test JVM exits. Tests that stop, freeze or restart the
 * API server start their own {@link TestCluster}.
 */
public final class SharedCluster {

    private static TestCluster cluster;

    private SharedCluster() {
    }

    /** The shared cluster, started on first use. */
    public static synchronized TestCluster get() throws IOException, InterruptedException {
        if (cluster == null) {
            TestCluster.binaries(); // skip (or fail in CI) before anything starts
            cluster = TestCluster.start();
            TestCluster c = cluster;
            Runtime.getRuntime().addShutdownHook(new Thread(c::close, "vit-k8s-stop"));
        }
        return cluster;
    }
}
