package io.vpcipam.it.sim;

import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.it.IpamdProcess;
import io.vpcipam.it.IpamdProcess.Cli;
import io.vpcipam.protocol.Reply;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.sim.SimulatedCloud;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.vpcipam.it.IpamdProcess.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real ipamd taking over a node aws-node ran, as an operator sees it: the node (in the simulated cloud's state
 * file) has aws-node's addresses on the primary ENI, a Multus ENI tagged no_manage and an EFA interface on network
 * card 1, and aws-node's checkpoint names two running pods. The CLI shows the unmanaged interfaces and the
 * unproven addresses; no pod gets any of them; a kill -9 and restart keeps them unproven.
 */
class TakeoverIT {

    @TempDir
    Path dir;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Map<String, Object> pool(String intro) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + intro + "/v1/pool")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.std.mapFrom(r.body());
    }

    private static int unproven(String intro) throws Exception {
        return ((Number) ((Map<?, ?>) pool(intro).get("pool")).get("unproven")).intValue();
    }

    @Test
    void takeover_fromAwsNode_unmanagedInterfacesAndRunningPodsAddressesAreLeftAlone_acrossARestart()
            throws Exception {
        SimulatedCloud cloud = SimulatedCloud.builder().instanceType("m5.large")
                .stateFile(Files.createDirectories(dir).resolve(SimulatedCloud.STATE_FILE_NAME)).build();
        List<Ipv4Address> awsNodes = cloud.assign(cloud.peekNode().primaryInterface().id(), 4, 0).addresses();
        String multus = cloud.attachForeignInterface(cloud.nodeSubnetId(), 0,
                Map.of(NetworkInterface.AWS_NO_MANAGE_TAG, "true"), 2);
        String efa = cloud.attachForeignInterface(cloud.nodeSubnetId(), 1, Map.of(), 1);
        Set<Ipv4Address> untouchable = new HashSet<>(List.of(awsNodes.get(0), awsNodes.get(1)));
        cloud.peekNode().interfaces().stream().filter(i -> !i.usable())
                .forEach(i -> untouchable.addAll(i.secondaryAddresses()));
        Path ipamJson = Files.createDirectories(dir.resolve("aws-node")).resolve("ipam.json");
        Files.writeString(ipamJson, "{\"version\":\"vpc-cni-ipam/1\",\"allocations\":["
                + "{\"networkName\":\"aws-cni\",\"containerID\":\"a1\",\"ifName\":\"eth0\",\"ipv4\":\"" + awsNodes.get(0)
                + "\",\"metadata\":{\"k8sPodNamespace\":\"shop\",\"k8sPodName\":\"web-0\"}},"
                + "{\"networkName\":\"aws-cni\",\"containerID\":\"a2\",\"ifName\":\"eth0\",\"ipv4\":\"" + awsNodes.get(1)
                + "\",\"metadata\":{\"k8sPodNamespace\":\"shop\",\"k8sPodName\":\"web-1\"}}]}");
        String intro = "127.0.0.1:" + freePort();
        Map<String, String> env = Map.of("IPAMD_SIM_INSTANCE_TYPE", "m5.large", "WARM_IP_TARGET", "2",
                "IP_COOLDOWN_PERIOD", "0", "IPAMD_RECONCILE_INTERVAL", "200ms", "IPAMD_KUBERNETES", "false",
                "IPAMD_AWS_NODE_CHECKPOINT", ipamJson.toString(), "IPAMD_INTROSPECTION_ADDRESS", intro);

        try (IpamdProcess ipamd = IpamdProcess.start("sim", dir, env, Duration.ofSeconds(60))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (unproven(intro) > 2 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(2, unproven(intro), "aws-node's two pods' addresses stay unproven");

            Cli status = cli("status", "--introspection", intro);
            assertEquals(0, status.exit(), status.err());
            assertTrue(status.out().lines().anyMatch(l -> l.startsWith(multus) && l.endsWith("no (no_manage_tag)")),
                    status.out());
            assertTrue(status.out().lines().anyMatch(l -> l.startsWith(efa) && l.endsWith("no (network_card)")),
                    status.out());
            Cli explain = cli("explain", "--introspection", intro);
            assertTrue(explain.out().contains("unmanaged " ) && explain.out().contains(multus + " (no_manage_tag)"),
                    explain.out());
            assertTrue(explain.out().contains("takeover  2 unproven: 2 given to pods by aws-node's checkpoint"),
                    explain.out());

            for (Reply r : ipamd.addPods(1, 9)) {
                assertTrue(r.ok(), r.toString());
                assertFalse(untouchable.contains(Ipv4Address.parse(r.lease().address())),
                        "a pod got " + r.lease().address() + ", which is another CNI's or on an unmanaged interface");
            }
            ipamd.kill();
        }
        try (IpamdProcess again = IpamdProcess.start("sim", dir, env, Duration.ofSeconds(60))) {
            assertEquals(2, unproven(intro), "the restart keeps what was not proven, and only that");
            for (Reply r : again.addPods(9, 12)) {
                assertTrue(r.ok(), r.toString());
                assertFalse(untouchable.contains(Ipv4Address.parse(r.lease().address())), r.lease().address());
            }
        }
        SimulatedCloud after = SimulatedCloud.builder().instanceType("m5.large")
                .stateFile(dir.resolve(SimulatedCloud.STATE_FILE_NAME)).build();
        Set<Ipv4Address> held = new HashSet<>();
        after.peekNode().interfaces().forEach(i -> held.addAll(i.secondaryAddresses()));
        assertTrue(held.containsAll(untouchable), "an untouchable address was released");
    }
}
