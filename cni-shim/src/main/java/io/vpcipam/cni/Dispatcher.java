package io.vpcipam.cni;

import io.vpcipam.cni.netns.PodWiring;
import io.vpcipam.cni.netns.WireSpec;
import io.vpcipam.cni.netns.WiringException;
import io.vpcipam.protocol.Attachment;
import io.vpcipam.protocol.ErrorCodes;
import io.vpcipam.protocol.ErrorInfo;
import io.vpcipam.protocol.Json;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One CNI call: reads the environment and stdin, runs the command, prints the result or the
 * error JSON. Everything the call touches comes in through the constructor (libcni skel's
 * shape), so every path runs in a unit test without a process, a socket or a netns.
 *
 * <p>Order of checks, as skel: CNI_COMMAND, the command's env vars, stdin as JSON, cniVersion,
 * the rest of the config; the error JSON carries the config's cniVersion whenever it is one we
 * speak. Nothing is changed on the host before all input is valid.
 *
 * <p>One class (~440 lines) because it is libcni skel's dispatcher: the
 * five commands share the input checks, the version the error JSON carries, the log context and
 * the spool, and each is one method of a few dozen lines (STYLE 1). What has a life of its own is
 * outside: how ipamd's answers map to CNI errors ({@link IpamdReplies}), the send on a thread of
 * its own ({@link BackgroundSend}), the wiring ({@code netns}) and the result ({@link CniResult}).
 */
final class Dispatcher {

    /** Larger than any real config; a bound so garbage on stdin cannot exhaust the heap. */
    static final int MAX_STDIN_BYTES = 4 * 1024 * 1024;

    /** What a call needs from outside: ipamd and the netns wiring, per network config. */
    interface Services {
        /** A client for the ipamd the config names. */
        IpamdClient ipamd(NetConf conf);

        /** The pod network wiring, locking the host with the config's {@code lockFile}. */
        PodWiring wiring(NetConf conf);
    }

    private final Map<String, String> env;
    private final InputStream stdin;
    private final PrintStream stdout;
    private final PluginLog log;
    private final InstantSource clock;
    private final Services services;
    private final long started = System.nanoTime();

    /** A dispatcher over these streams; {@link #run()} does the call. */
    Dispatcher(Map<String, String> env, InputStream stdin, PrintStream stdout, PluginLog log,
                      InstantSource clock, Services services) {
        this.env = Objects.requireNonNull(env, "env");
        this.stdin = Objects.requireNonNull(stdin, "stdin");
        this.stdout = Objects.requireNonNull(stdout, "stdout");
        this.log = Objects.requireNonNull(log, "log");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.services = Objects.requireNonNull(services, "services");
    }

    /** Runs the call; returns the exit status (0, or 1 after printing an error JSON). */
    int run() {
        String version = CniVersion.LATEST;
        try {
            String command = env.get("CNI_COMMAND");
            if (command == null || command.isEmpty()) {
                throw CniError.INVALID_ENVIRONMENT_VARIABLES.error("required env variables [CNI_COMMAND] missing");
            }
            switch (command) {
                case "VERSION" -> {
                    return cmdVersion();
                }
                case "ADD", "DEL", "CHECK", "GC", "STATUS" -> { }
                default -> throw CniError.INVALID_ENVIRONMENT_VARIABLES.error("unknown CNI_COMMAND: "
                        + NetConf.abbreviate(command), "valid: ADD, DEL, CHECK, GC, STATUS, VERSION");
            }
            Invocation inv = Invocation.parse(command, env);
            Object tree = readStdin();
            String v = NetConf.versionOf(tree);
            if (CniVersion.supported(v)) {
                version = v;
            }
            NetConf conf = NetConf.parse(tree);
            log.file(conf.logFile());
            log.context(inv.containerId() == null ? command + " " + conf.name() + ": "
                    : command + " " + conf.name() + "/" + inv.containerId() + "/" + inv.ifName() + ": ");
            switch (command) {
                case "ADD" -> cmdAdd(inv, conf);
                case "DEL" -> cmdDel(inv, conf);
                case "CHECK" -> cmdCheck(inv, conf);
                case "GC" -> cmdGc(conf);
                default -> cmdStatus(conf);
            }
            return 0;
        } catch (CniException e) {
            log.info("error " + e.error().code() + ": " + e.getMessage()
                    + (e.details() == null ? "" : " (" + e.details() + ")"));
            printError(version, e.error().code(), e.getMessage(), e.details());
            return 1;
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            // A bug must still give the runtime a spec-shaped answer, never a stack trace on stdout.
            log.info("internal error: " + e);
            printError(version, CniError.INTERNAL.code(), "internal error in the vpc-ipam plugin", String.valueOf(e));
            return 1;
        } finally {
            stdout.flush();
            log.flush();
        }
    }

