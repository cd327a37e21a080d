package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.ProviderContext;
import org.junit.jupiter.api.Assumptions;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * A VPC, a subnet and one m5.large instance (the node) in an EC2 emulator (moto, LocalStack), built with the raw
 * SDK client, plus the provider wired to it through {@link AwsProviderFactory} as ipamd wires it.
 *
 * <p>Where the emulator comes from: {@code IPAMD_TEST_EC2_ENDPOINT} (set by {@code .ci/run} after starting moto).
 * Set but unreachable is a failure, never a skip; unset is a failure under {@code CI=true} and a skip, saying how to
 * start moto, elsewhere.
 */
final class Ec2TestBed implements AutoCloseable {

    static final String ENDPOINT_VARIABLE = "IPAMD_TEST_EC2_ENDPOINT";
    static final String REGION = "us-east-1";

    final URI endpoint;
    final Ec2Client ec2;
    final String vpcId;
    final String subnetId;
    final String groupId;

    private Ec2TestBed(URI endpoint) {
        this.endpoint = endpoint;
        this.ec2 = Ec2Client.builder().endpointOverride(endpoint).region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClient(UrlConnectionHttpClient.create()).build();
        this.vpcId = ec2.createVpc(r -> r.cidrBlock("10.0.0.0/16")).vpc().vpcId();
        this.subnetId = ec2.createSubnet(r -> r.vpcId(vpcId).cidrBlock("10.0.0.0/20").availabilityZone(REGION + "a"))
                .subnet().subnetId();
        this.groupId = ec2.createSecurityGroup(r -> r.vpcId(vpcId).groupName("vpc-ipam-" + System.nanoTime())
                .description("vpc-ipam test")).groupId();
    }

    /** A bed on the configured emulator; skips or fails per the class comment when there is none. */
    static Ec2TestBed fromEnvironment() {
        String value = System.getenv(ENDPOINT_VARIABLE);
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        if (value == null || value.isBlank()) {
            String how = ENDPOINT_VARIABLE + " is not set; start moto with `. bin/moto.sh && start_moto`"
                    + " (or run .ci/run) to run the EC2 emulator tests";
            if (ci) {
                throw new AssertionError("CI=true but " + how);
            }
            Assumptions.abort(how);
        }
        URI uri = URI.create(value.trim());
        requireReachable(uri);
        return new Ec2TestBed(uri);
    }

    /** An emulator endpoint that does not answer is a broken test set-up: fail loudly, never skip. */
    static void requireReachable(URI uri) {
        int port = uri.getPort() > 0 ? uri.getPort() : ("https".equals(uri.getScheme()) ? 443 : 80);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(uri.getHost(), port), 2000);
        } catch (IOException e) {
            throw new AssertionError(ENDPOINT_VARIABLE + "=" + uri + " does not answer (" + e.getMessage()
                    + "); is moto_server running?", e);
        }
    }

    /** A bed on an endpoint the caller already checked (LocalStack from Testcontainers). */
    static Ec2TestBed at(URI endpoint) {
        return new Ec2TestBed(endpoint);
    }

    /** Starts an m5.large in the subnet: a fresh node with one primary ENI. */
    String runInstance() {
        return ec2.runInstances(r -> r.imageId("ami-12c6146b").instanceType("m5.large").minCount(1).maxCount(1)
                .subnetId(subnetId).securityGroupIds(groupId)).instances().getFirst().instanceId();
    }

    /** The env ipamd would give the provider for {@code instanceId}, plus {@code extra}. */
    Map<String, String> env(String instanceId, Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_EC2_ENDPOINT", endpoint.toString());
        env.put("AWS_REGION", REGION);
        env.put("AWS_ACCESS_KEY_ID", "test");
        env.put("AWS_SECRET_ACCESS_KEY", "test");
        env.put("IPAMD_INSTANCE_ID", instanceId);
        // moto accepts Ipv4PrefixCount and ignores it: offer no prefixes to the contract suite here
        env.put("IPAMD_AWS_PREFIX_DELEGATION", "false");
        env.put("IPAMD_AWS_API_RATE", "200");
        env.put("IPAMD_AWS_API_BURST", "50");
        env.putAll(extra);
        return env;
    }

    /** The provider for {@code instanceId}, made by the factory ipamd uses. */
    CloudProvider provider(String instanceId, Path stateDir) throws CloudException {
        return new AwsProviderFactory().create(new ProviderContext(env(instanceId, Map.of()), stateDir,
                Clock.systemUTC(), null));
    }

    /** An ENI in the subnet with {@code tags}, attached to nothing: what a node that died mid-create leaves. */
    String leak(Map<String, String> tags) {
        return ec2.createNetworkInterface(r -> r.subnetId(subnetId).description("leaked by a test")
                .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.NETWORK_INTERFACE)
                        .tags(tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
                                .toList()).build()))
                .networkInterface().networkInterfaceId();
    }

    /**
     * An ENI with {@code tags} and one secondary address, attached to {@code instanceId} at device index 1 with the raw
     * client, as an operator, Multus or aws-node attaches one.
     */
    String attachForeign(String instanceId, Map<String, String> tags) {
        String id = ec2.createNetworkInterface(r -> r.subnetId(subnetId).description("attached by a test")
                .secondaryPrivateIpAddressCount(1)
                .tagSpecifications(TagSpecification.builder().resourceType(ResourceType.NETWORK_INTERFACE)
                        .tags(tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
                                .toList()).build()))
                .networkInterface().networkInterfaceId();
        ec2.attachNetworkInterface(r -> r.networkInterfaceId(id).instanceId(instanceId).deviceIndex(1));
        return id;
    }

    @Override
    public void close() {
        ec2.close();
    }
}
