package io.vpcipam.cni;

import io.vpcipam.cni.netns.PodWiring;
import io.vpcipam.cni.netns.WireSpec;
import io.vpcipam.cni.netns.WiringException;
import io.vpcipam.protocol.ErrorInfo;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Stateful fakes with fault controls for the dispatcher's two services, and a way to run one call. */
final class Fakes {

    static final InstantSource CLOCK = InstantSource.fixed(Instant.parse("2026-01-02T03:04:05Z"));

    private Fakes() {
    }

    /** An ipamd that leases 10.0.0.x per key and can be down, garble or refuse. */
    static final class Ipamd implements IpamdClient {
        final List<Request> requests = new ArrayList<>();
        final Map<String, LeaseInfo> leases = new HashMap<>();
        boolean down;
        boolean downForDel;
        boolean garbage;
        /** ADD is taken but not answered in time (ipamd waits for the cloud); the lease is made all the same. */
        boolean slowAdd;
        ErrorInfo error;
        int routeTable;
        int mtu = 9001;
        List<String> vpcCidrs = List.of("10.0.0.0/16");
        /** When set, "send OP" and "reply OP" are recorded here (with the wiring's steps, to check the order). */
        List<String> events;
        private int next = 5;

        @Override
        public Pending send(Request r) throws Unavailable {
            if (events != null) {
                events.add("send " + r.op());
            }
            if (down) {
                // as the socket client: nobody listening fails the send itself
                requests.add(r);
                throw new Unavailable("ipamd is not listening on /run/test.sock: Connection refused");
            }
            Pending p = IpamdClient.super.send(r);
            return new Pending() {
                @Override
                public Reply reply() throws Unavailable, ProtocolException {
                    if (events != null) {
                        events.add("reply " + r.op());
                    }
                    return p.reply();
                }

                @Override
                public void close() {
                    p.close();
                }
            };
        }

        @Override
        public Reply call(Request r) throws Unavailable, ProtocolException {
            requests.add(r);
            if (down || (downForDel && r.op() == io.vpcipam.protocol.Op.DEL)) {
                throw new Unavailable("ipamd is not listening on /run/test.sock: Connection refused");
            }
            if (garbage) {
                throw new ProtocolException("BAD_REQUEST", "reply is not valid JSON");
            }
            if (error != null) {
                return Reply.error(error);
            }
            String key = r.network() + "/" + r.containerId() + "/" + r.ifName();
            if (slowAdd && r.op() == io.vpcipam.protocol.Op.ADD) {
                leases.computeIfAbsent(key, k -> new LeaseInfo("10.0.0." + next++, 32, "eni-1", "02:00:00:00:00:aa", 0,
                        0, "10.0.0.1", List.of("10.0.0.0/16"), mtu));
                throw new TimedOut(2000);
            }
            return switch (r.op()) {
                case ADD -> Reply.ok(leases.computeIfAbsent(key, k -> new LeaseInfo("10.0.0." + next++, 32,
                        "eni-1", "02:00:00:00:00:aa", routeTable == 0 ? 0 : routeTable - 1, routeTable, "10.0.0.1",
                        vpcCidrs, mtu)));
                case CHECK -> leases.containsKey(key) ? Reply.ok(leases.get(key))
                        : Reply.error("NOT_FOUND", "no lease for " + key, false);
                case DEL -> {
                    leases.remove(key);
                    yield Reply.success();
                }
                case GC -> Reply.released(0);
                case STATUS -> Reply.success();
            };
        }
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

    static Call run(Map<String, String> env, String stdin, Ipamd ipamd, Wiring wiring) {
        return run(env, stdin.getBytes(StandardCharsets.UTF_8), ipamd, wiring);
    }

    static Call run(Map<String, String> env, byte[] stdin, Ipamd ipamd, Wiring wiring) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PluginLog log = PluginLog.to(CLOCK, new PrintStream(err, true, StandardCharsets.UTF_8));
        Dispatcher.Services services = new Dispatcher.Services() {
            @Override
            public IpamdClient ipamd(NetConf conf) {
                return ipamd;
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
}
