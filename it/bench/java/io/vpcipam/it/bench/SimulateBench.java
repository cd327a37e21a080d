package io.vpcipam.it.bench;

import io.vpcipam.ipamd.simulate.Result;
import io.vpcipam.ipamd.simulate.Scenario;
import io.vpcipam.ipamd.simulate.Simulation;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@code ipamd simulate}'s run time and memory grow with the fleet: one simulated hour of churn (the simulator's
 * defaults: 20 pods per node living 10 minutes on average, a deployment of 5 pods per node every 15 minutes, one
 * account bucket of 20 calls/s) for each fleet size, each in a fresh JVM capped at {@code -Xmx2g} on two processors
 * ({@code -XX:ActiveProcessorCount=2}). Prints the wall and CPU time of the run, the JVM's peak heap and resident
 * memory, and the load average before and after (the machine's other work inflates wall time; CPU time less so).
 *
 * <p>Usage: {@code it/bench/run.sh simulate [nodes...] [-- SETTING=value...]} (default 100 1000 5000).
 */
public final class SimulateBench {

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--one")) {
            one(Integer.parseInt(args[1]), List.of(args).subList(2, args.length));
            return;
        }
        List<Integer> sizes = new ArrayList<>();
        List<String> extra = new ArrayList<>();
        boolean settings = false;
        for (String a : args) {
            if (a.equals("--")) {
                settings = true;
            } else if (settings) {
                extra.add(a);
            } else {
                sizes.add(Integer.parseInt(a));
            }
        }
        if (sizes.isEmpty()) {
            sizes = List.of(100, 1000, 5000);
        }
        System.out.printf("%7s %9s %9s %11s %9s %11s %11s %10s  %s%n", "nodes", "wall s", "cpu s", "events",
                "passes", "calls", "throttled", "heap MiB", "RSS MiB / load before -> after");
        for (int n : sizes) {
            String load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx2g", "-XX:ActiveProcessorCount=2", "-cp", System.getProperty("java.class.path"),
                    SimulateBench.class.getName(), "--one", Integer.toString(n)));
            cmd.addAll(extra);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            int rc = p.waitFor();
            String after = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
            System.out.println(rc == 0 ? out + " / load " + load + " -> " + after : "nodes " + n + " failed: " + out);
        }
    }

    /** One run in this JVM; prints one line of the table. */
    private static void one(int nodes, List<String> extra) throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("SIM_NODES", Integer.toString(nodes));
        settings.put("SIM_DURATION", "1h");
        // room for every node's pods and warm interfaces: 8 subnets of /16 (about 520,000 addresses)
        settings.put("SIM_SUBNETS", "8");
        settings.put("SIM_SUBNET_SIZE", "/16");
        for (String kv : extra) {
            int eq = kv.indexOf('=');
            settings.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        Result r = Simulation.run(Scenario.of(settings));
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        long heap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heap += pool.getPeakUsage().getUsed();
            }
        }
        long rssKb = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                rssKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        System.out.printf("%7d %9.1f %9.1f %,11d %,9d %,11d %,11d %10d  %d", nodes, wall, cpu, r.events(), r.passes(),
                r.totalCalls(), r.totalThrottled(), heap >> 20, rssKb >> 10);
    }
}
