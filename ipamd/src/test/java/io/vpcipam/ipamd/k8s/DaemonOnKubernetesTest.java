package io.vpcipam.ipamd.k8s;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.vpcipam.ipamd.Config;
import io.vpcipam.ipamd.Daemon;
import io.vpcipam.ipamd.lease.LeaseKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole daemon, started from its environment as the chart starts it, with the mock API server. */
class DaemonOnKubernetesTest {

    static final String NODE = "node-1";

    @TempDir
    Path dir;
    MockApi api = new MockApi();
    Daemon daemon;

    @AfterEach
    void tearDown() {
        if (daemon != null) {
            daemon.close();
        }
        api.close();
    }

    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("IPAMD_PROVIDER", "sim");
        env.put("IPAMD_SOCKET", dir.resolve("ipamd.sock").toString());
        env.put("IPAMD_STATE_DIR", dir.resolve("state").toString());
        env.put("WARM_IP_TARGET", "2");
        env.put("IPAMD_KUBERNETES", "true");
        env.put("NODE_NAME", NODE);
        env.put("IPAMD_KUBERNETES_ENDPOINT", api.url());
        env.put("IPAMD_KUBERNETES_STARTUP_TIMEOUT", "1s");
        env.put("IPAMD_NODE_ANNOTATE_INTERVAL", "200ms");
        return env;
    }

    String annotation() {
        var node = api.admin().nodes().withName(NODE).get();
        var annotations = node.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(PoolAnnotation.KEY);
    }

    @Test
    void apiServerDownAtStart_daemonServesAnyway_andPublishesOnceItAnswers() throws Exception {
        api.admin().nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build())
                .create();
        api.down();
        Map<String, String> env = env();
        long start = System.nanoTime();
        daemon = Daemon.start(Config.fromEnv(env), env, InstantSource.system());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(10)) < 0);
        assertNotNull(daemon.kubernetes());
        assertNull(daemon.kubernetes().node());
        assertNotNull(daemon.pool().add(new LeaseKey("vpc-ipam", "c1", "eth0"), "/proc/1/ns/net", "ns", "p1",
                Duration.ofSeconds(10)));
        assertFalse(daemon.kubernetes().reachable());

        api.up();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (annotation() == null && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertNotNull(annotation(), "the pool is published once the API server answers");
        assertTrue(annotation().contains("\"assigned\":1"), annotation());
        assertTrue(daemon.kubernetes().reachable());
    }

    @Test
    void kubernetesOff_noIntegration() throws Exception {
        Map<String, String> env = env();
        env.put("IPAMD_KUBERNETES", "false");
        daemon = Daemon.start(Config.fromEnv(env), env, InstantSource.system());
        assertNull(daemon.kubernetes());
        assertEquals(0, daemon.pool().status().assigned());
    }
}
