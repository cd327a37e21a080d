package io.vpcipam.cni.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpWiringTest {

    @TempDir
    Path tmp;

    HostLock lock() {
        return new HostLock(tmp.resolve("run/cni.lock"));
    }

    static final String ROUTE_HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            + "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
    static final String DEV_HEADER = "Inter-|   Receive                |  Transmit\n face |bytes    packets errs|bytes\n"
            + "    lo:  100  2  0 0 0 0 0 0  100  2  0 0 0 0 0 0\n";

    /** A /proc/net/route row for a /32 (little-endian hex, as the kernel prints it on x86 and arm64). */
    static String routeRow(String dev, String address) {
        String[] o = address.split("\\.");
        int v = Integer.parseInt(o[0]) | Integer.parseInt(o[1]) << 8 | Integer.parseInt(o[2]) << 16
                | Integer.parseInt(o[3]) << 24;
        return dev + "\t" + String.format("%08X", v) + "\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0\n";
    }

    static final WireSpec SPEC = new WireSpec("/run/netns/p1", "eth0", "vpc0123456789ab", "02:00:00:00:00:02",
            "02:00:00:00:00:01", "10.0.0.5", 9001, 2);

    /** Records the batches and answers them from a script. */
    static final class ScriptedIp implements IpRunner {
        final List<String> calls = new ArrayList<>();
        final Deque<Outcome> answers = new ArrayDeque<>();
        /** /proc/net/route and /proc/net/dev as the host shows them. */
        String procRoute = ROUTE_HEADER;
        String procDev = DEV_HEADER;

        @Override
        public String procNet(String file) {
            return file.equals("route") ? procRoute : procDev;
        }

        @Override
        public Outcome run(String netns, boolean json, boolean force, List<String> lines) {
            calls.add((netns == null ? "host" : netns) + (json ? " -j" : "") + (force ? " -force" : "") + " "
                    + String.join(" | ", lines));
            return answers.isEmpty() ? new Outcome(0, "", "") : answers.poll();
        }
    }

    @Test
    void add_isOneHostBatchThenOnePodBatch_withRulesForASecondaryInterface() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        new IpWiring(ip, lock()).add(SPEC);
        assertEquals(2, ip.calls.size());
        String host = ip.calls.get(0);
        assertTrue(host.startsWith("host -force link add vpc0123456789ab up address 02:00:00:00:00:02 mtu 9001 type veth "
                + "peer name eth0 address 02:00:00:00:00:01 mtu 9001 netns \"/run/netns/p1\" | "), host);
        assertTrue(host.contains("route replace 10.0.0.5/32 dev vpc0123456789ab scope link"), host);
        assertTrue(host.contains("rule add to 10.0.0.5/32 lookup main priority 512"), host);
        assertTrue(host.contains("rule add from 10.0.0.5/32 lookup 2 priority 1536"), host);
        String pod = ip.calls.get(1);
        assertTrue(pod.startsWith("/run/netns/p1 addr add 10.0.0.5/32 dev eth0 | link set eth0 up"), pod);
        assertTrue(pod.contains("neigh replace 169.254.1.1 lladdr 02:00:00:00:00:02 dev eth0 nud permanent"));
        assertTrue(pod.contains("route add default via 169.254.1.1 dev eth0"));
    }

    @Test
    void add_withVpcBlocks_addsOneFromRulePerBlock_andClearsEveryOldOneFirst() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        new IpWiring(ip, lock()).add(new WireSpec("/run/netns/p1", "eth0", "vpc0123456789ab",
                "02:00:00:00:00:02", "02:00:00:00:00:01", "10.0.0.5", 9001, 2, List.of("10.0.0.0/16", "100.64.0.0/16")));
        String host = ip.calls.get(0);
        assertTrue(host.contains("rule flush from 10.0.0.5/32 priority 1536 | "), host);
        assertTrue(host.contains("rule add from 10.0.0.5/32 to 10.0.0.0/16 lookup 2 priority 1536 | "
                + "rule add from 10.0.0.5/32 to 100.64.0.0/16 lookup 2 priority 1536"), host);
        assertTrue(!host.contains("rule add from 10.0.0.5/32 lookup"), host);
    }

    @Test
    void checkHost_withVpcBlocks_reportsAMissingBlockRule() {
        WireSpec s = new WireSpec("/n", "eth0", "vpcx", "02:00:00:00:00:02", "02:00:00:00:00:01", "10.0.0.5", 0, 2,
                List.of("10.0.0.0/16", "100.64.0.0/16"));
        List<String> problems = new ArrayList<>();
        IpReadings.checkHost(s, List.of(Map.of("ifname", "vpcx", "address", "02:00:00:00:00:02")),
                List.of(Map.of("dst", "10.0.0.5", "dev", "vpcx")),
                List.of(Map.of("priority", 512, "dst", "10.0.0.5", "table", "main"),
                        Map.of("priority", 1536, "src", "10.0.0.5", "dst", "10.0.0.0", "dstlen", 16, "table", "2")),
                problems);
        assertEquals(List.of("host lacks the rule from 10.0.0.5 to 100.64.0.0/16 lookup 2 priority 1536"), problems);
    }

    @Test
    void add_onMainTable_addsTheToPodRuleOnly() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        new IpWiring(ip, lock()).add(new WireSpec("/n", "eth0", "vpcx", "02:00:00:00:00:02", "02:00:00:00:00:01",
                "10.0.0.5", 0, 0));
        // a pod of a secondary interface (from-rule to the VPC, lookup N) reaches this one through main, on the node
        assertTrue(ip.calls.get(0).contains("rule add to 10.0.0.5/32 lookup main priority 512"), ip.calls.get(0));
        assertTrue(!ip.calls.get(0).contains("rule add from"), ip.calls.get(0));
        assertTrue(!ip.calls.get(0).contains("mtu"), ip.calls.get(0));
    }

    @Test
    void checkHost_onMainTable_reportsAMissingToPodRule() {
        WireSpec s = new WireSpec("/n", "eth0", "vpcx", "02:00:00:00:00:02", "02:00:00:00:00:01", "10.0.0.5", 0, 0);
        List<String> problems = new ArrayList<>();
        IpReadings.checkHost(s, List.of(Map.of("ifname", "vpcx", "address", "02:00:00:00:00:02")),
                List.of(Map.of("dst", "10.0.0.5", "dev", "vpcx")), List.of(), problems);
        assertEquals(List.of("host lacks the rule to 10.0.0.5 lookup main priority 512"), problems);
    }

    @Test
    void add_lockFileUnusable_runsNoBatch_soNothingIsLeftWired() throws Exception {
        // A lock file whose parent is a regular file cannot be made, even by root (a read-only
        // file system fails the same way). Before, the pod batch ran first and the undo needed the lock.
        java.nio.file.Files.writeString(tmp.resolve("afile"), "");
        HostLock broken = new HostLock(tmp.resolve("afile/cni.lock"));
        ScriptedIp ip = new ScriptedIp();
        WiringException e = assertThrows(WiringException.class, () -> new IpWiring(ip, broken).add(SPEC));
        assertTrue(e.getMessage().contains("lockFile"), e.getMessage());
        assertEquals(List.of(), ip.calls, "a batch ran though the lock could not be taken");
        assertThrows(WiringException.class, () -> new IpWiring(ip, broken).startAdd("/run/netns/p1"));
        assertEquals(List.of(), ip.calls);
    }

    @Test
    void add_podStepFails_undoesTheVethAndRules_underTheLock() throws Exception {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(0, "", ""));
        ip.answers.add(new IpRunner.Outcome(1, "", "RTNETLINK answers: Invalid argument\nCommand failed -:1\n"));
        HostLock l = lock();
        IpWiring w = new IpWiring(new IpRunner() {
            @Override
            public Outcome run(String netns, boolean json, boolean force, List<String> lines) {
                if (netns == null && lines.getFirst().startsWith("link del")) {
                    try (FileChannel other = FileChannel.open(l.file(), StandardOpenOption.WRITE)) {
                        assertThrows(OverlappingFileLockException.class, other::tryLock, "undo ran without the lock");
                    } catch (java.io.IOException e) {
                        throw new AssertionError(e);
                    }
                }
                return ip.run(netns, json, force, lines);
            }

            @Override
            public String procNet(String file) {
                return ip.procNet(file);
            }
        }, l);
        WiringException e = assertThrows(WiringException.class, () -> w.add(SPEC));
        assertTrue(e.getMessage().contains("addr add 10.0.0.5/32 dev eth0"), e.getMessage());
        String undo = ip.calls.getLast();
        assertTrue(undo.startsWith("host -force link del vpc0123456789ab"), undo);
        assertTrue(undo.contains("rule flush from 10.0.0.5/32 priority 1536"), undo);
    }

    @Test
    void add_hostStepFails_undoes_andNeverRunsThePodBatch() {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(1, "", "RTNETLINK answers: No such file or directory\nCommand failed -:2\n"
                + "RTNETLINK answers: Network is down\nCommand failed -:4\n"));
        WiringException e = assertThrows(WiringException.class, () -> new IpWiring(ip, lock()).add(SPEC));
        assertTrue(e.getMessage().contains("route replace"), e.getMessage());
        assertEquals(2, ip.calls.size(), ip.calls.toString());
        assertTrue(ip.calls.getLast().startsWith("host -force link del"), ip.calls.getLast());
    }

    @Test
    void add_leftoverHostVeth_isDeletedFirst_inTheSameBatch() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        ip.procDev = DEV_HEADER + "vpc0123456789ab: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        new IpWiring(ip, lock()).add(SPEC);
        assertEquals(2, ip.calls.size(), ip.calls.toString());
        assertTrue(ip.calls.get(0).startsWith("host -force link del vpc0123456789ab | link add vpc0123456789ab"),
                ip.calls.get(0));
    }

    @Test
    void add_podInterfaceNameTakenByAnother_failsWithoutTouchingIt() {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(2, "", "RTNETLINK answers: File exists\nCommand failed -:1\n"));
        assertThrows(WiringException.class, () -> new IpWiring(ip, lock()).add(SPEC));
        assertTrue(ip.calls.stream().noneMatch(c -> c.startsWith("/run/netns/p1")), ip.calls.toString());
    }

    @Test
    void del_alreadyGone_succeeds_otherErrorsFail() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(1, "", "Cannot find device \"vpcx\"\nCommand failed -:1\n"
                + "RTNETLINK answers: No such file or directory\nCommand failed -:2\n"));
        new IpWiring(ip, lock()).del("vpcx", List.of("10.0.0.5"));
        assertEquals(1, ip.calls.size(), "DEL is one batch: " + ip.calls);
        ip.answers.add(new IpRunner.Outcome(1, "", "RTNETLINK answers: Operation not permitted\nCommand failed -:1\n"));
        assertThrows(WiringException.class, () -> new IpWiring(ip, lock()).del("vpcx", List.of("10.0.0.5")));
    }

    @Test
    void del_addressNowRoutedToAnotherVeth_keepsItsRules_removesOursAndTheVeth() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        ip.procRoute = ROUTE_HEADER + routeRow("vpcother", "10.0.0.5") + routeRow("vpcx", "10.0.0.6");
        new IpWiring(ip, lock()).del("vpcx", List.of("10.0.0.5", "10.0.0.6", "10.0.0.7"));
        assertEquals(List.of("host -force link del vpcx | rule del to 10.0.0.6/32 priority 512 | "
                + "rule flush from 10.0.0.6/32 priority 1536 | rule del to 10.0.0.7/32 priority 512 | "
                + "rule flush from 10.0.0.7/32 priority 1536"), ip.calls);
    }

    @Test
    void del_withoutAddresses_readsTheHostRoute() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        ip.procRoute = ROUTE_HEADER + routeRow("vpcx", "10.0.0.9") + routeRow("vpcy", "10.0.0.8");
        new IpWiring(ip, lock()).del("vpcx", List.of());
        assertEquals(List.of("host -force link del vpcx | rule del to 10.0.0.9/32 priority 512 | "
                + "rule flush from 10.0.0.9/32 priority 1536"), ip.calls);
    }

    @Test
    void hostRoutes_readsOnlyHostRoutes_fromTheKernelsHex() {
        Map<String, List<String>> r = IpWiring.hostRoutes(ROUTE_HEADER + routeRow("vpca", "10.1.2.3")
                + routeRow("vpcb", "10.1.2.3") + routeRow("vpcc", "192.168.200.254")
                + "eth0\t0000000A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n");
        assertEquals(Map.of("10.1.2.3", List.of("vpca", "vpcb"), "192.168.200.254", List.of("vpcc")), r);
    }

    @Test
    void fields_splitOnAnyRunOfSpacesAndTabs_asTheKernelPadsThem() {
        assertEquals(List.of("vpca", "0302010A", "FFFFFFFF"), IpWiring.fields("  vpca\t0302010A \t  FFFFFFFF  \n"));
        assertEquals(List.of(), IpWiring.fields(" \t "));
        assertEquals(List.of("x"), IpWiring.fields("x"));
    }

    @Test
    void hostRoutes_spacePaddedRows_readAsTabbedOnes() {
        String row = routeRow("vpca", "10.1.2.3").replace("\t", "   ");
        assertEquals(Map.of("10.1.2.3", List.of("vpca")), IpWiring.hostRoutes(ROUTE_HEADER + "  " + row));
    }

    @Test
    void sweepRules_listsRulesThenRoutes_andDeletesOnlyOurRulesWhoseAddressHasNoHostRoute() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(0, "[{\"priority\":0,\"src\":\"all\",\"table\":\"local\"},"
                + "{\"priority\":512,\"src\":\"all\",\"dst\":\"10.0.0.5\",\"table\":\"main\"},"
                + "{\"priority\":512,\"src\":\"all\",\"dst\":\"10.0.0.9\",\"table\":\"main\"},"
                + "{\"priority\":512,\"src\":\"all\",\"dst\":\"10.0.1.0\",\"dstlen\":24,\"table\":\"main\"},"
                + "{\"priority\":1536,\"src\":\"10.0.0.5\",\"table\":\"2\"},"
                + "{\"priority\":1536,\"src\":\"10.0.0.9\",\"table\":\"2\"},"
                + "{\"priority\":1000,\"src\":\"all\",\"dst\":\"10.0.0.7\",\"table\":\"main\"},"
                + "{\"priority\":32766,\"src\":\"all\",\"table\":\"main\"}]\n"
                + "[{\"dst\":\"default\",\"gateway\":\"10.0.0.1\",\"dev\":\"eth0\"},"
                + "{\"dst\":\"10.0.0.0/16\",\"dev\":\"eth0\",\"scope\":\"link\"},"
                + "{\"dst\":\"10.0.0.5\",\"dev\":\"vpc5\",\"scope\":\"link\"}]\n", ""));
        List<String> swept = new IpWiring(ip, lock()).sweepRules();
        assertEquals("host -j rule show | route show table main", ip.calls.get(0));
        assertEquals(List.of("rule del to 10.0.0.9/32 priority 512", "rule flush from 10.0.0.9/32 priority 1536"), swept);
        assertEquals("host -force rule del to 10.0.0.9/32 priority 512 | rule flush from 10.0.0.9/32 priority 1536",
                ip.calls.get(1));
        assertEquals(2, ip.calls.size());
    }

    @Test
    void sweepRules_nothingOrphaned_isOneReadOnlyBatch_andAListingFailureFails() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(0, "[{\"priority\":512,\"src\":\"all\",\"dst\":\"10.0.0.5\",\"table\":\"main\"}]\n"
                + "[{\"dst\":\"10.0.0.5\",\"dev\":\"vpc5\",\"scope\":\"link\"}]\n", ""));
        assertEquals(List.of(), new IpWiring(ip, lock()).sweepRules());
        assertEquals(1, ip.calls.size());
        ip.answers.add(new IpRunner.Outcome(1, "", "RTNETLINK answers: Operation not permitted\nCommand failed -:1\n"));
        assertThrows(WiringException.class, () -> new IpWiring(ip, lock()).sweepRules());
        assertEquals(2, ip.calls.size(), "nothing is deleted from a listing that failed");
    }

    /**
     * A host netns in memory: links, /32 routes and our rules, changed and shown as ip would. It
     * records every host batch's enter and exit, and can hold the first DEL ownership check open.
     */
    static final class HostModel implements IpRunner {
        final Set<String> links = new HashSet<>();
        final Map<String, String> routes = new HashMap<>();
        final Set<String> rules = new LinkedHashSet<>();
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch checked = new CountDownLatch(1);
        volatile long holdCheckMillis;

        @Override
        public Outcome run(String netns, boolean json, boolean force, List<String> lines) {
            if (netns != null) {
                return new Outcome(0, "", ""); // the pod batch
            }
            String who = Thread.currentThread().getName();
            events.add("enter " + who);
            Outcome o;
            synchronized (this) {
                o = apply(lines);
            }
            events.add("exit " + who);
            return o;
        }

        /** The DEL's ownership check reads the routes here; the first such read can be held open. */
        @Override
        public String procNet(String file) {
            StringBuilder b = new StringBuilder(file.equals("route") ? ROUTE_HEADER : DEV_HEADER);
            synchronized (this) {
                if (file.equals("route")) {
                    routes.forEach((a, dev) -> b.append(routeRow(dev, a)));
                } else {
                    links.forEach(l -> b.append(l).append(": 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"));
                }
            }
            if (file.equals("route")) {
                events.add("read " + Thread.currentThread().getName());
                if (holdCheckMillis > 0 && checked.getCount() > 0) {
                    checked.countDown();
                    sleep(holdCheckMillis);
                }
            }
            return b.toString();
        }

        private Outcome apply(List<String> lines) {
            StringBuilder out = new StringBuilder();
            StringBuilder err = new StringBuilder();
            for (int i = 0; i < lines.size(); i++) {
                String[] w = lines.get(i).split(" ");
                String fail = null;
                switch (w[0] + " " + w[1]) {
                    case "link add" -> fail = links.add(w[2]) ? null : "RTNETLINK answers: File exists";
                    case "route replace" -> routes.put(w[2].replace("/32", ""), w[4]);
                    case "link set" -> fail = links.contains(w[2]) ? null : "Cannot find device \"" + w[2] + "\"";
                    case "link del" -> {
                        fail = links.remove(w[2]) ? null : "Cannot find device \"" + w[2] + "\"";
                        routes.values().removeIf(w[2]::equals);
                    }
                    case "rule add" -> rules.add(w[2] + " " + w[3].replace("/32", "") + " " + w[5]);
                    case "rule flush" -> rules.removeIf(r -> r.startsWith(w[2] + " " + w[3].replace("/32", "") + " "));
                    case "rule del" -> fail = rules.removeIf(r -> r.startsWith(w[2] + " " + w[3].replace("/32", "") + " "))
                            ? null : "RTNETLINK answers: No such file or directory";
                    default -> throw new IllegalArgumentException(lines.get(i));
                }
                if (fail != null) {
                    err.append(fail).append("\nCommand failed -:").append(i + 1).append('\n');
                }
            }
            return new Outcome(err.isEmpty() ? 0 : 1, out.toString(), err.toString());
        }

        private static void sleep(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void concurrentDelOfTheOldPodAndAddOfTheNewPod_hostBatchesNeverInterleave_andTheNewPodKeepsItsRules()
            throws Exception {
        // The old pod's netns died; its veth and route are gone, its rules too (an earlier DEL), and
        // ipamd has handed 10.0.0.5 to a new pod. The old pod's DEL is retried while the new pod is ADDed:
        // the DEL reads "no route for 10.0.0.5" and is held there until the new pod's ADD has started.
        HostModel host = new HostModel();
        host.holdCheckMillis = 300;
        WireSpec fresh = new WireSpec("/run/netns/p2", "eth0", "vpcnew", "02:00:00:00:00:04", "02:00:00:00:00:03",
                "10.0.0.5", 9001, 2);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread del = Thread.ofPlatform().name("del").start(() -> {
            try {
                new IpWiring(host, lock()).del("vpcold", List.of("10.0.0.5"));
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        assertTrue(host.checked.await(5, TimeUnit.SECONDS), "the DEL never checked the route");
        Thread add = Thread.ofPlatform().name("add").start(() -> {
            try {
                new IpWiring(host, lock()).add(fresh);
            } catch (Throwable t) {
                failed.set(t);
            }
        });
        del.join(10_000);
        add.join(10_000);
        assertEquals(null, failed.get());

        // Each host batch runs alone, and DEL's check and its deletion run back to back.
        List<String> ev = List.copyOf(host.events);
        for (int i = 1; i < ev.size(); i += 2) {
            assertTrue(ev.get(i).startsWith("enter ") && ev.get(i + 1).equals("exit " + ev.get(i).substring(6)),
                    "host batches interleave: " + ev);
        }
        assertEquals(List.of("read del", "enter del", "exit del", "enter add", "exit add"), ev);
        assertEquals("vpcnew", host.routes.get("10.0.0.5"));
        assertEquals(Set.of("to 10.0.0.5 main", "from 10.0.0.5 2"), host.rules, "the new pod lost its rules");
    }

    @Test
    void hostLock_isARealFileLock_heldOnlyWhileHeld() throws Exception {
        HostLock l = lock();
        try (HostLock.Held held = l.acquire()) {
            try (FileChannel other = FileChannel.open(l.file(), StandardOpenOption.WRITE)) {
                assertThrows(OverlappingFileLockException.class, other::tryLock, "no file lock is held");
            }
        }
        try (FileChannel other = FileChannel.open(l.file(), StandardOpenOption.WRITE); FileLock fl = other.tryLock()) {
            assertTrue(fl != null && fl.isValid(), "the lock outlived its holder");
        }
    }

    @Test
    void check_comparesPodAndHost() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        String pod = "[{\"ifname\":\"eth0\",\"address\":\"02:00:00:00:00:01\",\"mtu\":9001,\"flags\":[\"UP\"],"
                + "\"addr_info\":[{\"family\":\"inet\",\"local\":\"10.0.0.5\",\"prefixlen\":32}]}]\n"
                + "[{\"dst\":\"default\",\"gateway\":\"169.254.1.1\",\"dev\":\"eth0\"},"
                + "{\"dst\":\"169.254.1.1\",\"dev\":\"eth0\",\"scope\":\"link\"}]\n"
                + "[{\"dst\":\"169.254.1.1\",\"dev\":\"eth0\",\"lladdr\":\"02:00:00:00:00:02\",\"state\":[\"PERMANENT\"]}]\n";
        String host = "[{\"ifname\":\"vpc0123456789ab\",\"address\":\"02:00:00:00:00:02\"}]\n"
                + "[{\"dst\":\"10.0.0.5\",\"dev\":\"vpc0123456789ab\"}]\n"
                + "[{\"priority\":512,\"dst\":\"10.0.0.5\",\"table\":\"main\"},{\"priority\":1536,\"src\":\"10.0.0.5\",\"table\":\"2\"}]\n";
        ip.answers.add(new IpRunner.Outcome(0, pod, ""));
        ip.answers.add(new IpRunner.Outcome(0, host, ""));
        assertEquals(List.of(), new IpWiring(ip, lock()).check(SPEC));

        ip.answers.add(new IpRunner.Outcome(0, pod.replace("\"UP\"", "\"DOWN\""), ""));
        ip.answers.add(new IpRunner.Outcome(0, host.replace("\"table\":\"2\"", "\"table\":\"3\""), ""));
        List<String> problems = new IpWiring(ip, lock()).check(SPEC);
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("down"));
        assertTrue(problems.get(1).contains("lookup 2"));
    }

    @Test
    void failures_areAttributedToTheirLines() {
        IpRunner.Outcome o = new IpRunner.Outcome(1, "", "Cannot find device \"x\"\nCommand failed -:1\n"
                + "RTNETLINK answers: File exists\nCommand failed -:3\n");
        assertEquals(List.of(new IpRunner.Outcome.Failure(1, "Cannot find device \"x\""),
                new IpRunner.Outcome.Failure(3, "RTNETLINK answers: File exists")), o.failures());
        assertEquals(0, new IpRunner.Outcome(255, "", "nsenter: cannot open /x\n").failures().getFirst().line());
    }
}
