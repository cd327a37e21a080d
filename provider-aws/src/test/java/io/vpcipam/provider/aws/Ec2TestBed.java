package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.ProviderContext;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * A VPC of its own with a subnet and a security group in an EC2 emulator (moto, LocalStack), built with the raw SDK
 * client, plus the provider wired to it through {@link AwsProviderFactory} as ipamd wires it. Public in the test-jar:
 * {@code it}'s moto tests build their VPCs, subnets and instances with it too. Where moto comes from, and what
 * happens without it: {@link Moto}.
 */
public final class Ec2TestBed implements AutoCloseable {

    static final String REGION = Moto.REGION;

    final URI endpoint;
    final Ec2Client ec2;
    final String vpcId;
    final String subnetId;
    final String groupId;

    private Ec2TestBed(URI endpoint, String vpcCidr, String subnetCidr) {
        this.endpoint = endpoint;
        this.ec2 = Moto.client(endpoint);
        this.vpcId = ec2.createVpc(r -> r.cidrBlock(vpcCidr)).vpc().vpcId();
        this.subnetId = subnet(subnetCidr, "a", Map.of());
        this.groupId = ec2.createSecurityGroup(r -> r.vpcId(vpcId).groupName("vpc-ipam-" + System.nanoTime())
                .description("vpc-ipam test")).groupId();
    }

    /** A bed (VPC 10.0.0.0/16, subnet 10.0.0.0/20) on the configured emulator; skips or fails as {@link Moto} says. */
    static Ec2TestBed fromEnvironment() {
        return on(Moto.endpoint(), "10.0.0.0/16", "10.0.0.0/20");
    }

    /** A bed on an endpoint the caller already checked (LocalStack from Testcontainers). */
    static Ec2TestBed at(URI endpoint) {
        return on(endpoint, "10.0.0.0/16", "10.0.0.0/20");
    }

    /**
     * A bed on {@code endpoint} (from {@link Moto#endpoint()}): a VPC {@code vpcCidr} with the subnet
     * {@code subnetCidr} in the region's zone a and a security group. moto lets VPCs overlap; a test that counts a
     * subnet's addresses gives it CIDRs of its own.
     */
    public static Ec2TestBed on(URI endpoint, String vpcCidr, String subnetCidr) {
        return new Ec2TestBed(endpoint, vpcCidr, subnetCidr);
    }

    /** The raw client (closed with the bed). */
    public Ec2Client ec2() {
        return ec2;
    }

    /** The VPC's id. */
    public String vpcId() {
        return vpcId;
    }

    /** The bed's first subnet (zone a). */
    public String subnetId() {
        return subnetId;
    }

    /** The bed's security group. */
    public String groupId() {
        return groupId;
    }

    /** The emulator's endpoint. */
    public URI endpoint() {
        return endpoint;
    }

    /** A new subnet {@code cidr} of the VPC in the region's zone {@code zone} ("a", "b"), tagged {@code tags}. */
    public String subnet(String cidr, String zone, Map<String, String> tags) {
        String id = ec2.createSubnet(r -> r.vpcId(vpcId).cidrBlock(cidr).availabilityZone(REGION + zone)).subnet()
                .subnetId();
        if (!tags.isEmpty()) {
            ec2.createTags(r -> r.resources(id).tags(tags(tags)));
        }
        return id;
    }

    private static List<Tag> tags(Map<String, String> tags) {
        return tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build()).toList();
    }

    /** Starts an m5.large in the first subnet: a fresh node with one primary ENI. */
    public String runInstance() {
        return runInstance(subnetId).instanceId();
    }

    /** Starts an m5.large in {@code subnet} of the VPC, in the bed's security group. */
    public Instance runInstance(String subnet) {
        return ec2.runInstances(r -> r.imageId(Moto.AMI).instanceType("m5.large").minCount(1).maxCount(1)
                .subnetId(subnet).securityGroupIds(groupId)).instances().getFirst();
    }

    /** The env ipamd would give the provider for {@code instanceId}, plus {@code extra}. */
    Map<String, String> env(String instanceId, Map<String, String> extra) {
        Map<String, String> env = Moto.env(endpoint);
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
                        .tags(tags(tags)).build()))
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
                        .tags(tags(tags)).build()))
                .networkInterface().networkInterfaceId();
        ec2.attachNetworkInterface(r -> r.networkInterfaceId(id).instanceId(instanceId).deviceIndex(1));
        return id;
    }

    /** Closes the client; what the bed made stays in the emulator (each test's own VPC: nothing else sees it). */
    @Override
    public void close() {
        ec2.close();
    }
}
