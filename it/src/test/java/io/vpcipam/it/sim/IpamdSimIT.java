package io.vpcipam.it.sim;

import io.vpcipam.it.IpamdProcess;
import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.protocol.StatusInfo;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.sim.SimulatedCloud;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real daemon, as users run it, on the simulated cloud: warm-up, bursts, kill -9 and restart. */
class IpamdSimIT {

    @TempDir
    Path dir;

    static Request add(int i) {
        return IpamdProcess.podAdd(i);
    }

    @Test
    void run_warmsThePoolAndServesABurstWithDistinctVpcAddresses() throws Exception {
        try (IpamdProcess ipamd = IpamdProcess.start("sim", dir, Map.of("IPAMD_SIM_INSTANCE_TYPE", "m5.large",
                "WARM_IP_TARGET", "4"), Duration.ofSeconds(30))) {
            List<Reply> replies = ipamd.addPods(0, 20);
            Set<String> addresses = new HashSet<>();
            for (Reply r : replies) {
                assertTrue(r.ok(), String.valueOf(r.error()));
                assertTrue(addresses.add(r.lease().address()), "address handed out twice: " + r.lease().address());
            }
            StatusInfo s = ipamd.call(Request.status()).status();
            assertEquals(20, s.pool().assigned());
            assertTrue(s.interfaces().size() >= 3, "20 pods on m5.large (9 per ENI) need three ENIs");
        }
    }

