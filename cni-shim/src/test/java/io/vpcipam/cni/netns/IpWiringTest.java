package io.vpcipam.cni.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

class IpWiringTest {

    static final WireSpec SPEC = new WireSpec("/run/netns/p1", "eth0", "vpc0123456789ab", "02:00:00:00:00:02",
            "02:00:00:00:00:01", "10.0.0.5", 9001, 2);

    /** Records the batches and answers them from a script. */
    static final class ScriptedIp implements IpRunner {
        final List<String> calls = new ArrayList<>();
        final Deque<Outcome> answers = new ArrayDeque<>();

        @Override
        public Outcome run(String netns, boolean json, boolean force, List<String> lines) {
            calls.add((netns == null ? "host" : netns) + (json ? " -j" : "") + (force ? " -force" : "") + " "
                    + String.join(" | ", lines));
            return answers.isEmpty() ? new Outcome(0, "", "") : answers.poll();
        }
    }

    @Test
    void add_isOnePodBatchAndOneHostBatch_withRulesForASecondaryInterface() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        new IpWiring(ip, 4242).add(SPEC);
        assertEquals(2, ip.calls.size());
        String pod = ip.calls.get(0);
        assertTrue(pod.startsWith("/run/netns/p1 link add eth0 address 02:00:00:00:00:01 mtu 9001 type veth peer name "
                + "vpc0123456789ab address 02:00:00:00:00:02 mtu 9001 netns 4242"), pod);
        assertTrue(pod.contains("addr add 10.0.0.5/32 dev eth0"));
        assertTrue(pod.contains("neigh replace 169.254.1.1 lladdr 02:00:00:00:00:02 dev eth0 nud permanent"));
        assertTrue(pod.contains("route add default via 169.254.1.1 dev eth0"));
        String host = ip.calls.get(1);
        assertTrue(host.contains("route replace 10.0.0.5/32 dev vpc0123456789ab scope link"), host);
        assertTrue(host.contains("rule add to 10.0.0.5/32 lookup main priority 512"), host);
        assertTrue(host.contains("rule add from 10.0.0.5/32 lookup 2 priority 1536"), host);
    }

    @Test
    void add_onMainTable_addsNoRules() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        new IpWiring(ip, 1).add(new WireSpec("/n", "eth0", "vpcx", "02:00:00:00:00:02", "02:00:00:00:00:01",
                "10.0.0.5", 0, 0));
        assertTrue(!ip.calls.get(1).contains("rule add"), ip.calls.get(1));
        assertTrue(!ip.calls.get(0).contains("mtu"), ip.calls.get(0));
    }

    @Test
    void add_podStepFails_undoesTheVethAndRules() {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(1, "", "RTNETLINK answers: Invalid argument\nCommand failed -:2\n"));
        WiringException e = assertThrows(WiringException.class, () -> new IpWiring(ip, 1).add(SPEC));
        assertTrue(e.getMessage().contains("addr add 10.0.0.5/32 dev eth0"), e.getMessage());
        String undo = ip.calls.getLast();
        assertTrue(undo.startsWith("host -force link del vpc0123456789ab"), undo);
        assertTrue(undo.contains("rule del from 10.0.0.5/32 priority 1536"), undo);
    }

    @Test
    void add_hostStepFails_undoes() {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(0, "", ""));
        ip.answers.add(new IpRunner.Outcome(1, "", "RTNETLINK answers: No such file or directory\nCommand failed -:1\n"
                + "RTNETLINK answers: Network is down\nCommand failed -:4\n"));
        WiringException e = assertThrows(WiringException.class, () -> new IpWiring(ip, 1).add(SPEC));
        assertTrue(e.getMessage().contains("route replace"), e.getMessage());
        assertTrue(ip.calls.getLast().startsWith("host -force link del"), ip.calls.getLast());
    }

    @Test
    void add_leftoverHostVeth_isReplacedOnce() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(2, "", "RTNETLINK answers: File exists\nCommand failed -:1\n"));
        ip.answers.add(new IpRunner.Outcome(0, "[{\"ifname\":\"vpc0123456789ab\"}]\n", ""));
        new IpWiring(ip, 1).add(SPEC);
        assertEquals(6, ip.calls.size(), ip.calls.toString());
        assertEquals("host -j -force route show exact 10.0.0.5/32", ip.calls.get(2));
        assertTrue(ip.calls.get(3).startsWith("host -force link del vpc0123456789ab"));
        assertTrue(ip.calls.get(4).startsWith("/run/netns/p1 link add"));
    }

    @Test
    void add_podInterfaceNameTakenByAnother_failsWithoutTouchingIt() {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(2, "", "RTNETLINK answers: File exists\nCommand failed -:1\n"));
        ip.answers.add(new IpRunner.Outcome(1, "", "Device \"vpc0123456789ab\" does not exist.\nCommand failed -:1\n"));
        assertThrows(WiringException.class, () -> new IpWiring(ip, 1).add(SPEC));
        assertTrue(ip.calls.stream().noneMatch(c -> c.startsWith("/run/netns/p1") && c.contains("del")), ip.calls.toString());
    }

    @Test
    void del_alreadyGone_succeeds_otherErrorsFail() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(0, "[]\n", ""));
        ip.answers.add(new IpRunner.Outcome(1, "", "Cannot find device \"vpcx\"\nCommand failed -:1\n"
                + "RTNETLINK answers: No such file or directory\nCommand failed -:2\n"));
        new IpWiring(ip, 1).del("vpcx", List.of("10.0.0.5"));
        ip.answers.add(new IpRunner.Outcome(0, "[]\n", ""));
        ip.answers.add(new IpRunner.Outcome(1, "", "RTNETLINK answers: Operation not permitted\nCommand failed -:1\n"));
        assertThrows(WiringException.class, () -> new IpWiring(ip, 1).del("vpcx", List.of("10.0.0.5")));
    }

    @Test
    void del_addressNowRoutedToAnotherVeth_keepsItsRules_removesOursAndTheVeth() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(0, "[{\"dst\":\"10.0.0.5\",\"dev\":\"vpcother\",\"scope\":\"link\"}]\n"
                + "[{\"dst\":\"10.0.0.6\",\"dev\":\"vpcx\",\"scope\":\"link\"}]\n[]\n", ""));
        new IpWiring(ip, 1).del("vpcx", List.of("10.0.0.5", "10.0.0.6", "10.0.0.7"));
        assertEquals("host -j -force route show exact 10.0.0.5/32 | route show exact 10.0.0.6/32 | "
                + "route show exact 10.0.0.7/32", ip.calls.get(0));
        assertEquals("host -force link del vpcx | rule del to 10.0.0.6/32 priority 512 | "
                + "rule del from 10.0.0.6/32 priority 1536 | rule del to 10.0.0.7/32 priority 512 | "
                + "rule del from 10.0.0.7/32 priority 1536", ip.calls.get(1));
    }

    @Test
    void del_withoutAddresses_readsTheHostRoute() throws WiringException {
        ScriptedIp ip = new ScriptedIp();
        ip.answers.add(new IpRunner.Outcome(0, "[{\"dst\":\"10.0.0.9\",\"dev\":\"vpcx\",\"scope\":\"link\"}]\n", ""));
        new IpWiring(ip, 1).del("vpcx", List.of());
        assertTrue(ip.calls.getLast().contains("rule del to 10.0.0.9/32 priority 512"), ip.calls.getLast());
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
        assertEquals(List.of(), new IpWiring(ip, 1).check(SPEC));

        ip.answers.add(new IpRunner.Outcome(0, pod.replace("\"UP\"", "\"DOWN\""), ""));
        ip.answers.add(new IpRunner.Outcome(0, host.replace("\"table\":\"2\"", "\"table\":\"3\""), ""));
        List<String> problems = new IpWiring(ip, 1).check(SPEC);
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
