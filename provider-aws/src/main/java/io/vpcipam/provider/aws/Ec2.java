package io.vpcipam.provider.aws;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.Limits;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The narrow seam between the provider's logic and EC2: one method per EC2 API call the provider makes, in our own
 * value types. {@link SdkEc2} implements it with aws-sdk-java-v2; tests implement it with an in-memory fake that
 * enforces what moto does not (limits, prefixes, AWS error codes). Every method throws {@link ApiError} on failure
 * and nothing else; retries, rate limiting and error mapping happen above it, in {@link Guard}.
 */
interface Ec2 extends AutoCloseable {

    /** An ENI attachment; {@code networkCard} is EC2's NetworkCardIndex (device indexes are numbered per card). */
    record Attachment(String attachmentId, String instanceId, int deviceIndex, String status, int networkCard) {

        /** An attachment through network card 0. */
        Attachment(String attachmentId, String instanceId, int deviceIndex, String status) {
            this(attachmentId, instanceId, deviceIndex, status, 0);
        }
    }

    /** An ENI as DescribeNetworkInterfaces shows it; {@code attachment} is null when attached to nothing. */
    record Eni(String id, String mac, String status, String subnetId, String vpcId, Ipv4Address primary,
               List<Ipv4Address> secondaries, List<Cidr> prefixes, List<String> groups, Map<String, String> tags,
               String description, Attachment attachment) {
        public Eni {
            secondaries = List.copyOf(secondaries);
            prefixes = List.copyOf(prefixes);
            groups = List.copyOf(groups);
            tags = Map.copyOf(tags);
            description = description == null ? "" : description;
        }
    }

    /** What the provider needs of DescribeInstances. */
    record Instance(String id, String type, String zone, String vpcId, String subnetId) {
    }

    /**
     * What the provider needs of DescribeSubnets; {@code available} is AvailableIpAddressCount (-1 when the answer
     * has none), {@code tags} the subnet's tags.
     */
    record SubnetInfo(String id, Cidr cidr, String zone, String vpcId, int available, Map<String, String> tags) {
        public SubnetInfo {
            tags = Map.copyOf(tags);
        }

        /** A subnet whose free count and tags are not known. */
        SubnetInfo(String id, Cidr cidr, String zone, String vpcId) {
            this(id, cidr, zone, vpcId, -1, Map.of());
        }
    }

    /** DescribeInstances for one instance; {@code InvalidInstanceID.NotFound} if unknown. */
    Instance describeInstance(String instanceId);

    /** DescribeNetworkInterfaces filtered by {@code attachment.instance-id}. */
    List<Eni> enisOfInstance(String instanceId);

    /** DescribeNetworkInterfaces for one id; {@code InvalidNetworkInterfaceID.NotFound} if unknown. */
    Eni eni(String eniId);

    /** DescribeNetworkInterfaces filtered by {@code status=available} and {@code tag:K=V} for every entry. */
    List<Eni> availableEnis(Map<String, String> tags);

    /** DescribeSubnets for these ids. */
    List<SubnetInfo> subnets(Collection<String> subnetIds);

    /** DescribeSubnets filtered by {@code vpc-id} and {@code availability-zone}, with their tags and free counts. */
    List<SubnetInfo> subnetsInZone(String vpcId, String zone);

    /** DescribeVpcs: the VPC's associated IPv4 blocks. */
    List<Cidr> vpcCidrs(String vpcId);

    /**
     * DescribeInstanceTypes: the type's ENI and per-ENI IPv4 limits (ENIs of network card 0 on multi-card types, where
     * the pool lives); empty when EC2 does not know the type.
     */
    Optional<Limits> instanceTypeLimits(String instanceType);

    /**
     * CreateNetworkInterface with tags on create, and either an address count or a prefix count (not both).
     * {@code clientToken} makes it idempotent: a retry with the same token returns the ENI the first try made.
     */
    Eni createEni(String clientToken, String subnetId, List<String> groups, int addresses, int prefixes,
                  Map<String, String> tags, String description);

    /** AttachNetworkInterface; returns the attachment id. */
    String attach(String eniId, String instanceId, int deviceIndex);

    /** ModifyNetworkInterfaceAttribute: DeleteOnTermination=true on the attachment. */
    void deleteOnTermination(String eniId, String attachmentId);

    /** DetachNetworkInterface (not forced). */
    void detach(String attachmentId);

    /** DeleteNetworkInterface. */
    void deleteEni(String eniId);

    /**
     * AssignPrivateIpAddresses with SecondaryPrivateIpAddressCount; returns the addresses the answer names (EC2:
     * the assigned ones; moto: every secondary address of the ENI).
     */
    List<Ipv4Address> assignAddresses(String eniId, int count);

    /** AssignPrivateIpAddresses with Ipv4PrefixCount; returns the prefixes the answer names (AssignedIpv4Prefixes). */
    List<Cidr> assignPrefixes(String eniId, int count);

    /** UnassignPrivateIpAddresses for these addresses and prefixes. */
    void unassign(String eniId, List<Ipv4Address> addresses, List<Cidr> prefixes);

    /** Releases the client. Never throws. */
    @Override
    void close();
}
