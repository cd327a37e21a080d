package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vpcipam.cni.netns.WireSpec;
import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.ErrorInfo;
import io.vpcipam.protocol.Json;
import io.vpcipam.protocol.Op;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DispatcherTest {

    @TempDir
    Path tmp;

    ScriptedIpamd ipamd;
    Fakes.Wiring wiring;
    String netns;

    @BeforeEach
    void setUp() throws IOException {
        ipamd = Fakes.ipamd(tmp);
        wiring = new Fakes.Wiring();
        netns = Files.writeString(tmp.resolve("netns"), "").toString();
    }

    @AfterEach
    void tearDown() throws IOException {
        ipamd.close();
    }

    String conf(String version, String extra) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"vpcnet\",\"type\":\"vpc-ipam\",\"logFile\":\"\","
                + "\"stateDir\":\"" + tmp + "\"" + extra + "}";
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(String s) throws IOException {
        return (Map<String, Object>) Json.parse(s);
    }

    Fakes.Call call(String command, String stdin) {
        return Fakes.run(Fakes.env(command, command.equals("DEL") ? "" : netns), stdin, ipamd, wiring);
    }

    static int code(Fakes.Call c) throws IOException {
        assertEquals(1, c.exit(), c.stdout());
        return (Integer) json(c.stdout()).get("code");
    }

    @Test
    void version_listsSupportedVersions_inTheAskedVersion() throws IOException {
        Fakes.Call c = call("VERSION", "{\"cniVersion\":\"1.0.0\"}");
        assertEquals(0, c.exit());
        Map<String, Object> out = json(c.stdout());
        assertEquals("1.0.0", out.get("cniVersion"));
        assertEquals(List.of("0.4.0", "1.0.0", "1.1.0"), out.get("supportedVersions"));
    }

    @Test
    void version_emptyStdin_answersInLatest() throws IOException {
        Fakes.Call c = call("VERSION", "");
        assertEquals(0, c.exit());
        assertEquals("1.1.0", json(c.stdout()).get("cniVersion"));
    }

    @Test
    void add_sendsTheRequestWhileTheWiringStarts_andReadsTheReplyAfterBoth() throws IOException {
        List<String> events = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        wiring.events = events;
        assertEquals(0, Fakes.run(Fakes.env("ADD", netns), conf("1.0.0", "").getBytes(StandardCharsets.UTF_8), ipamd,
                wiring, events).exit());
        // startAdd (the lock probe) first: an unusable host must fail before ipamd takes an address;
        // the send (on its own thread) and begin run at once, in either order
        assertEquals(5, events.size(), events.toString());
        assertEquals("startAdd", events.get(0));
        assertEquals(java.util.Set.of("send ADD", "begin"), java.util.Set.copyOf(events.subList(1, 3)));
        assertEquals(List.of("reply ADD", "add"), events.subList(3, 5));
    }


    @Test
    void add_leasesAndWires_printsResultWithMtuIn110() throws IOException {
        Fakes.Call c = call("ADD", conf("1.1.0", ""));
        assertEquals(0, c.exit(), c.stdout());
        Map<String, Object> r = json(c.stdout());
        assertEquals("1.1.0", r.get("cniVersion"));
        List<?> ifs = (List<?>) r.get("interfaces");
        Map<?, ?> pod = (Map<?, ?>) ifs.get(1);
        assertEquals("eth0", pod.get("name"));
        assertEquals(netns, pod.get("sandbox"));
        assertEquals(9001, pod.get("mtu"));
        Map<?, ?> ip = (Map<?, ?>) ((List<?>) r.get("ips")).getFirst();
        assertEquals("10.0.0.5/32", ip.get("address"));
        assertEquals("169.254.1.1", ip.get("gateway"));
        assertEquals(1, ip.get("interface"));
        assertNull(ip.get("version"));
        assertEquals(1, wiring.wired.size());
        assertEquals(((Map<?, ?>) ifs.getFirst()).get("name"), wiring.wired.keySet().iterator().next());
    }

    @Test
    void add_in040_ipsCarryVersionAndNoMtu() throws IOException {
        Map<String, Object> r = json(call("ADD", conf("0.4.0", "")).stdout());
        assertEquals("4", ((Map<?, ?>) ((List<?>) r.get("ips")).getFirst()).get("version"));
        assertNull(((Map<?, ?>) ((List<?>) r.get("interfaces")).get(1)).get("mtu"));
    }

    @Test
    void add_afterAnotherPlugin_appendsToPrevResult() throws IOException {
        String prev = ",\"prevResult\":{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"x0\"}],"
                + "\"ips\":[{\"address\":\"192.0.2.9/24\",\"interface\":0}],\"dns\":{\"nameservers\":[\"192.0.2.53\"]}}";
        Map<String, Object> r = json(call("ADD", conf("1.0.0", prev)).stdout());
        assertEquals(3, ((List<?>) r.get("interfaces")).size());
        List<?> ips = (List<?>) r.get("ips");
        assertEquals(2, ips.size());
        assertEquals(2, ((Map<?, ?>) ips.get(1)).get("interface"));
        assertEquals(Map.of("nameservers", List.of("192.0.2.53")), r.get("dns"));
    }

    @Test
    void add_sameKeyTwice_sameAddressAndVeth() throws IOException {
        String first = call("ADD", conf("1.0.0", "")).stdout();
        String second = call("ADD", conf("1.0.0", "")).stdout();
        assertEquals(first, second);
    }

    @Test
    void add_ipamdDown_isTryAgainLater_andNothingWired() throws IOException {
        ipamd.stop();
        Fakes.Call c = call("ADD", conf("1.0.0", ""));
        assertEquals(11, code(c));
        assertEquals("1.0.0", json(c.stdout()).get("cniVersion"));
        assertTrue(wiring.wired.isEmpty());
        assertTrue(c.log().contains("error 11"), c.log());
    }

    @Test
    void add_retryableIpamdError_is11_otherIs100() throws IOException {
        ipamd.answer(Reply.error(new ErrorInfo("NO_ADDRESS_AVAILABLE", "pool empty", true)), Op.values());
        assertEquals(11, code(call("ADD", conf("1.0.0", ""))));
        ipamd.answer(Reply.error(new ErrorInfo("NODE_FULL", "at limits", false)), Op.values());
        Fakes.Call c = call("ADD", conf("1.0.0", ""));
        assertEquals(100, code(c));
        assertTrue(json(c.stdout()).get("msg").toString().contains("NODE_FULL"));
    }

    @Test
    void add_ipamdSlowerThanTheTimeout_is11SayingTimedOut_andTheLeaseIsGivenBack() throws IOException {
        // ipamd takes the ADD and makes the lease, but never answers: the plugin gives up at its deadline
        ipamd.fault(ScriptedIpamd.Fault.NO_REPLY, Op.ADD);
        Fakes.Call c = call("ADD", conf("1.0.0", ",\"ipamdTimeoutSeconds\":2"));
        assertEquals(11, code(c));
        String msg = json(c.stdout()).get("msg").toString();
        assertTrue(msg.contains("timed out") && !msg.contains("unreachable"), msg);
        assertEquals(List.of(Op.ADD, Op.DEL), ipamd.requests().stream().map(Request::op).toList());
        assertTrue(ipamd.leased().isEmpty(), "the lease ipamd made after the plugin gave up is leaked");
        assertTrue(wiring.wired.isEmpty());
    }

    @Test
    void add_hostLockUnusable_is5_beforeAnyAddressIsTaken() throws IOException {
        wiring.failStart = "cannot open the host lock /x/cni.lock (lockFile): java.nio.file.FileSystemException";
        Fakes.Call c = call("ADD", conf("1.0.0", ""));
        assertEquals(5, code(c));
        assertTrue(c.stdout().contains("lockFile"), c.stdout());
        assertTrue(ipamd.requests().isEmpty());
    }

    @Test
    void add_garbageFromIpamd_is101() throws IOException {
        ipamd.fault(ScriptedIpamd.Fault.GARBLE, Op.values());
        assertEquals(101, code(call("ADD", conf("1.0.0", ""))));
    }

    @Test
    void add_leaseVpcBlocks_reachTheWiring_andOneThatIsNotACidrIsABadReply_wiringNothing() throws IOException {
        ipamd.leaseWith(Fakes.leases(2, List.of("10.0.0.0/16", "100.64.0.0/16")));
        assertEquals(0, call("ADD", conf("1.0.0", "")).exit());
        assertEquals(List.of(List.of("10.0.0.0/16", "100.64.0.0/16")),
                wiring.wired.values().stream().map(WireSpec::ruleTo).toList());
        wiring.wired.clear();
        ipamd.leased().clear();
        ipamd.leaseWith(Fakes.leases(2, List.of("10.0.0.0/16\nrule flush")));
        Fakes.Call c = call("ADD", conf("1.0.0", ""));
        assertEquals(101, code(c));
        assertTrue(c.stdout().contains("VPC block"), c.stdout());
        assertTrue(wiring.wired.isEmpty());
    }

    @Test
    void add_leaseVpcBlockPrefixLengths_0to32Pass_othersAreABadReply() throws IOException {
        for (String ok : List.of("10.0.0.0/8", "0.0.0.0/0", "10.0.0.0/32")) {
            wiring.wired.clear();
            ipamd.leased().clear();
            ipamd.leaseWith(Fakes.leases(2, List.of(ok)));
            assertEquals(0, call("ADD", conf("1.0.0", "")).exit(), ok);
        }
        for (String bad : List.of("10.0.0.0/33", "10.0.0.0/", "10.0.0.0/1a", "10.0.0.0/+8", "10.0.0.0/008", "10.0.0.0/-1")) {
            wiring.wired.clear();
            ipamd.leased().clear();
            ipamd.leaseWith(Fakes.leases(2, List.of(bad)));
            Fakes.Call c = call("ADD", conf("1.0.0", ""));
            assertEquals(101, code(c), bad);
            assertTrue(c.stdout().contains("VPC block"), c.stdout());
            assertTrue(wiring.wired.isEmpty(), bad);
        }
    }

    @Test
    void add_netnsMissing_isUnknownContainer_withoutAskingIpamd() throws IOException {
        Fakes.Call c = Fakes.run(Fakes.env("ADD", tmp.resolve("gone").toString()), conf("1.0.0", ""), ipamd, wiring);
        assertEquals(3, code(c));
        assertTrue(ipamd.requests().isEmpty());
    }

    @Test
    void add_wiringFails_givesTheAddressBack() throws IOException {
        wiring.failAdd = "pod netns: `link add` failed: boom";
        Fakes.Call c = call("ADD", conf("1.0.0", ""));
        assertEquals(102, code(c));
        assertTrue(json(c.stdout()).get("details").toString().contains("boom"));
        assertEquals(List.of(Op.ADD, Op.DEL), ipamd.requests().stream().map(Request::op).toList());
        assertTrue(ipamd.leased().isEmpty());
    }

    @Test
    void add_wiringFailsAndIpamdGone_spoolsTheGiveBack() throws IOException {
        wiring.failAdd = "boom";
        ipamd.fault(ScriptedIpamd.Fault.CLOSE, Op.DEL);
        Fakes.Call c = call("ADD", conf("1.0.0", ""));
        assertEquals(102, code(c));
        assertEquals(1, spooled().size());
    }

    @Test
    void add_leaseNotIpv4_isBadReply_andGivenBack() throws IOException {
        ipamd.leased().put("vpcnet/c0ffee/eth0", new io.vpcipam.protocol.LeaseInfo("10.0.0.5; reboot", 32, null, null,
                0, 0, null, List.of(), 0));
        assertEquals(101, code(call("ADD", conf("1.0.0", ""))));
        assertTrue(wiring.wired.isEmpty());
        assertEquals(Op.DEL, ipamd.requests().getLast().op());
    }

    @Test
    void del_tearsDownFromPrevResult_andReleases() throws IOException {
        String prev = call("ADD", conf("1.0.0", "")).stdout().strip();
        Fakes.Call c = call("DEL", conf("1.0.0", ",\"prevResult\":" + prev));
        assertEquals(0, c.exit(), c.stdout());
        assertEquals("", c.stdout());
        assertTrue(wiring.wired.isEmpty());
        assertTrue(wiring.deleted.getFirst().endsWith("[10.0.0.5]"), wiring.deleted.toString());
        assertTrue(ipamd.leased().isEmpty());
    }

    @Test
    void del_withoutPrevResult_takesTheAddressFromIpamd() throws IOException {
        call("ADD", conf("1.0.0", ""));
        assertEquals(0, call("DEL", conf("1.0.0", "")).exit());
        assertTrue(wiring.deleted.getFirst().endsWith("[10.0.0.5]"), wiring.deleted.toString());
    }

    @Test
    void del_twice_succeedsBothTimes() {
        call("ADD", conf("1.0.0", ""));
        assertEquals(0, call("DEL", conf("1.0.0", "")).exit());
        assertEquals(0, call("DEL", conf("1.0.0", "")).exit());
    }

    @Test
    void del_ipamdDown_spoolsADelRequest_andSucceeds() throws IOException {
        ipamd.stop();
        Fakes.Call c = call("DEL", conf("1.0.0", ""));
        assertEquals(0, c.exit(), c.stdout());
        List<Path> files = spooled();
        assertEquals(1, files.size());
        assertTrue(files.getFirst().getFileName().toString().endsWith(".json"));
        Request r = Codec.decodeRequest(Files.readString(files.getFirst()).strip());
        assertEquals(Op.DEL, r.op());
        assertEquals("vpcnet", r.network());
        assertEquals("c0ffee", r.containerId());
        assertEquals("eth0", r.ifName());
    }

    @Test
    void del_ipamdRefuses_isRejected() throws IOException {
        ipamd.answer(Reply.error(new ErrorInfo("UNAUTHORIZED", "uid 1000", false)), Op.values());
        assertEquals(100, code(call("DEL", conf("1.0.0", ""))));
    }

    @Test
    void del_teardownFails_is105_andKeepsTheLease() throws IOException {
        call("ADD", conf("1.0.0", ""));
        wiring.failDel = "host: `link del` failed: Operation not permitted";
        assertEquals(105, code(call("DEL", conf("1.0.0", ""))));
        assertFalse(ipamd.leased().isEmpty());
    }

    @Test
    void del_spoolDirUnwritable_isIoFailure() throws IOException {
        ipamd.stop();
        Files.writeString(tmp.resolve("release-spool"), "a file where the dir should be");
        assertEquals(5, code(call("DEL", conf("1.0.0", ""))));
    }

    @Test
    void check_matching_succeedsSilently() throws IOException {
        String prev = call("ADD", conf("1.0.0", "")).stdout().strip();
        Fakes.Call c = call("CHECK", conf("1.0.0", ",\"prevResult\":" + prev));
        assertEquals(0, c.exit(), c.stdout());
        assertEquals("", c.stdout());
    }

    @Test
    void check_withoutPrevResult_isInvalidConfig() throws IOException {
        assertEquals(7, code(call("CHECK", conf("1.0.0", ""))));
    }

    @Test
    void check_leaseGone_isLeaseDrift() throws IOException {
        String prev = call("ADD", conf("1.0.0", "")).stdout().strip();
        ipamd.leased().clear();
        assertEquals(104, code(call("CHECK", conf("1.0.0", ",\"prevResult\":" + prev))));
    }

    @Test
    void check_otherAddressLeased_isLeaseDrift() throws IOException {
        String prev = call("ADD", conf("1.0.0", "")).stdout().strip().replace("10.0.0.5/32", "10.0.0.77/32");
        assertEquals(104, code(call("CHECK", conf("1.0.0", ",\"prevResult\":" + prev))));
    }

    @Test
    void check_hostDiffers_isInterfaceDrift_withTheDifference() throws IOException {
        String prev = call("ADD", conf("1.0.0", "")).stdout().strip();
        wiring.drift = List.of("pod lacks the default route via 169.254.1.1");
        Fakes.Call c = call("CHECK", conf("1.0.0", ",\"prevResult\":" + prev));
        assertEquals(103, code(c));
        assertTrue(json(c.stdout()).get("details").toString().contains("default route"));
    }

    @Test
    void gc_sendsTheValidAttachments() throws IOException {
        Fakes.Call c = call("GC", conf("1.1.0",
                ",\"cni.dev/valid-attachments\":[{\"containerID\":\"a1\",\"ifname\":\"eth0\"}]"));
        assertEquals(0, c.exit(), c.stdout());
        Request gc = ipamd.requests().getLast();
        assertEquals(Op.GC, gc.op());
        assertEquals("vpcnet", gc.network());
        assertEquals(1, gc.attachments().size());
        assertEquals("a1", gc.attachments().getFirst().containerId());
    }

    @Test
    void gc_sweepsOrphanedRules_evenWhenIpamdIsDown_andASweepFailureIs105AfterIpamdIsTold() throws IOException {
        wiring.orphanRules = List.of("rule del to 10.0.0.9/32 priority 512");
        Fakes.Call c = call("GC", conf("1.1.0", ",\"cni.dev/valid-attachments\":[]"));
        assertEquals(0, c.exit(), c.stdout());
        assertEquals(1, wiring.sweeps);
        assertTrue(c.log().contains("swept [rule del to 10.0.0.9/32 priority 512]"), c.log());

        ipamd.stop();
        assertEquals(11, code(call("GC", conf("1.1.0", ",\"cni.dev/valid-attachments\":[]"))));
        assertEquals(2, wiring.sweeps, "the sweep needs no ipamd");

        ipamd.start();
        wiring.failSweep = "RTNETLINK answers: Operation not permitted";
        int before = ipamd.requests().size();
        Fakes.Call failed = call("GC", conf("1.1.0", ",\"cni.dev/valid-attachments\":[]"));
        assertEquals(105, code(failed));
        assertEquals(Op.GC, ipamd.requests().get(before).op(), "ipamd still hears the GC");
    }

    @Test
    void gc_before110_isIncompatibleVersion() throws IOException {
        assertEquals(1, code(call("GC", conf("1.0.0", ",\"cni.dev/valid-attachments\":[]"))));
    }

    @Test
    void gc_ipamdDown_is11() throws IOException {
        ipamd.stop();
        assertEquals(11, code(call("GC", conf("1.1.0", ",\"cni.dev/valid-attachments\":[]"))));
    }

    @Test
    void status_ipamdUp_succeedsSilently_downIs50() throws IOException {
        Fakes.Call ok = call("STATUS", conf("1.1.0", ""));
        assertEquals(0, ok.exit());
        assertEquals("", ok.stdout());
        ipamd.stop();
        assertEquals(50, code(call("STATUS", conf("1.1.0", ""))));
    }

    @Test
    void env_missingCommand_unknownCommand_missingVars_are4() throws IOException {
        Map<String, String> env = Fakes.env("ADD", netns);
        env.remove("CNI_COMMAND");
        assertEquals(4, code(Fakes.run(env, conf("1.0.0", ""), ipamd, wiring)));
        assertEquals(4, code(Fakes.run(Fakes.env("FROB", netns), conf("1.0.0", ""), ipamd, wiring)));
        env = Fakes.env("ADD", "");
        Fakes.Call c = Fakes.run(env, conf("1.0.0", ""), ipamd, wiring);
        assertEquals(4, code(c));
        assertTrue(c.stdout().contains("CNI_NETNS"));
    }

    @Test
    void env_badIfNameOrContainerIdOrArgs_are4() throws IOException {
        for (String[] kv : new String[][] {{"CNI_IFNAME", "eth0/x"}, {"CNI_IFNAME", "a-very-long-ifname"},
                {"CNI_CONTAINERID", "-x"}, {"CNI_CONTAINERID", "a b"}, {"CNI_ARGS", "K8S_POD_NAME"},
                {"CNI_NETNS", "relative/path"}}) {
            Map<String, String> env = Fakes.env("ADD", netns);
            env.put(kv[0], kv[1]);
            assertEquals(4, code(Fakes.run(env, conf("1.0.0", ""), ipamd, wiring)), kv[0] + "=" + kv[1]);
        }
        assertTrue(ipamd.requests().isEmpty());
    }

    @Test
    void env_podNamesFromCniArgs_reachIpamd() {
        Map<String, String> env = Fakes.env("ADD", netns);
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=x");
        assertEquals(0, Fakes.run(env, conf("1.0.0", ""), ipamd, wiring).exit());
        assertEquals("default", ipamd.requests().getFirst().podNamespace());
        assertEquals("web-0", ipamd.requests().getFirst().podName());
    }

    @Test
    void config_errors_haveTheirCodes() throws IOException {
        assertEquals(6, code(call("ADD", "{not json")));
        assertEquals(6, code(call("ADD", "")));
        assertEquals(6, code(call("ADD", "[1,2]")));
        assertEquals(1, code(call("ADD", "{\"name\":\"n\"}")));
        assertEquals(1, code(call("ADD", conf("0.3.1", ""))));
        assertEquals(7, code(call("ADD", "{\"cniVersion\":\"1.0.0\"}")));
        assertEquals(7, code(call("ADD", "{\"cniVersion\":\"1.0.0\",\"name\":\"-bad\"}")));
        assertEquals(7, code(call("ADD", conf("1.0.0", ",\"mtu\":\"9001\""))));
        assertEquals(7, code(call("ADD", conf("1.0.0", ",\"mtu\":100"))));
        assertEquals(7, code(call("ADD", conf("1.0.0", ",\"ipamdSocket\":\"relative.sock\""))));
        assertEquals(7, code(call("ADD", conf("1.0.0", ",\"vethPrefix\":\"toolong\""))));
        assertTrue(ipamd.requests().isEmpty());
    }

    @Test
    void config_nestedDeeply_isDecodingError_onTheLaunchersStack() throws Exception {
        // The launcher runs with -Xss512k; a thread with less stack than that proves the depth limit is reached
        // before the stack's.
        String deep = conf("1.0.0", ",\"prevResult\":" + "{\"a\":".repeat(990) + "1" + "}".repeat(990));
        String deepArrays = conf("1.0.0", ",\"x\":1.5,\"y\":" + "[".repeat(990) + "]".repeat(990));
        Fakes.Call[] calls = new Fakes.Call[2];
        Thread t = new Thread(null, () -> {
            calls[0] = call("ADD", deep);
            calls[1] = call("DEL", deepArrays);
        }, "small-stack", 256 * 1024);
        t.start();
        t.join();
        assertEquals(6, code(calls[0]), calls[0].stdout());
        assertTrue(calls[0].stdout().contains("nested deeper than"), calls[0].stdout());
        assertEquals(6, code(calls[1]), calls[1].stdout());
        assertTrue(ipamd.requests().isEmpty());
    }

    @Test
    void config_pathsTheSystemCannotEncode_are7NamingTheKey_andANetnsLikeThatIs4() throws IOException {
        for (String key : List.of("ipamdSocket", "stateDir", "logFile", "lockFile")) {
            String bad = ",\"" + key + "\":\"/run/vpc-\\ud800/x\"";
            String base = conf("1.0.0", "");
            Fakes.Call c = call("ADD", key.equals("logFile") ? base.replace(",\"logFile\":\"\"", bad)
                    : key.equals("stateDir") ? base.replace(",\"stateDir\":\"" + tmp + "\"", bad) : conf("1.0.0", bad));
            assertEquals(7, code(c), c.stdout());
            assertTrue(json(c.stdout()).get("msg").toString().startsWith(key), c.stdout());
        }
        Fakes.Call c = Fakes.run(Fakes.env("ADD", "/run/netns/\ud800"), conf("1.0.0", ""), ipamd, wiring);
        assertEquals(4, code(c), c.stdout());
        assertTrue(ipamd.requests().isEmpty());
    }

    @Test
    void config_lockFileThatCannotBeALockFile_is7() throws IOException {
        Files.createDirectories(tmp.resolve("adir"));
        for (String bad : List.of("/", "/run/vpc-ipam/", tmp.resolve("adir").toString(), "relative.lock")) {
            Fakes.Call c = call("ADD", conf("1.0.0", ",\"lockFile\":\"" + bad + "\""));
            assertEquals(7, code(c), bad + ": " + c.stdout());
            assertTrue(json(c.stdout()).get("msg").toString().startsWith("lockFile"), c.stdout());
        }
        assertTrue(ipamd.requests().isEmpty());
    }

    @Test
    void errors_carryTheConfigVersion_whenSupported() throws IOException {
        ipamd.stop();
        assertEquals("0.4.0", json(call("ADD", conf("0.4.0", "")).stdout()).get("cniVersion"));
        assertEquals("1.1.0", json(call("ADD", conf("9.9.9", "")).stdout()).get("cniVersion"));
    }

    private List<Path> spooled() throws IOException {
        Path dir = tmp.resolve("release-spool");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.toList();
            files.forEach(f -> assertNotNull(f));
            return files;
        }
    }
}
