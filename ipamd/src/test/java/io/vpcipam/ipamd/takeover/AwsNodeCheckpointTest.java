package io.vpcipam.ipamd.takeover;

import io.vpcipam.provider.Ipv4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AwsNodeCheckpointTest {

    @TempDir
    Path dir;

    /** As aws-node v1.12+ writes it (pkg/ipamd/datastore/checkpoint.go), with an IPv6 pod's entry. */
    static final String SAMPLE = """
            {"version":"vpc-cni-ipam/1","allocations":[
             {"networkName":"aws-cni","containerID":"3f1c","ifName":"eth0","ipv4":"10.0.1.23",
              "allocationTimestamp":1690000000000000000,
              "metadata":{"k8sPodNamespace":"shop","k8sPodName":"web-0","interfacesCount":1}},
             {"networkName":"aws-cni","containerID":"9a2b","ifName":"eth0","ipv6":"2600:1f14::5",
              "allocationTimestamp":1690000000000000001,"metadata":{"k8sPodNamespace":"shop","k8sPodName":"v6"}},
             {"networkName":"aws-cni","containerID":"77aa","ifName":"eth0","ipv4":"10.0.1.24"}]}
            """;

    @Test
    void read_awsNodesFormat_mapsEachIpv4AddressToItsPod() throws Exception {
        Path f = dir.resolve("ipam.json");
        Files.writeString(f, SAMPLE);

        AwsNodeCheckpoint cp = AwsNodeCheckpoint.read(f).orElseThrow();

        assertEquals(2, cp.allocations().size(), "the IPv6 entry holds no IPv4 address");
        assertEquals(new AwsNodeCheckpoint.Holder("shop", "web-0", "3f1c"),
                cp.allocations().get(Ipv4Address.parse("10.0.1.23")));
        assertEquals(new AwsNodeCheckpoint.Holder("", "", "77aa"), cp.allocations().get(Ipv4Address.parse("10.0.1.24")));
    }

    @Test
    void read_missingFile_isEmpty() throws Exception {
        assertEquals(Optional.empty(), AwsNodeCheckpoint.read(dir.resolve("none.json")));
    }

    @Test
    void read_notAnAwsNodeCheckpoint_throwsNamingTheFile() throws Exception {
        for (String bad : new String[]{"{}", "[]", "{\"version\":\"vpc-ipam/1\",\"leases\":[]}",
                "{\"version\":\"vpc-cni-ipam/1\",\"allocations\":[{\"ipv4\":\"10.0.1.300\"}]}", "{\"ver"}) {
            Path f = dir.resolve("bad.json");
            Files.writeString(f, bad);

            IOException e = assertThrows(IOException.class, () -> AwsNodeCheckpoint.read(f), bad);

            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
    }
}
