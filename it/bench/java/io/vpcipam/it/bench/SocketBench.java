package io.vpcipam.it.bench;

import io.vpcipam.it.IpamdProcess;
import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * ADD+DEL round trips over the real socket of a real ipamd process (simulated cloud, warm pool), at 1, 16 and 64
 * concurrent clients, each request on a fresh connection as the CNI plugin makes them. Side by side, in the same run
 * and with the same client code: a trivial echo server on a Unix socket (the floor: connect + one line each way).
 *
 * <p>Usage: {@code it/bench/run.sh socket [seconds-per-level]}.
 */
public final class SocketBench {

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Path base = Path.of(args.length > 1 ? args[1] : System.getProperty("java.io.tmpdir"));
        int[] levels = {1, 16, 64};
        Path dir = Files.createTempDirectory(base, "socket-bench");
        System.out.printf("cores=%d, %d s per level, each request on a new connection, state dir %s%n",
                Runtime.getRuntime().availableProcessors(), seconds, dir);
        System.out.printf("%-18s %8s %12s %10s %10s %10s%n", "target", "clients", "round trips/s", "p50 us", "p99 us", "max us");
        try (IpamdProcess ipamd = IpamdProcess.start("sim", dir.resolve("ipamd"), Map.of(
                "IPAMD_SIM_INSTANCE_TYPE", "c5.4xlarge", "WARM_IP_TARGET", "80", "IP_COOLDOWN_PERIOD", "0",
                "IPAMD_METRICS_ADDRESS", "off"), Duration.ofSeconds(30));
             EchoServer echo = new EchoServer(dir.resolve("echo.sock"))) {
            waitForWarmPool(ipamd, 80);
            for (int level : levels) {
                print("echo (floor)", level, run(echo.path, level, seconds, false));
                print("ipamd ADD+DEL", level, run(ipamd.socket(), level, seconds, true));
            }
        }
    }

    private static void waitForWarmPool(IpamdProcess ipamd, int free) throws Exception {
        for (int i = 0; i < 200; i++) {
            if (ipamd.call(Request.status()).status().pool().free() >= free) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("pool did not warm");
    }

    record Result(long roundTrips, double seconds, long[] latenciesNanos) {
    }

    private static Result run(Path socket, int clients, int seconds, boolean ipamd) throws Exception {
        // warm-up, then the measured window
        runWindow(socket, clients, 1, ipamd, "warm");
        return runWindow(socket, clients, seconds, ipamd, "run");
    }

    private static Result runWindow(Path socket, int clients, int seconds, boolean ipamd, String tag) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        List<long[]> perClient = new ArrayList<>();
        int[] counts = new int[clients];
        CountDownLatch done = new CountDownLatch(clients);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            long[] lat = new long[2_000_000 / clients + 1000];
            perClient.add(lat);
            int client = c;
            threads.add(Thread.ofPlatform().start(() -> {
                int n = 0;
                try {
                    for (long i = 0; !stop.get() && n + 2 < lat.length; i++) {
                        String id = tag + "-" + client + "-" + i;
                        Request add = ipamd ? Request.add("bench", id, "eth0", "/proc/1/ns/net", "default", id)
                                : Request.status();
                        Request del = ipamd ? Request.del("bench", id, "eth0") : Request.status();
                        long t0 = System.nanoTime();
                        Reply a = call(socket, add);
                        long t1 = System.nanoTime();
                        Reply d = call(socket, del);
                        long t2 = System.nanoTime();
                        if (ipamd && (!a.ok() || !d.ok())) {
                            throw new IllegalStateException("request failed: " + a.error() + " / " + d.error());
                        }
                        lat[n++] = t1 - t0;
                        lat[n++] = t2 - t1;
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                } finally {
                    counts[client] = n;
                    done.countDown();
                }
            }));
        }
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        done.await();
        double elapsed = (System.nanoTime() - start) / 1e9;
        int total = Arrays.stream(counts).sum();
        long[] all = new long[total];
        int k = 0;
        for (int c = 0; c < clients; c++) {
            System.arraycopy(perClient.get(c), 0, all, k, counts[c]);
            k += counts[c];
        }
        Arrays.sort(all);
        return new Result(total, elapsed, all);
    }

    private static Reply call(Path socket, Request r) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            new FrameWriter(Channels.newOutputStream(ch)).write(r);
            return new FrameReader(Channels.newInputStream(ch), FrameReader.MAX_REPLY_FRAME_BYTES).readReply();
        }
    }

    private static void print(String target, int clients, Result r) {
        long[] l = r.latenciesNanos();
        System.out.printf("%-18s %8d %12.0f %10.0f %10.0f %10.0f%n", target, clients, r.roundTrips() / r.seconds(),
                pct(l, 0.50) / 1e3, pct(l, 0.99) / 1e3, l.length == 0 ? 0 : l[l.length - 1] / 1e3);
    }

    private static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    }

    /** One line in, a fixed small reply out: the cost of the transport alone. */
    static final class EchoServer implements AutoCloseable {
        final Path path;
        final ServerSocketChannel server;

        EchoServer(Path path) throws IOException {
            this.path = path;
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            Thread.ofPlatform().daemon().start(() -> {
                while (server.isOpen()) {
                    try {
                        SocketChannel ch = server.accept();
                        Thread.ofVirtual().start(() -> {
                            try (ch) {
                                FrameReader in = new FrameReader(Channels.newInputStream(ch));
                                FrameWriter out = new FrameWriter(Channels.newOutputStream(ch));
                                while (in.readFrame() != null) {
                                    out.write(Reply.success());
                                }
                            } catch (IOException ignored) {
                                // client gone
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        @Override
        public void close() throws IOException {
            server.close();
            Files.deleteIfExists(path);
        }
    }
}
