package io.vpcipam.ipamd;

import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.protocol.StatusInfo;
import io.vpcipam.protocol.Codec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** {@code ipamd run | status}: wires things up and nothing else. */
@Command(name = "ipamd", mixinStandardHelpOptions = true, version = "vpc-ipam 0.1.0",
        description = "Per-node IPAM daemon: keeps a warm pool of VPC addresses and serves them to the CNI plugin.",
        subcommands = {Main.Run.class, Main.Status.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    /** Process entry point. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.err);
        return 2;
    }

    /** {@code ipamd run}: the daemon. */
    @Command(name = "run", description = "Run the daemon (flags override the environment variables).")
    static final class Run implements Callable<Integer> {
        @Option(names = "--provider", description = "sim, aws or azure (IPAMD_PROVIDER; default sim)")
        String provider;
        @Option(names = "--socket", description = "socket path (IPAMD_SOCKET; default " + Config.DEFAULT_SOCKET + ")")
        Path socket;
        @Option(names = "--state-dir", description = "state dir (IPAMD_STATE_DIR; default " + Config.DEFAULT_STATE_DIR + ")")
        Path stateDir;

        @Override
        public Integer call() throws Exception {
            Map<String, String> env = new HashMap<>(System.getenv());
            if (provider != null) {
                env.put("IPAMD_PROVIDER", provider);
            }
            if (socket != null) {
                env.put("IPAMD_SOCKET", socket.toString());
            }
            if (stateDir != null) {
                env.put("IPAMD_STATE_DIR", stateDir.toString());
            }
            configureLogging(env.getOrDefault("IPAMD_LOG_LEVEL", "info"));
            Config config;
            try {
                config = Config.fromEnv(env);
            } catch (ConfigException e) {
                System.err.println("ipamd: " + e.getMessage());
                return 2;
            }
            Daemon daemon;
            try {
                daemon = Daemon.start(config, env, InstantSource.system());
            } catch (IllegalArgumentException | IllegalStateException | io.vpcipam.ipamd.lease.CheckpointException e) {
                System.err.println("ipamd: " + e.getMessage());
                return 2;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                daemon.close();
                stopped.countDown();
            }, "shutdown"));
            stopped.await();
            return 0;
        }
    }

    /** {@code ipamd status}: asks the running daemon over its socket. */
    @Command(name = "status", description = "Show the pool, interfaces and leases of the running daemon.")
    static final class Status implements Callable<Integer> {
        @Option(names = "--socket", description = "socket path (IPAMD_SOCKET; default " + Config.DEFAULT_SOCKET + ")")
        Path socket;
        @Option(names = "--json", description = "print the status as JSON")
        boolean json;

        @Override
        public Integer call() {
            Path path = socket != null ? socket : Path.of(System.getenv().getOrDefault("IPAMD_SOCKET", Config.DEFAULT_SOCKET));
            Reply reply;
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(path));
                new FrameWriter(Channels.newOutputStream(ch)).write(Request.status());
                reply = new FrameReader(Channels.newInputStream(ch), FrameReader.MAX_REPLY_FRAME_BYTES).readReply();
            } catch (IOException e) {
                System.err.println("ipamd status: cannot reach ipamd at " + path + ": " + e.getMessage());
                return 1;
            }
            if (reply == null || !reply.ok()) {
                System.err.println("ipamd status: " + (reply == null ? "no reply" : reply.error().code() + ": " + reply.error().message()));
                return 1;
            }
            if (json) {
                System.out.println(Codec.encode(reply));
            } else {
                printTable(reply.status(), System.out);
            }
            return 0;
        }
    }

    static void printTable(StatusInfo s, PrintStream out) {
        out.printf("node      %s (%s, %s) provider=%s%s%n", s.instanceId(), s.instanceType(), s.zone(), s.provider(),
                s.prefixMode() ? " prefix-mode" : "");
        StatusInfo.PoolCounts p = s.pool();
        out.printf("pool      total=%d free=%d assigned=%d cooling=%d pending=%d releasing=%d max=%d%n",
                p.total(), p.free(), p.assigned(), p.cooling(), p.pending(), p.releasing(), s.maxAddresses());
        out.println();
        out.printf("%-24s %-4s %-26s %-15s %6s %8s %5s %8s%n", "INTERFACE", "DEV", "SUBNET", "PRIMARY", "ADDRS",
                "PREFIXES", "FREE", "ASSIGNED");
        for (StatusInfo.InterfaceStatus i : s.interfaces()) {
            out.printf("%-24s %-4d %-26s %-15s %6d %8d %5d %8d%n", i.id(), i.deviceIndex(), i.subnetId(),
                    i.primaryAddress(), i.addresses().size(), i.prefixes().size(), i.free(), i.assigned());
        }
        out.println();
        out.printf("%-15s %-24s %-30s %-10s %s%n", "ADDRESS", "INTERFACE", "POD", "IFNAME", "CONTAINER");
        for (StatusInfo.LeaseStatus l : s.leases()) {
            String pod = l.podName() == null || l.podName().isEmpty() ? "-" : l.podNamespace() + "/" + l.podName();
            String cid = l.containerId().length() > 12 ? l.containerId().substring(0, 12) : l.containerId();
            out.printf("%-15s %-24s %-30s %-10s %s%n", l.address(), l.interfaceId(), pod, l.ifName(), cid);
        }
    }

    static void configureLogging(String level) {
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tLZ %4$-7s %3$s: %5$s%6$s%n");
        Logger root = Logger.getLogger("");
        for (var h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new SimpleFormatter());
        Level l = switch (level.toLowerCase(Locale.ROOT)) {
            case "debug" -> Level.FINE;
            case "warn", "warning" -> Level.WARNING;
            case "error" -> Level.SEVERE;
            default -> Level.INFO;
        };
        handler.setLevel(l);
        root.setLevel(l);
        root.addHandler(handler);
    }
}
