package io.vpcipam.it.bench;

import io.vpcipam.it.IpamdProcess;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Resident memory of a real ipamd process holding 250 leases, steady (after several reconcile passes), on the
 * simulated cloud (m5.24xlarge, so 250 pods fit), for the JVM options the chart uses (its {@code javaOptions}), the
 * same with C1 only, and the JVM's defaults.
 *
 * <p>Usage: {@code it/bench/run.sh memory [steady-seconds]}.
 */
public final class MemoryBench {

    public static void main(String[] args) throws Exception {
        int steady = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        System.out.printf("%-52s %8s %10s %10s%n", "jvm options", "leases", "RSS MiB", "HWM MiB");
        List<String> chart = List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx64m", "-XX:MaxMetaspaceSize=64m", "-Xss512k");
        List<String> c1Only = new java.util.ArrayList<>(chart);
        c1Only.add("-XX:TieredStopAtLevel=1");
        for (List<String> opts : List.of(chart, c1Only, List.<String>of())) {
            Path dir = Files.createTempDirectory("memory-bench");
            try (IpamdProcess ipamd = IpamdProcess.start("sim", dir, Map.of("IPAMD_SIM_INSTANCE_TYPE", "m5.24xlarge",
                    "WARM_IP_TARGET", "10", "IPAMD_RECONCILE_INTERVAL", "1s"), Duration.ofSeconds(30), opts)) {
                for (int i = 0; i < 250; i++) {
                    Reply r = ipamd.call(Request.add("vpc-ipam", "c" + i, "eth0", "/proc/1/ns/net", "default", "pod-" + i));
                    if (!r.ok()) {
                        throw new IllegalStateException(r.error().toString());
                    }
                }
                Thread.sleep(steady * 1000L);
                int leases = ipamd.call(Request.status()).status().pool().assigned();
                String status = Files.readString(Path.of("/proc", Long.toString(ipamd.pid()), "status"));
                System.out.printf("%-52s %8d %10.1f %10.1f%n", opts.isEmpty() ? "(JVM defaults)" : String.join(" ", opts),
                        leases, kb(status, "VmRSS") / 1024.0, kb(status, "VmHWM") / 1024.0);
            }
        }
    }

    private static long kb(String status, String field) {
        for (String line : status.split("\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException(field + " not in /proc status");
    }
}
