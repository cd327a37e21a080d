package io.vpcipam.it.bench;

import io.vpcipam.it.IpamdProcess;
import io.vpcipam.it.cni.ImageNode;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * ipamd from the container image against the same ipamd as a plain {@code java -jar} process, side by side on one
 * node (as root; see {@link ImageNode}): time from start to the first 200 on {@code /readyz}, and resident memory with
 * 250 leases after a steady spell, both with the chart's JVM options ({@code javaOptions}) on the simulated cloud
 * (m5.24xlarge, so 250 pods fit; WARM_IP_TARGET 10, 1 s reconcile, as {@link MemoryBench}). The container runs the
 * image's jlink'ed runtime under containerd with the chart's env, mounts, capabilities and memory limit; the process
 * runs the build's JDK in the same network namespace.
 *
 * <p>Usage: {@code it/bench/run.sh image [starts] [steady-seconds]} (after the image is built).
 */
public final class ImageBench {

    public static void main(String[] args) throws Exception {
        int starts = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int steady = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        Path w = Files.createTempDirectory(Path.of("/tmp"), "vit-image-bench");
        try (ImageNode node = ImageNode.start(w)) {
            Path run = w.resolve("host/run"), state = w.resolve("host/state"), log = w.resolve("host/log");
            Path values = w.resolve("values.yaml");
            Files.writeString(values, """
                    provider: sim
                    sim: {instanceType: m5.24xlarge}
                    warmPool: {warmIpTarget: 10}
                    tuning: {reconcileInterval: 1s}
                    host: {runDir: %s, stateDir: %s, logDir: %s}
                    extraEnv:
                      - {name: IPAMD_KUBERNETES, value: "false"}
                    """.formatted(run, state, log));
            ImageNode.Rendered chart = ImageNode.Rendered.of(ImageNode.chart(), values);
            node.importImage(ImageNode.imageTar());
            int port = chart.container("ipamd").getReadinessProbe().getHttpGet().getPort().getIntVal();
            String javaOptions = chart.container("ipamd").getEnv().stream().filter(e -> e.getName().equals("JAVA_OPTS"))
                    .findFirst().orElseThrow().getValue();
            Path sock = run.resolve("ipamd.sock");
            System.out.printf("%-44s %10s %10s %10s %10s%n", "ipamd", "ready ms", "leases", "RSS MiB", "HWM MiB");

            List<Long> readyC = new ArrayList<>();
            String id = null;
            for (int i = 0; i < starts; i++) {
                if (id != null) {
                    node.stop(id, 10);
                }
                long t0 = System.nanoTime();
                id = node.run(chart, "ipamd", true);
                waitReady(node, port, t0);
                readyC.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            }
            long[] memC = leasesAndRss(sock, node.taskPid(id), steady);
            node.stop(id, 10);
            print("container (image runtime, containerd)", readyC, memC);
            deleteRecursively(state);

            // the reference: the same jar and options as a plain process in the same network namespace
            List<Long> readyP = new ArrayList<>();
            long[] memP = null;
            for (int i = 0; i < starts; i++) {
                List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + node.netns(),
                        IpamdProcess.java()));
                cmd.addAll(List.of(javaOptions.split(" ")));
                cmd.addAll(List.of("-jar", IpamdProcess.jar().toString(), "run"));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(w.resolve("plain.log").toFile()));
                pb.environment().keySet().removeIf(k -> k.startsWith("IPAMD_") || k.startsWith("WARM_"));
                chart.container("ipamd").getEnv().stream().filter(e -> e.getValue() != null)
                        .forEach(e -> pb.environment().put(e.getName(), e.getValue()));
                pb.environment().put("IPAMD_KUBERNETES", "false");
                long t0 = System.nanoTime();
                Process p = pb.start();
                try {
                    waitReady(node, port, t0);
                    readyP.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                    if (i == starts - 1) {
                        memP = leasesAndRss(sock, p.pid(), steady);
                    }
                } finally {
                    p.destroy();
                    p.waitFor(20, TimeUnit.SECONDS);
                }
            }
            print("process (build JDK, java -jar)", readyP, memP);
        } finally {
            new ProcessBuilder("rm", "-rf", w.toString()).start().waitFor();
        }
    }

    private static void waitReady(ImageNode node, int port, long t0) throws Exception {
        while (!node.httpOk(port, "/readyz")) {
            if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(120)) {
                throw new IllegalStateException("not ready in 120 s");
            }
            Thread.sleep(20);
        }
    }

    /** Takes 250 leases, waits {@code steady} seconds, returns {leases, VmRSS KiB, VmHWM KiB} of {@code pid}. */
    private static long[] leasesAndRss(Path sock, long pid, int steady) throws Exception {
        for (int i = 0; i < 250; i++) {
            Reply r = IpamdProcess.call(sock, Request.add("vpc-ipam", "c" + i, "eth0", "/proc/1/ns/net", "default",
                    "pod-" + i));
            if (!r.ok()) {
                throw new IllegalStateException(r.error().toString());
            }
        }
        Thread.sleep(steady * 1000L);
        int leases = IpamdProcess.call(sock, Request.status()).status().pool().assigned();
        String status = Files.readString(Path.of("/proc", Long.toString(pid), "status"));
        return new long[] {leases, kb(status, "VmRSS"), kb(status, "VmHWM")};
    }

    private static void print(String what, List<Long> ready, long[] mem) {
        System.out.printf("%-44s %10s %10d %10.1f %10.1f%n", what, ready.toString().replace(" ", ""), mem[0],
                mem[1] / 1024.0, mem[2] / 1024.0);
    }

    private static long kb(String status, String field) {
        for (String line : status.split("\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException(field + " not in /proc status");
    }

    private static void deleteRecursively(Path dir) throws Exception {
        new ProcessBuilder("rm", "-rf", dir.toString()).start().waitFor();
        Files.createDirectories(dir);
    }
}
