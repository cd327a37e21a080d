package io.vpcipam.cni;

import io.vpcipam.cni.netns.IpRunner;
import io.vpcipam.cni.netns.ProcessIpRunner;
import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The AOT training run the build makes ({@code -XX:AOTCacheOutput}): the ADD, CHECK, DEL,
 * GC, STATUS and VERSION paths and the common errors, so the cache holds the classes, linkage
 * and profiles of a real pod start. It runs as an ordinary user at build time, so ipamd is an
 * in-process socket server and {@code ip} only reads ({@code link show dev lo}): the same
 * process-spawning, JSON and socket code as a real call, minus the root-only changes.
 */
final class AotTraining {

    private AotTraining() {
    }

    /** Runs the training calls in a scratch dir given as the only argument. */
    public static void main(String[] args) throws Exception {
        Main.prewarmSockets();
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        Path socket = dir.resolve("ipamd.sock");
        Files.deleteIfExists(socket);
        Path netns = dir.resolve("netns");
        Files.writeString(netns, "");
        LeaseInfo lease = new LeaseInfo("10.0.0.5", 32, "eni-0train", "02:00:00:00:00:01", 1, 2, "10.0.0.1",
                List.of("10.0.0.0/16"), 9001);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread ipamd = new Thread(() -> serve(server, lease), "training-ipamd");
            ipamd.setDaemon(true);
            ipamd.start();
            Dispatcher.Services services = new SystemServices(new ReadOnlyIp(ProcessIpRunner.system()));
            String conf = "{\"cniVersion\":\"1.1.0\",\"name\":\"train\",\"type\":\"vpc-ipam\",\"ipamdSocket\":\""
                    + socket + "\",\"stateDir\":\"" + dir + "\",\"logFile\":\"" + dir.resolve("cni.log") + "\"";
            for (int round = 0; round < 20; round++) {
                String added = call(services, "ADD", netns.toString(), conf + "}");
                String prev = added.strip();
                call(services, "CHECK", netns.toString(), conf + ",\"prevResult\":" + prev + "}");
                call(services, "DEL", "", conf + ",\"prevResult\":" + prev + "}");
                call(services, "DEL", "", conf + "}");
                call(services, "GC", "", conf + ",\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\",\"ifname\":\"eth0\"}]}");
                call(services, "STATUS", "", conf + "}");
                call(services, "VERSION", "", "{\"cniVersion\":\"1.0.0\"}");
                call(services, "ADD", netns.toString(), "{\"cniVersion\":\"0.4.0\",\"name\":\"x\"");
                call(services, "ADD", "/nonexistent", conf + "}");
                String down = "{\"cniVersion\":\"1.0.0\",\"name\":\"train\",\"ipamdSocket\":\"" + dir.resolve("none.sock")
                        + "\",\"stateDir\":\"" + dir + "\",\"logFile\":\"" + dir.resolve("cni.log") + "\"}";
                call(services, "ADD", netns.toString(), down);
                call(services, "DEL", "", down);
            }
        }
    }

    /**
     * The real runner's processes and /proc reads, but every batch only reads ({@code link show dev
     * lo}): the build runs as any user and must change nothing.
     */
    private record ReadOnlyIp(ProcessIpRunner real) implements IpRunner {
        @Override
        public Outcome run(String netns, boolean json, boolean force, List<String> lines) throws IOException {
            return start(netns, json, force).finish(lines);
        }

        @Override
        public Batch start(String netns, boolean json, boolean force) {
            Batch b = real.start(null, true, true);
            return new Batch() {
                @Override
                public Outcome finish(List<String> lines) throws IOException {
                    Outcome o = b.finish(List.of("link show dev lo"));
                    return new Outcome(0, json ? o.stdout() : "", o.stderr());
                }

                @Override
                public void abort() {
                    b.abort();
                }
            };
        }
    }

    private static String call(Dispatcher.Services services, String command, String netns, String stdin) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "c1");
        env.put("CNI_NETNS", netns);
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/opt/cni/bin");
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=train");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, false, StandardCharsets.UTF_8);
        new Dispatcher(env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), ps,
                PluginLog.to(InstantSource.system(), new PrintStream(new ByteArrayOutputStream(), false,
                        StandardCharsets.UTF_8)), InstantSource.system(), services).run();
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void serve(ServerSocketChannel server, LeaseInfo lease) {
        while (true) {
            try (SocketChannel ch = server.accept()) {
                Request r = new FrameReader(Channels.newInputStream(ch)).readRequest();
                if (r == null) {
                    continue;
                }
                Reply reply = switch (r.op()) {
                    case ADD, CHECK -> Reply.ok(lease);
                    case GC -> Reply.released(0);
                    default -> Reply.success();
                };
                new FrameWriter(Channels.newOutputStream(ch)).write(reply);
            } catch (IOException e) {
                return;
            }
        }
    }
}
