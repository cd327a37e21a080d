package io.vpcipam.it.bench;

import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.Daemon;
import io.vpcipam.it.IpamdProcess;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.provider.sim.SimulatedCloud;
import io.vpcipam.provider.sim.Verb;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * 100 ADDs at once, over the real socket, on a cold c5.4xlarge node of the simulated cloud with 100 ms per mutating
 * call and an account budget of 5 calls/s: time until every pod has an address, and the cloud calls it cost, next to
 * the fewest calls the limits allow (every call fills an interface: ceil((pods + warm) / 29) on a node whose primary
 * interface starts empty). Runs each warm-target setting in turn.
 *
 * <p>Usage: {@code it/bench/run.sh burst [pods]}.
 */
public final class BurstBench {

    public static void main(String[] args) throws Exception {
        int pods = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        System.out.printf("c5.4xlarge (8 ENIs x 29 secondary slots), sim latency 100 ms/mutating call, budget 5 calls/s, %d ADDs at once%n", pods);
        System.out.printf("%-26s %10s %12s %10s %12s %8s %10s%n", "targets", "served", "all served s", "mutating",
                "min calls", "ratio", "describes");
        for (Map<String, String> targets : List.of(Map.of("WARM_ENI_TARGET", "1"), Map.of("WARM_IP_TARGET", "8"),
                Map.of("WARM_IP_TARGET", "8", "MINIMUM_IP_TARGET", "30"))) {
            run(pods, targets);
        }
    }

    private static void run(int pods, Map<String, String> targets) throws Exception {
        Path dir = Files.createTempDirectory("burst-bench");
        Map<String, String> env = new HashMap<>(targets);
        env.put("IPAMD_STATE_DIR", dir.toString());
        env.put("IPAMD_SOCKET", dir.resolve("ipamd.sock").toString());
        env.put("IPAMD_ADD_TIMEOUT", "30s");
        env.put("IPAMD_METRICS_ADDRESS", "off");
        env.put("IPAMD_INTROSPECTION_ADDRESS", "off");
        SimulatedCloud cloud = SimulatedCloud.builder().instanceType("c5.4xlarge").latency(Duration.ofMillis(100))
                .apiRate(5).build();
        Config config = Config.fromEnv(env);
        long start = System.nanoTime();
        try (Daemon daemon = Daemon.start(config, cloud, InstantSource.system())) {
            List<Future<Reply>> replies = new ArrayList<>();
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < pods; i++) {
                    int n = i;
                    replies.add(ex.submit(() -> IpamdProcess.call(config.socket(),
                            Request.add("vpc-ipam", "c" + n, "eth0", "/proc/1/ns/net", "default", "p" + n))));
                }
                int served = 0;
                for (Future<Reply> f : replies) {
                    if (f.get(60, TimeUnit.SECONDS).ok()) {
                        served++;
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                Thread.sleep(1500); // let the warm target settle so its calls are counted too
                int slots = 29;
                int warm = targets.containsKey("WARM_IP_TARGET") ? Integer.parseInt(targets.get("WARM_IP_TARGET")) : slots;
                int minimum = Integer.parseInt(targets.getOrDefault("MINIMUM_IP_TARGET", "0"));
                int minCalls = (int) Math.ceil(Math.max(pods + warm, minimum) / (double) slots);
                long calls = cloud.mutatingCalls();
                System.out.printf("%-26s %6d/%-3d %12.2f %10d %12d %8.2f %10d%n", targets, served, pods, seconds, calls,
                        minCalls, calls / (double) minCalls, cloud.calls(Verb.DESCRIBE_NODE));
            }
        }
    }
}