    @Test
    void killMinus9DuringABurst_thenRestart_noAddressTwiceAndAcknowledgedLeasesKept() throws Exception {
        Map<String, String> env = Map.of("IPAMD_SIM_INSTANCE_TYPE", "c5.4xlarge", "WARM_IP_TARGET", "2",
                "IPAMD_SIM_LATENCY_MS", "20");
        Map<String, String> acknowledged = new HashMap<>();
        IpamdProcess first = IpamdProcess.start("sim", dir, env, Duration.ofSeconds(30));
        for (Reply r : first.addPods(0, 30)) {
            acknowledged.put(r.lease().address(), "");
        }
        List<Reply> before = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            before.add(first.call(Request.check("vpc-ipam", "container-" + i, "eth0")));
        }
        // a second burst is in flight when the node dies
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Reply>> inflight = new ArrayList<>();
            for (int i = 30; i < 90; i++) {
                int n = i;
                inflight.add(ex.submit(() -> first.call(add(n))));
            }
            Thread.sleep(30);
            first.kill();
            for (int i = 0; i < inflight.size(); i++) {
                try {
                    Reply r = inflight.get(i).get(10, TimeUnit.SECONDS);
                    if (r != null && r.ok()) {
                        acknowledged.put(r.lease().address(), "container-" + (30 + i));
                    }
                } catch (Exception killed) {
                    // no reply: the shim would retry this ADD
                }
            }
        }
        try (IpamdProcess second = IpamdProcess.start("sim", dir, env, Duration.ofSeconds(30))) {
            for (int i = 0; i < 30; i++) {
                Reply r = second.call(Request.check("vpc-ipam", "container-" + i, "eth0"));
                assertEquals(before.get(i).lease().address(), r.lease().address(), "lease survived kill -9");
            }
            // every ADD acknowledged before the kill is still there, with its address
            StatusInfo s = second.call(Request.status()).status();
            Set<String> leased = new HashSet<>();
            for (StatusInfo.LeaseStatus l : s.leases()) {
                assertTrue(leased.add(l.address()), "address assigned twice after restart: " + l.address());
            }
            assertTrue(leased.containsAll(acknowledged.keySet()), "an acknowledged lease was lost");
            // retried and new ADDs never collide with restored leases
            for (Reply r : second.addPods(30, 120)) {
                assertTrue(r.ok(), String.valueOf(r.error()));
            }
            Set<String> all = new HashSet<>();
            for (StatusInfo.LeaseStatus l : second.call(Request.status()).status().leases()) {
                assertTrue(all.add(l.address()), "address assigned twice: " + l.address());
            }
            assertEquals(120, all.size());
            second.kill();
        }
        // the cloud still holds every leased address (its own state file, read after the daemon is gone)
        SimulatedCloud cloud = SimulatedCloud.builder().instanceType("c5.4xlarge")
                .stateFile(dir.resolve(SimulatedCloud.STATE_FILE_NAME)).build();
        Set<Ipv4Address> held = cloud.heldAddresses();
        String checkpoint = Files.readString(dir.resolve("checkpoint.json"), StandardCharsets.UTF_8);
        for (String a : leasedIn(checkpoint)) {
            assertTrue(held.contains(Ipv4Address.parse(a)), a + " is leased but not held by the node");
        }
    }

    @Test
    void restart_appliesDelsSpooledWhileIpamdWasDown_andKeepsUnreadableSpoolFilesAside() throws Exception {
        Map<String, String> env = Map.of("WARM_IP_TARGET", "3");
        String released;
        try (IpamdProcess first = IpamdProcess.start("sim", dir, env, Duration.ofSeconds(30))) {
            released = first.call(add(1)).lease().address();
            first.call(add(2));
            first.kill();
        }
        // what the CNI plugin leaves when a DEL finds ipamd down
        Path spool = dir.resolve("release-spool");
        Files.createDirectories(spool);
        Files.writeString(spool.resolve("0001.json"), Codec.encode(Request.del("vpc-ipam", "container-1", "eth0")) + "\n");
        Files.writeString(spool.resolve("0002.json"), "{not json");
        try (IpamdProcess second = IpamdProcess.start("sim", dir, env, Duration.ofSeconds(30))) {
            assertEquals("NOT_FOUND", second.call(Request.check("vpc-ipam", "container-1", "eth0")).error().code());
            assertTrue(second.call(Request.check("vpc-ipam", "container-2", "eth0")).ok(), "other leases untouched");
            assertTrue(Files.notExists(spool.resolve("0001.json")), "applied spool entries are removed");
            assertTrue(Files.exists(spool.resolve("0002.json.bad")), "an unreadable entry is kept for a human");
            StatusInfo s = second.call(Request.status()).status();
            assertTrue(s.leases().stream().noneMatch(l -> l.address().equals(released)));
        }
    }

    @Test
    void spooledDel_thenReAddAnswered_thenKill9_restartKeepsTheRunningPodsAddress() throws Exception {
        // the sweeper must not run before the kill: the restart is what applies the spool
        Map<String, String> env = Map.of("WARM_IP_TARGET", "3", "IPAMD_RECONCILE_INTERVAL", "30s",
                "IP_COOLDOWN_PERIOD", "0");
        String running;
        try (IpamdProcess first = IpamdProcess.start("sim", dir, env, Duration.ofSeconds(30))) {
            running = first.call(add(1)).lease().address();
            // the plugin's DEL of container-1 timed out: it spooled it, as Spool.write names the file
            Path spool = dir.resolve("release-spool");
            Files.createDirectories(spool);
            Path tmp = spool.resolve(".tmp-spooled");
            Files.writeString(tmp, Codec.encode(Request.del("vpc-ipam", "container-1", "eth0")) + "\n");
            Files.move(tmp, spool.resolve(String.format("%019d-k1.json", System.currentTimeMillis())),
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Thread.sleep(200); // the runtime retries the pod a little later
            Reply again = first.call(add(1));
            assertEquals(running, again.lease().address(), "the re-ADD is answered from the live lease");
            first.kill();
        }
        try (IpamdProcess second = IpamdProcess.start("sim", dir, env, Duration.ofSeconds(30))) {
            Reply kept = second.call(Request.check("vpc-ipam", "container-1", "eth0"));
            assertTrue(kept.ok(), "the restart applied the stale spooled DEL: " + kept.error() + "\n" + second.log());
            assertEquals(running, kept.lease().address());
            for (int i = 2; i < 8; i++) {
                assertTrue(!running.equals(second.call(add(i)).lease().address()),
                        "a new pod got the address of the running pod: " + running);
            }
        }
    }

    @Test
    void running_appliesADelSpooledWhileItRuns() throws Exception {
        try (IpamdProcess ipamd = IpamdProcess.start("sim", dir, Map.of("WARM_IP_TARGET", "3",
                "IPAMD_RECONCILE_INTERVAL", "1s"), Duration.ofSeconds(30))) {
            ipamd.call(add(7));
            Path spool = dir.resolve("release-spool");
            Files.createDirectories(spool);
            Path tmp = spool.resolve(".late.tmp");
            Files.writeString(tmp, Codec.encode(Request.del("vpc-ipam", "container-7", "eth0")) + "\n");
            Files.move(tmp, spool.resolve("late.json"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ipamd.call(Request.check("vpc-ipam", "container-7", "eth0")).ok() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals("NOT_FOUND", ipamd.call(Request.check("vpc-ipam", "container-7", "eth0")).error().code());
            assertTrue(Files.notExists(spool.resolve("late.json")));
        }
    }

    @Test
    void run_badEnvironment_exitsWithAMessageNamingTheVariable() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(IpamdProcess.java(), "-jar", IpamdProcess.jar().toString(), "run",
                "--provider", "sim", "--state-dir", dir.toString(), "--socket", dir.resolve("s").toString())
                .redirectErrorStream(true);
        pb.environment().put("WARM_IP_TARGET", "lots");
        pb.environment().put("IP_COOLDOWN_PERIOD", "-3");
        Process bad = pb.start();
        String out = new String(bad.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(bad.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, bad.exitValue(), out);
        assertTrue(out.contains("WARM_IP_TARGET='lots'") && out.contains("IP_COOLDOWN_PERIOD='-3'"), out);
    }

    @Test
    void status_printsATableAndJson() throws Exception {
        try (IpamdProcess ipamd = IpamdProcess.start("sim", dir, Map.of("WARM_IP_TARGET", "3"), Duration.ofSeconds(30))) {
            ipamd.call(add(1));
            String table = runCli("status", "--socket", ipamd.socket().toString());
            assertTrue(table.contains("INTERFACE") && table.contains("default/pod-1"), table);
            String json = runCli("status", "--json", "--socket", ipamd.socket().toString());
            Reply r = Codec.decodeReply(json.strip());
            assertEquals(1, r.status().pool().assigned());
        }
    }

    private static String runCli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(IpamdProcess.java(), "-jar", IpamdProcess.jar().toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        return out;
    }

    private static List<String> leasedIn(String checkpointJson) throws Exception {
        Object root = com.fasterxml.jackson.jr.ob.JSON.std.anyFrom(checkpointJson);
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) ((Map<?, ?>) root).get("leases")) {
            out.add((String) ((Map<?, ?>) o).get("address"));
        }
        return out;
    }

}
