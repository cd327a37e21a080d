package io.vpcipam.cni;

import io.vpcipam.cni.netns.PodWiring;
import io.vpcipam.cni.netns.WireSpec;
import io.vpcipam.cni.netns.WiringException;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The dispatcher's two services for tests: the shared {@link ScriptedIpamd} (through the real socket client) and a
 * stateful wiring fake with fault controls; and a way to run one call.
 */
final class Fakes {

    static final InstantSource CLOCK = InstantSource.fixed(Instant.parse("2026-01-02T03:04:05Z"));

    private Fakes() {
    }

    /**
     * The leases the plugin's tests expect by default: the n-th is 10.0.0.(5+n) on eni-1, MTU 9001, in the VPC
     * 10.0.0.0/16; on route table {@code routeTable} (0: the primary interface, device index 0; N: device N-1).
     */
    static IntFunction<LeaseInfo> leases(int routeTable, List<String> vpcCidrs) {
        return n -> new LeaseInfo("10.0.0." + (5 + n), 32, "eni-1", "02:00:00:00:00:aa",
                routeTable == 0 ? 0 : routeTable - 1, routeTable, "10.0.0.1", vpcCidrs, 9001);
    }

    /** A scripted ipamd at {@code dir}/ipamd.sock with the {@link #leases default leases}. */
    static ScriptedIpamd ipamd(Path dir) throws IOException {
        return new ScriptedIpamd(dir.resolve("ipamd.sock"), leases(0, List.of("10.0.0.0/16")));
    }

    /** A wiring that records what is wired and can fail. */
    static final class Wiring implements PodWiring {
        final Map<String, WireSpec> wired = new HashMap<>();
        final List<String> deleted = new ArrayList<>();
        String failAdd;
        /** startAdd fails (the host lock file cannot be opened). */
        String failStart;
        String failDel;
        List<String> drift = List.of();
        /** What the next GC sweep reports it removed. */
        List<String> orphanRules = List.of();
        String failSweep;
        int sweeps;
        /** When set, "startAdd", "begin" and "add" are recorded here. */
        List<String> events;

        @Override
        public void add(WireSpec spec) throws WiringException {
            if (failAdd != null) {
                throw new WiringException(failAdd);
            }
            wired.put(spec.hostVeth(), spec);
        }

        @Override
        public Started startAdd(String netns) throws WiringException {
            if (failStart != null) {
                throw new WiringException(failStart);
            }
            if (events != null) {
                events.add("startAdd");
            }
            Started s = PodWiring.super.startAdd(netns);
            return new Started() {
                @Override
                public void begin() {
                    if (events != null) {
                        events.add("begin");
                    }
                }

                @Override
                public void add(WireSpec spec) throws WiringException {
                    if (events != null) {
                        events.add("add");
                    }
                    s.add(spec);
                }

                @Override
                public void close() {
                    s.close();
                }
            };
        }

        @Override
        public void del(String hostVeth, List<String> addresses) throws WiringException {
            if (failDel != null) {
                throw new WiringException(failDel);
            }
            wired.remove(hostVeth);
            deleted.add(hostVeth + " " + addresses);
        }

        @Override
        public List<String> sweepRules() throws WiringException {
            sweeps++;
            if (failSweep != null) {
                throw new WiringException(failSweep);
            }
            List<String> out = orphanRules;
            orphanRules = List.of();
            return out;
        }

        @Override
        public List<String> check(WireSpec spec) {
            return wired.containsKey(spec.hostVeth()) ? drift : List.of("host veth " + spec.hostVeth() + " is missing");
        }
    }

    /** The outcome of one call. */
    record Call(int exit, String stdout, String log) {
    }

    static Map<String, String> env(String command, String netns) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "c0ffee");
        env.put("CNI_NETNS", netns);
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/opt/cni/bin");
        return env;
    }

    static Call run(Map<String, String> env, String stdin, ScriptedIpamd ipamd, Wiring wiring) {
        return run(env, stdin.getBytes(StandardCharsets.UTF_8), ipamd, wiring, null);
    }

    static Call run(Map<String, String> env, byte[] stdin, ScriptedIpamd ipamd, Wiring wiring) {
        return run(env, stdin, ipamd, wiring, null);
    }

    /**
     * One call against {@code ipamd} through the plugin's real socket client, with the config's deadline (its
     * socket path is ignored: a fuzzed config must not reach a real ipamd). With {@code events}, "send OP" and
     * "reply OP" are recorded there, with the wiring's steps, to check their order.
     */
    static Call run(Map<String, String> env, byte[] stdin, ScriptedIpamd ipamd, Wiring wiring, List<String> events) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PluginLog log = PluginLog.to(CLOCK, new PrintStream(err, true, StandardCharsets.UTF_8));
        Dispatcher.Services services = new Dispatcher.Services() {
            @Override
            public IpamdClient ipamd(NetConf conf) {
                IpamdClient client = new SocketIpamdClient(ipamd.socket(), conf.ipamdTimeoutMs());
                return events == null ? client : recording(client, events);
            }

            @Override
            public PodWiring wiring(NetConf conf) {
                return wiring;
            }
        };
        int rc = new Dispatcher(env, new ByteArrayInputStream(stdin), new PrintStream(out, true, StandardCharsets.UTF_8),
                log, CLOCK, services).run();
        return new Call(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static IpamdClient recording(IpamdClient client, List<String> events) {
        return new IpamdClient() {
            @Override
            public Reply call(Request r) throws Unavailable, ProtocolException {
                return client.call(r);
            }

            @Override
            public Pending send(Request r) throws Unavailable {
                events.add("send " + r.op());
                Pending p = client.send(r);
                return new Pending() {
                    @Override
                    public Reply reply() throws Unavailable, ProtocolException {
                        events.add("reply " + r.op());
                        return p.reply();
                    }

                    @Override
                    public void close() {
                        p.close();
                    }
                };
            }
        };
    }
}
