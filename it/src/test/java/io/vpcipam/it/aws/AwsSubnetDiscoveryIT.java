package io.vpcipam.it.aws;

import io.vpcipam.it.IpamdProcess;
import io.vpcipam.protocol.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.NetworkInterface;
import software.amazon.awssdk.services.ec2.model.Tag;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * aws-node's ENABLE_SUBNET_DISCOVERY on moto: a new ENI goes to the subnet with the most free addresses among the
 * primary ENI's and the subnets of the node's VPC and zone tagged {@code kubernetes.io/role/cni}; a bigger tagged
 * subnet in another zone and a bigger untagged one in the same zone are not candidates. Off, the primary's subnet.
 */
class AwsSubnetDiscoveryIT {

    private static final String REGION = "us-east-1";

    private static URI moto;
    private static Ec2Client ec2;

    @TempDir
    Path dir;

    @BeforeAll
    static void moto() {
        String value = System.getenv("IPAMD_TEST_EC2_ENDPOINT");
        if (value == null || value.isBlank()) {
            String how = "IPAMD_TEST_EC2_ENDPOINT is not set; start moto with `. bin/moto.sh && start_moto`";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true but " + how);
            }
            Assumptions.abort(how);
        }
        moto = URI.create(value.trim());
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(moto.getHost(), moto.getPort()), 2000);
        } catch (IOException e) {
            fail("IPAMD_TEST_EC2_ENDPOINT=" + moto + " does not answer: " + e.getMessage());
        }
        ec2 = Ec2Client.builder().endpointOverride(moto).region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    @AfterAll
    static void close() {
        if (ec2 != null) {
            ec2.close();
        }
    }

    private record Vpc(String id, String primary, String tagged, String taggedOtherZone, String untaggedBigger,
                       String group) {
    }

    private static Vpc vpc() {
        int octet = ThreadLocalRandom.current().nextInt(100, 250);
        String vpc = ec2.createVpc(r -> r.cidrBlock("10." + octet + ".0.0/16")).vpc().vpcId();
        String primary = subnet(vpc, "10." + octet + ".0.0/24", "a", false);
        String tagged = subnet(vpc, "10." + octet + ".1.0/24", "a", true);
        String otherZone = subnet(vpc, "10." + octet + ".16.0/20", "b", true);
        String untagged = subnet(vpc, "10." + octet + ".32.0/20", "a", false);
        String group = ec2.createSecurityGroup(r -> r.vpcId(vpc).groupName("discovery-" + System.nanoTime())
                .description("subnet discovery")).groupId();
        return new Vpc(vpc, primary, tagged, otherZone, untagged, group);
    }

    private static String subnet(String vpc, String cidr, String zone, boolean cniTag) {
        String id = ec2.createSubnet(r -> r.vpcId(vpc).cidrBlock(cidr).availabilityZone(REGION + zone)).subnet()
                .subnetId();
        if (cniTag) {
            ec2.createTags(r -> r.resources(id).tags(Tag.builder().key("kubernetes.io/role/cni").value("1").build()));
        }
        return id;
    }

    /** Runs ipamd on a new m5.large in the primary subnet, wanting more than its primary ENI holds: the subnet
     *  of the ENI it creates. */
    private String secondEniSubnet(Vpc v, Map<String, String> extra) throws Exception {
        String instance = ec2.runInstances(r -> r.imageId("ami-12c6146b").instanceType("m5.large").minCount(1)
                .maxCount(1).subnetId(v.primary()).securityGroupIds(v.group())).instances().getFirst().instanceId();
        Map<String, String> env = new HashMap<>(Map.of(
                "AWS_EC2_ENDPOINT", moto.toString(), "AWS_REGION", REGION,
                "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test",
                "IPAMD_INSTANCE_ID", instance, "IPAMD_AWS_PREFIX_DELEGATION", "false",
                "IPAMD_RECONCILE_INTERVAL", "500ms", "WARM_IP_TARGET", "12"));
        env.putAll(extra);
        try (IpamdProcess ipamd = IpamdProcess.start("aws", dir.resolve(instance), env, Duration.ofSeconds(60))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (NetworkInterface ni : ec2.describeNetworkInterfaces(r -> r.filters(Filter.builder()
                        .name("attachment.instance-id").values(instance).build())).networkInterfaces()) {
                    if (ni.attachment() != null && ni.attachment().deviceIndex() > 0) {
                        ipamd.call(Request.status()); // still serving
                        return ni.subnetId();
                    }
                }
                Thread.sleep(250);
            }
            throw new AssertionError("no second ENI within 60 s:\n" + ipamd.log());
        }
    }

    @Test
    void discoveryOnByDefault_newEniGoesToTheTaggedSubnetOfTheNodesZoneWithTheMostFree() throws Exception {
        Vpc v = vpc();
        assertEquals(v.tagged(), secondEniSubnet(v, Map.of()),
                "tagged /24 in the node's zone (its primary /24 has the instance's address taken)");
    }

    @Test
    void discoveryOff_newEniGoesToThePrimarysSubnet() throws Exception {
        Vpc v = vpc();
        assertEquals(v.primary(), secondEniSubnet(v, Map.of("ENABLE_SUBNET_DISCOVERY", "false")));
    }
}