    // ------------------------------------------------------------------ commands

    private int cmdVersion() throws CniException {
        String version = CniVersion.LATEST;
        byte[] in = readBytes();
        if (!new String(in, StandardCharsets.UTF_8).isBlank()) {
            String v = NetConf.versionOf(decode(in));
            if (CniVersion.supported(v)) {
                version = v;
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cniVersion", version);
        out.put("supportedVersions", CniVersion.SUPPORTED);
        print(out);
        return 0;
    }

    private void cmdAdd(Invocation inv, NetConf conf) throws CniException {
        if (!Files.exists(Path.of(inv.netns()))) {
            throw CniError.UNKNOWN_CONTAINER.error("netns " + NetConf.abbreviate(inv.netns()) + " does not exist");
        }
        PodWiring.Started wiring;
        try {
            wiring = services.wiring(conf).startAdd(inv.netns());
        } catch (WiringException e) {
            throw CniError.IO_FAILURE.error("cannot wire pods here; no address was taken", e.getMessage());
        }
        try (wiring) {
            IpamdClient ipamd = services.ipamd(conf);
            Request add = Request.add(conf.name(), inv.containerId(), inv.ifName(), inv.netns(), inv.podNamespace(),
                    inv.podName());
            long t0 = System.nanoTime();
            long started;
            Reply reply;
            // Sending (the process's first Unix socket) and starting the wiring's processes are the two
            // costliest steps before the reply is needed: they run at once, and ipamd works on the
            // request (and makes it durable) while the processes start.
            BackgroundSend sending = new BackgroundSend(ipamd, add);
            wiring.begin();
            started = System.nanoTime();
            try (IpamdClient.Pending sent = sending.sent()) {
                reply = sent.reply();
            } catch (IpamdClient.TimedOut e) {
                // ipamd may still grant it after we stopped waiting (it waits for the cloud on an empty
                // pool): the DEL of the same key frees it, or makes ipamd drop the ADD it is still holding.
                giveBack(ipamd, conf, inv);
                throw IpamdReplies.timedOut(e);
            } catch (IpamdClient.Unavailable | ProtocolException e) {
                throw IpamdReplies.unanswered(e);
            }
            if (!reply.ok()) {
                throw IpamdReplies.fromIpamd(reply.error());
            }
            long t1 = System.nanoTime();
            LeaseInfo lease = reply.lease();
            String problem = lease == null ? "an add reply without a lease" : IpamdReplies.leaseProblem(lease);
            if (problem != null) {
                giveBack(ipamd, conf, inv);
                throw CniError.IPAMD_BAD_REPLY.error("ipamd sent " + problem);
            }
            WireSpec spec = new WireSpec(inv.netns(), inv.ifName(), hostVeth(conf, inv),
                    Names.hostMac(conf.name(), inv.containerId(), inv.ifName()),
                    Names.podMac(conf.name(), inv.containerId(), inv.ifName()), lease.address(),
                    conf.mtu() != 0 ? conf.mtu() : lease.mtu(), lease.routeTable(), lease.vpcCidrs());
            try {
                wiring.add(spec);
            } catch (WiringException e) {
                log.info("wiring " + lease.address() + " failed, undone: " + e.getMessage());
                giveBack(ipamd, conf, inv);
                throw CniError.WIRING_FAILED.error("wiring the pod network failed; undone and the address given back",
                        e.getMessage());
            }
            long t2 = System.nanoTime();
            print(CniResult.add(conf.cniVersion(), spec, conf.prevResult(), conf.dns()));
            log.info("added " + lease.address() + " on " + lease.interfaceId() + " via " + spec.hostVeth() + " table "
                    + lease.routeTable() + "; " + timings() + ", ipamd " + ms(t1 - t0) + " (sent in " + ms(sending.sentAt() - t0)
                    + ", starting ip meanwhile " + ms(started - t0) + "), wiring " + ms(t2 - t1));
        }
    }

    /** A failed ADD gives its address back; if ipamd cannot take it now, the spool does. */
    private void giveBack(IpamdClient ipamd, NetConf conf, Invocation inv) {
        Request del = Request.del(conf.name(), inv.containerId(), inv.ifName());
        try {
            release(ipamd, conf, inv, del);
        } catch (CniException e) {
            log.info("could not give the address back: " + e.getMessage());
        }
    }

    private void cmdDel(Invocation inv, NetConf conf) throws CniException {
        String hostVeth = hostVeth(conf, inv);
        CniResult.Prev prev = CniResult.read(conf.prevResult(), inv.ifName(), hostVeth);
        long t0 = System.nanoTime();
        List<String> addresses = prev.addresses().isEmpty() ? leasedAddress(conf, inv) : prev.addresses();
        try {
            services.wiring(conf).del(hostVeth, addresses);
        } catch (WiringException e) {
            throw CniError.TEARDOWN_FAILED.error("tearing down the pod network failed", e.getMessage());
        }
        Request del = Request.del(conf.name(), inv.containerId(), inv.ifName(),
                inv.netns().isEmpty() ? null : inv.netns(), inv.podNamespace(), inv.podName());
        long t1 = System.nanoTime();
        release(services.ipamd(conf), conf, inv, del);
        log.info("deleted " + addresses + "; " + timings() + ", wiring " + ms(t1 - t0) + ", ipamd "
                + ms(System.nanoTime() - t1));
    }

    /** Where a call's time went (the bench reads these): from main so far, then per step. */
    private String timings() {
        return "in main " + ms(System.nanoTime() - started);
    }

    /** {@code 12.3 ms}; by hand, since String.format's first use loads the locale and regex machinery. */
    static String ms(long nanos) {
        long tenths = Math.max(0, (nanos + 50_000) / 100_000);
        return tenths / 10 + "." + tenths % 10 + " ms";
    }

    /**
     * Without prevResult (a runtime that lost its cache), the address whose rules DEL removes: ipamd's
     * lease, a socket round trip, cheaper than asking ip. Empty when ipamd cannot say; the wiring
     * then reads the host veth's route.
     */
    private List<String> leasedAddress(NetConf conf, Invocation inv) {
        try {
            Reply r = ipamd(conf).call(Request.check(conf.name(), inv.containerId(), inv.ifName()));
            if (r.ok() && r.lease() != null && Addresses.isIpv4(r.lease().address())) {
                return List.of(r.lease().address());
            }
        } catch (IpamdClient.Unavailable | ProtocolException e) {
            log.info("no prevResult and ipamd cannot say the address (" + e.getMessage() + ")");
        }
        return List.of();
    }

    /** DEL to ipamd; when ipamd cannot take it (down, stopping, garbling), into the release spool. */
    private void release(IpamdClient ipamd, NetConf conf, Invocation inv, Request del) throws CniException {
        String why;
        try {
            Reply r = ipamd.call(del);
            if (r.ok()) {
                log.info("released");
                return;
            }
            ErrorInfo e = r.error();
            if (!e.retryable()) {
                throw CniError.IPAMD_REJECTED.error("ipamd refused DEL: " + e.code(), e.message());
            }
            why = "ipamd answered " + e.code();
        } catch (IpamdClient.Unavailable e) {
            why = e.getMessage();
        } catch (ProtocolException e) {
            why = "ipamd's reply is not protocol v1: " + e.getMessage();
        }
        try {
            Path f = Spool.write(Path.of(conf.stateDir()), del, clock.instant(), hostVeth(conf, inv));
            log.info("ipamd did not take DEL (" + why + "); spooled as " + f);
        } catch (IOException | RuntimeException e) {
            throw CniError.IO_FAILURE.error("ipamd is unreachable and the release spool cannot be written",
                    why + "; spool: " + e);
        }
    }

    private void cmdCheck(Invocation inv, NetConf conf) throws CniException {
        if (conf.prevResult() == null) {
            throw CniError.INVALID_NETWORK_CONFIG.error("CHECK needs prevResult");
        }
        if (!Files.exists(Path.of(inv.netns()))) {
            throw CniError.UNKNOWN_CONTAINER.error("netns " + NetConf.abbreviate(inv.netns()) + " does not exist");
        }
        String hostVeth = hostVeth(conf, inv);
        CniResult.Prev prev = CniResult.read(conf.prevResult(), inv.ifName(), hostVeth);
        if (!prev.hasPodInterface()) {
            throw CniError.INTERFACE_DRIFT.error("prevResult has no interface " + inv.ifName() + " in a sandbox");
        }
        Reply reply;
        try {
            reply = ipamd(conf).call(Request.check(conf.name(), inv.containerId(), inv.ifName()));
        } catch (IpamdClient.Unavailable e) {
            throw CniError.TRY_AGAIN_LATER.error("ipamd is unreachable", e.getMessage());
        } catch (ProtocolException e) {
            throw CniError.IPAMD_BAD_REPLY.error("ipamd's reply is not protocol v1", e.getMessage());
        }
        if (!reply.ok()) {
            ErrorInfo e = reply.error();
            if (ErrorCodes.NOT_FOUND.equals(e.code())) {
                throw CniError.LEASE_DRIFT.error("ipamd holds no lease for this attachment", e.message());
            }
            throw IpamdReplies.fromIpamd(e);
        }
        LeaseInfo lease = reply.lease();
        if (lease == null || IpamdReplies.leaseProblem(lease) != null) {
            throw CniError.IPAMD_BAD_REPLY.error("ipamd sent " + (lease == null ? "a check reply without a lease"
                    : IpamdReplies.leaseProblem(lease)));
        }
        if (!prev.addresses().contains(lease.address())) {
            throw CniError.LEASE_DRIFT.error("ipamd leases " + lease.address() + " but prevResult has "
                    + prev.addresses());
        }
        int mtu = prev.podMtu() != null ? prev.podMtu() : conf.mtu() != 0 ? conf.mtu() : lease.mtu();
        WireSpec spec = new WireSpec(inv.netns(), inv.ifName(), hostVeth,
                prev.hostMac() != null ? prev.hostMac() : Names.hostMac(conf.name(), inv.containerId(), inv.ifName()),
                prev.podMac() != null ? prev.podMac() : Names.podMac(conf.name(), inv.containerId(), inv.ifName()),
                lease.address(), mtu, lease.routeTable(), lease.vpcCidrs());
        List<String> problems;
        try {
            problems = services.wiring(conf).check(spec);
        } catch (WiringException e) {
            throw CniError.IO_FAILURE.error("cannot read the pod's network", e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw CniError.INTERFACE_DRIFT.error("the pod network differs from prevResult", String.join("; ", problems));
        }
        log.info("checked " + lease.address());
    }

    private void cmdGc(NetConf conf) throws CniException {
        if (!CniVersion.atLeast110(conf.cniVersion())) {
            throw CniError.INCOMPATIBLE_CNI_VERSION.error("config version does not allow GC",
                    "GC needs cniVersion 1.1.0, config is " + conf.cniVersion());
        }
        if (conf.validAttachments() == null) {
            throw CniError.INVALID_NETWORK_CONFIG.error("GC needs cni.dev/valid-attachments");
        }
        List<Attachment> valid = new ArrayList<>(conf.validAttachments().size());
        for (String[] a : conf.validAttachments()) {
            valid.add(new Attachment(conf.name(), a[0], a[1]));
        }
        // The host sweep first: it needs no ipamd, so an ipamd that is down does not keep rules piling up.
        WiringException sweepFailed = null;
        List<String> swept = List.of();
        try {
            swept = services.wiring(conf).sweepRules();
        } catch (WiringException e) {
            sweepFailed = e;
            log.info("gc: sweeping orphaned rules failed: " + e.getMessage());
        }
        Reply r = IpamdReplies.ask(ipamd(conf), Request.gc(conf.name(), valid));
        log.info("gc kept " + valid.size() + ", ipamd released " + (r.released() == null ? "?" : r.released())
                + ", swept " + swept);
        if (sweepFailed != null) {
            throw CniError.TEARDOWN_FAILED.error("sweeping orphaned policy rules failed", sweepFailed.getMessage());
        }
    }

    private void cmdStatus(NetConf conf) throws CniException {
        if (!CniVersion.atLeast110(conf.cniVersion())) {
            throw CniError.INCOMPATIBLE_CNI_VERSION.error("config version does not allow STATUS",
                    "STATUS needs cniVersion 1.1.0, config is " + conf.cniVersion());
        }
        try {
            Reply r = ipamd(conf).call(Request.status());
            if (!r.ok()) {
                throw CniError.PLUGIN_NOT_AVAILABLE.error("ipamd is not ready: " + r.error().code(), r.error().message());
            }
        } catch (IpamdClient.Unavailable e) {
            throw CniError.PLUGIN_NOT_AVAILABLE.error("ipamd is unreachable", e.getMessage());
        } catch (ProtocolException e) {
            throw CniError.PLUGIN_NOT_AVAILABLE.error("ipamd's reply is not protocol v1", e.getMessage());
        }
    }

    // ------------------------------------------------------------------ helpers

    private IpamdClient ipamd(NetConf conf) {
        return services.ipamd(conf);
    }

    private static String hostVeth(NetConf conf, Invocation inv) {
        return Names.hostVeth(conf.vethPrefix(), conf.name(), inv.containerId(), inv.ifName());
    }

    private byte[] readBytes() throws CniException {
        try {
            byte[] in = stdin.readNBytes(MAX_STDIN_BYTES + 1);
            if (in.length > MAX_STDIN_BYTES) {
                throw CniError.DECODING_FAILURE.error("network config on stdin is larger than "
                        + MAX_STDIN_BYTES + " bytes");
            }
            return in;
        } catch (IOException e) {
            throw CniError.IO_FAILURE.error("cannot read stdin", e.getMessage());
        }
    }

    private Object readStdin() throws CniException {
        byte[] in = readBytes();
        if (new String(in, StandardCharsets.UTF_8).isBlank()) {
            throw CniError.DECODING_FAILURE.error("no network config on stdin");
        }
        return decode(in);
    }

    private static Object decode(byte[] in) throws CniException {
        try {
            return Json.parse(new String(in, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw CniError.DECODING_FAILURE.error("network config is not valid JSON",
                    NetConf.abbreviate(e.getMessage()));
        }
    }

    private void print(Map<String, Object> out) {
        stdout.print(Json.write(out));
        stdout.print('\n');
    }

    private void printError(String version, int code, String msg, String details) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cniVersion", version);
        out.put("code", code);
        out.put("msg", msg == null ? "" : msg);
        if (details != null && !details.isEmpty()) {
            out.put("details", details);
        }
        print(out);
    }
}
