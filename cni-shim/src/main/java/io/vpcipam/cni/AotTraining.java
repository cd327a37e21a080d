package io.vpcipam.cni;

import io.vpcipam.cni.netns.IpRunner;
import io.vpcipam.cni.netns.ProcessIpRunner;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The AOT training run ({@code vpc-ipam --aot-train}: record, then create) the build makes, against the scripted ipamd
 * ({@link ScriptedIpamd}, a process of its own so its classes stay out of the cache).
 *
 * <p>With a pod netns ({@code AotTraining DIR SOCKET NETNS}, run by build-dist.sh inside a private
 * network namespace of its own, {@code unshare -rn}, with the environment variable
 * {@value #PRIVATE} set): the real {@link Main#run} with the real {@code ip}, so the cache holds
 * exactly the classes of real ADD, CHECK and DEL calls (veth, rules, routes), plus VERSION, GC,
 * STATUS and the common errors. Only the classes a call uses are in the cache, since the JVM loads
 * every cached class at start-up: a cache trained on a wider path made every start ~8 ms slower.
 *
 * <p>Without one ({@code NETNS} is {@code -}: no user namespaces on the build machine), the same
 * calls through the dispatcher with an {@code ip} that only reads, so the build never changes the
 * machine's network.
 */
final class AotTraining {

    /** Set by build-dist.sh only inside the private netns: without it, no call may change the network. */
    static final String PRIVATE = "VPC_IPAM_TRAINING_IN_PRIVATE_NETNS";

    private AotTraining() {
    }

    /**
     * {@code AotTraining DIR SOCKET NETNS|-}: the calls, in the scratch dir DIR. {@code AotTraining DIR}
     * (how image/src/build-image.sh trains the image's copy): the scripted ipamd on a thread of this
     * process (its classes then join the cache) and the read-only {@code ip}.
     */
    public static void main(String[] args) throws Exception {
        Main.prewarmSockets();
        Main.prewarmProcesses();
        Path dir = Path.of(args[0]);
        if (args.length == 1) {
            // its threads are daemons: it ends with the training
            ScriptedIpamd ipamd = new ScriptedIpamd(dir.resolve("ipamd.sock"), n -> ScriptedIpamd.TRAINING_LEASE);
            args = new String[] {args[0], ipamd.socket().toString(), "-"};
        }
        String socket = args[1];
        boolean real = !args[2].equals("-");
        if (real && !"1".equals(System.getenv(PRIVATE))) {
            throw new IllegalStateException("real ip only inside the build's private netns (" + PRIVATE + "=1)");
        }
        Files.createDirectories(dir);
        String netns = real ? args[2] : Files.writeString(dir.resolve("netns"), "").toString();
        Caller call = real ? AotTraining::real : readOnly(dir);
        String conf = "{\"cniVersion\":\"1.1.0\",\"name\":\"train\",\"type\":\"vpc-ipam\",\"ipamdSocket\":\"" + socket
                + "\",\"stateDir\":\"" + dir + "\",\"lockFile\":\"" + dir.resolve("cni.lock") + "\",\"logFile\":\""
                + dir.resolve("cni.log") + "\"";
        String down = conf.replace(socket, dir.resolve("none.sock").toString());
        for (int round = 0; round < 10; round++) {
            String added = call.run("ADD", netns, conf + "}");
            if (!added.contains("\"ips\"")) {
                throw new IllegalStateException("training ADD failed: " + added);
            }
            String prev = added.strip();
            call.run("CHECK", netns, conf + ",\"prevResult\":" + prev + "}");
            call.run("DEL", netns, conf + ",\"prevResult\":" + prev + "}");
            call.run("DEL", netns, conf + "}");
            call.run("VERSION", "", "{\"cniVersion\":\"1.0.0\"}");
            call.run("GC", "", conf + ",\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\",\"ifname\":\"eth0\"}]}");
            call.run("STATUS", "", conf + "}");
            call.run("ADD", netns, "{\"cniVersion\":\"0.4.0\",\"name\":\"x\"");
            call.run("ADD", dir.resolve("no-such-netns").toString(), conf + "}");
            call.run("ADD", netns, down + "}");
            call.run("DEL", netns, down + "}");
        }
    }

    /** One CNI call in this process: stdout back, the log discarded. */
    @FunctionalInterface
    private interface Caller {
        String run(String command, String netns, String stdin) throws IOException;
    }

    private static Map<String, String> env(String command, String netns) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "c1");
        env.put("CNI_NETNS", netns);
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/opt/cni/bin");
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=train");
        return env;
    }

    private static String real(String command, String netns, String stdin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Main.run(env(command, netns), new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out,
                new PrintStream(new ByteArrayOutputStream(), false, StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static Caller readOnly(Path dir) {
        Dispatcher.Services services = new SystemServices(new ReadOnlyIp(ProcessIpRunner.system()));
        return (command, netns, stdin) -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream ps = new PrintStream(out, false, StandardCharsets.UTF_8);
            new Dispatcher(env(command, netns), new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), ps,
                    PluginLog.to(InstantSource.system(), new PrintStream(new ByteArrayOutputStream(), false,
                            StandardCharsets.UTF_8)), InstantSource.system(), services).run();
            return out.toString(StandardCharsets.UTF_8);
        };
    }

    /**
     * The real runner's processes and /proc reads, but every batch only reads ({@code link show dev
     * lo}): for a build without a private netns, which must change nothing.
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
}
