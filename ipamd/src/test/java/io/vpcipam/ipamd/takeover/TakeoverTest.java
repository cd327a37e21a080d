package io.vpcipam.ipamd.takeover;

import io.vpcipam.provider.Ipv4Address;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TakeoverTest {

    static final Ipv4Address A = Ipv4Address.parse("10.0.0.10");
    static final Ipv4Address B = Ipv4Address.parse("10.0.0.11");
    static final Ipv4Address C = Ipv4Address.parse("10.0.0.12");
    static final Set<Ipv4Address> UNPROVEN = Set.of(A, B, C);

    static NodePods pods(NodePods.Pod... pods) {
        return new NodePods(List.of(pods));
    }

    static NodePods.Pod pod(String name, Ipv4Address... ips) {
        return new NodePods.Pod("default", name, List.of(ips));
    }

    static AwsNodeCheckpoint awsNode(Map<Ipv4Address, String> podByAddress) {
        java.util.Map<Ipv4Address, AwsNodeCheckpoint.Holder> m = new java.util.HashMap<>();
        podByAddress.forEach((a, p) -> m.put(a, new AwsNodeCheckpoint.Holder("default", p, "c-" + p)));
        return new AwsNodeCheckpoint(m);
    }

    @Test
    void pods_addressesNoListedPodReports_areFree() {
        var v = Takeover.provenFree(UNPROVEN, Optional.empty(), Optional.of(pods(pod("web", A))), Set.of());

        assertEquals(Set.of(B, C), v.free());
        assertTrue(v.reason().startsWith("1 held by pods"), v.reason());
    }

    @Test
    void pods_aPodWithNoAddressYetThatIpamdDidNotWire_provesNothing() {
        var v = Takeover.provenFree(UNPROVEN, Optional.empty(), Optional.of(pods(pod("web", A), pod("starting"))),
                Set.of());

        assertEquals(Set.of(), v.free());
        assertTrue(v.reason().contains("default/starting"), v.reason());
    }

    @Test
    void pods_aPodOfOursWithNoAddressYet_doesNotBlockTheProof() {
        var v = Takeover.provenFree(UNPROVEN, Optional.empty(), Optional.of(pods(pod("ours"))), Set.of("default/ours"));

        assertEquals(UNPROVEN, v.free());
    }

    @Test
    void pods_awsNodeGaveAnAddressToAListedPodWhoseStatusLags_isHeld() {
        var v = Takeover.provenFree(UNPROVEN, Optional.of(awsNode(Map.of(B, "db", C, "gone"))),
                Optional.of(pods(pod("web", A), pod("db", Ipv4Address.parse("10.0.0.99")))), Set.of());

        assertEquals(Set.of(C), v.free(), "C's pod is not listed any more: C is free");
    }

    @Test
    void noKubernetes_awsNodeCheckpoint_whatItDoesNotNameIsFree() {
        var v = Takeover.provenFree(UNPROVEN, Optional.of(awsNode(Map.of(A, "web"))), Optional.empty(), Set.of());

        assertEquals(Set.of(B, C), v.free());
    }

    @Test
    void noEvidence_provesNothing() {
        var v = Takeover.provenFree(UNPROVEN, Optional.empty(), Optional.empty(), Set.of());

        assertEquals(Set.of(), v.free());
        assertTrue(v.reason().startsWith("no evidence"), v.reason());
    }
}
