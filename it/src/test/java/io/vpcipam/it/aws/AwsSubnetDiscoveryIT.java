package io.vpcipam.it.aws;

import io.vpcipam.it.IpamdProcess;
import io.vpcipam.protocol.Request;
import io.vpcipam.provider.aws.Ec2TestBed;
import io.vpcipam.provider.aws.Moto;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.NetworkInterface;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * aws-node's ENABLE_SUBNET_DISCOVERY on moto: a new ENI goes to the subnet with the most free addresses among the
 * primary ENI's and the subnets of the node's VPC and zone tagged {@code kubernetes.io/role/cni}; a bigger tagged
 * subnet in another zone and a bigger untagged one in the same zone are not candidates. Off, the primary's subnet.
 */
class AwsSubnetDiscoveryIT {

    private static URI moto;

    @TempDir
    Path dir;

    @BeforeAll
    static void moto() {
        moto = Moto.endpoint();
    }

    private record Vpc(Ec2TestBed bed, String primary, String tagged, String taggedOtherZone, String untaggedBigger)
            implements AutoCloseable {
        @Override
        public void close() {
            bed.close();
        }
    }

    /** A VPC of its own (random second octet: other tests share the moto server) with the four subnets. */
    private static Vpc vpc() {
        int octet = ThreadLocalRandom.current().nextInt(100, 250);
        Ec2TestBed bed = Ec2TestBed.on(moto, "10." + octet + ".0.0/16", "10." + octet + ".0.0/24");
        Map<String, String> cni = Map.of("kubernetes.io/role/cni", "1");
        String tagged = bed.subnet("10." + octet + ".1.0/24", "a", cni);
        String otherZone = bed.subnet("10." + octet + ".16.0/20", "b", cni);
        String untagged = bed.subnet("10." + octet + ".32.0/20", "a", Map.of());
        return new Vpc(bed, bed.subnetId(), tagged, otherZone, untagged);
    }

    /** Runs ipamd on a new m5.large in the primary subnet, wanting more than its primary ENI holds: the subnet
     *  of the ENI it creates. */
    private String secondEniSubnet(Vpc v, Map<String, String> extra) throws Exception {
        String instance = v.bed().runInstance(v.primary()).instanceId();
        Map<String, String> env = Moto.env(moto);
        env.putAll(Map.of(
                "IPAMD_INSTANCE_ID", instance, "IPAMD_AWS_PREFIX_DELEGATION", "false",
                "IPAMD_RECONCILE_INTERVAL", "500ms", "WARM_IP_TARGET", "12"));
        env.putAll(extra);
        try (IpamdProcess ipamd = IpamdProcess.start("aws", dir.resolve(instance), env, Duration.ofSeconds(60))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (NetworkInterface ni : v.bed().ec2().describeNetworkInterfaces(r -> r.filters(Filter.builder()
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
        try (Vpc v = vpc()) {
            assertEquals(v.tagged(), secondEniSubnet(v, Map.of()),
                    "tagged /24 in the node's zone (its primary /24 has the instance's address taken)");
        }
    }

    @Test
    void discoveryOff_newEniGoesToThePrimarysSubnet() throws Exception {
        try (Vpc v = vpc()) {
            assertEquals(v.primary(), secondEniSubnet(v, Map.of("ENABLE_SUBNET_DISCOVERY", "false")));
        }
    }
}
