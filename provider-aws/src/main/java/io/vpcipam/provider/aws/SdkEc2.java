package io.vpcipam.provider.aws;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.Limits;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.Ec2ClientBuilder;
import software.amazon.awssdk.services.ec2.model.DescribeNetworkInterfacesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeNetworkInterfacesResponse;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.InstanceTypeInfo;
import software.amazon.awssdk.services.ec2.model.NetworkInterface;
import software.amazon.awssdk.services.ec2.model.NetworkInterfaceAttachment;
import software.amazon.awssdk.services.ec2.model.NetworkInterfacePrivateIpAddress;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;
import software.amazon.awssdk.services.ec2.model.VpcCidrBlockAssociation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The {@link Ec2} seam over aws-sdk-java-v2's EC2 client, with the JDK-based url-connection HTTP client and the
 * SDK's own retries off ({@link Guard} retries, so one attempt is one permit of the node's rate limiter). Every SDK
 * failure becomes an {@link ApiError}; so does an answer missing what we need.
 */
final class SdkEc2 implements Ec2 {

    private final Ec2Client client;

    SdkEc2(Ec2Client client) {
        this.client = client;
    }

    /** A client for {@code region}, optionally at {@code settings.endpoint()}, with per-attempt timeouts. */
    static SdkEc2 create(AwsSettings settings, String region, AwsCredentialsProvider credentials) {
        Duration timeout = settings.callTimeout();
        Ec2ClientBuilder b = Ec2Client.builder()
                .region(Region.of(region))
                .credentialsProvider(credentials)
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(timeout.compareTo(Duration.ofSeconds(3)) < 0 ? timeout : Duration.ofSeconds(3))
                        .socketTimeout(timeout)
                        .build())
                .overrideConfiguration(o -> o
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallAttemptTimeout(timeout)
                        .apiCallTimeout(timeout));
        if (settings.endpoint() != null) {
            b.endpointOverride(settings.endpoint());
        }
        return new SdkEc2(b.build());
    }

    @Override
    public Instance describeInstance(String instanceId) {
        return sdk(() -> {
            var instances = client.describeInstances(r -> r.instanceIds(instanceId)).reservations().stream()
                    .flatMap(r -> r.instances().stream()).toList();
            if (instances.isEmpty()) {
                throw ApiError.of("InvalidInstanceID.NotFound", 400, "The instance ID '" + instanceId + "' does not exist");
            }
            var i = instances.getFirst();
            return new Instance(i.instanceId(), need(i.instanceTypeAsString(), "instance type"),
                    i.placement() == null ? "" : i.placement().availabilityZone(), need(i.vpcId(), "VPC id"),
                    need(i.subnetId(), "subnet id"));
        });
    }

    @Override
    public List<Eni> enisOfInstance(String instanceId) {
        return describe(DescribeNetworkInterfacesRequest.builder()
                .filters(filter("attachment.instance-id", instanceId)).build());
    }

    @Override
    public Eni eni(String eniId) {
        List<Eni> found = describe(DescribeNetworkInterfacesRequest.builder().networkInterfaceIds(eniId).build());
        if (found.isEmpty()) {
            throw ApiError.of("InvalidNetworkInterfaceID.NotFound", 400, "The networkInterface ID '" + eniId + "' does not exist");
        }
        return found.getFirst();
    }

    @Override
    public List<Eni> availableEnis(Map<String, String> tags) {
        List<Filter> filters = new ArrayList<>();
        filters.add(filter("status", "available"));
        tags.forEach((k, v) -> filters.add(filter("tag:" + k, v)));
        return describe(DescribeNetworkInterfacesRequest.builder().filters(filters).build());
    }

    private List<Eni> describe(DescribeNetworkInterfacesRequest request) {
        return sdk(() -> {
            List<Eni> out = new ArrayList<>();
            DescribeNetworkInterfacesRequest next = request;
            while (true) {
                DescribeNetworkInterfacesResponse page = client.describeNetworkInterfaces(next);
                for (NetworkInterface ni : page.networkInterfaces()) {
                    out.add(toEni(ni));
                }
                String token = page.nextToken();
                if (token == null || token.isEmpty()) {
                    return out;
                }
                next = next.toBuilder().nextToken(token).build();
            }
        });
    }

    @Override
    public List<SubnetInfo> subnets(Collection<String> subnetIds) {
        return sdk(() -> client.describeSubnets(r -> r.subnetIds(subnetIds)).subnets().stream()
                .map(s -> new SubnetInfo(s.subnetId(), Cidr.parse(need(s.cidrBlock(), "subnet CIDR")),
                        s.availabilityZone(), s.vpcId(),
                        s.availableIpAddressCount() == null ? -1 : s.availableIpAddressCount(),
                        s.tags().stream().collect(java.util.stream.Collectors.toMap(
                                software.amazon.awssdk.services.ec2.model.Tag::key,
                                software.amazon.awssdk.services.ec2.model.Tag::value, (a, b) -> b))))
                .toList());
    }

    @Override
    public List<SubnetInfo> subnetsInZone(String vpcId, String zone) {
        return sdk(() -> {
            List<SubnetInfo> out = new ArrayList<>();
            client.describeSubnetsPaginator(r -> r.filters(
                            software.amazon.awssdk.services.ec2.model.Filter.builder().name("vpc-id").values(vpcId).build(),
                            software.amazon.awssdk.services.ec2.model.Filter.builder().name("availability-zone")
                                    .values(zone).build()))
                    .subnets().forEach(s -> out.add(new SubnetInfo(s.subnetId(),
                            Cidr.parse(need(s.cidrBlock(), "subnet CIDR")), s.availabilityZone(), s.vpcId(),
                            s.availableIpAddressCount() == null ? -1 : s.availableIpAddressCount(),
                            s.tags().stream().collect(java.util.stream.Collectors.toMap(
                                    software.amazon.awssdk.services.ec2.model.Tag::key,
                                    software.amazon.awssdk.services.ec2.model.Tag::value, (a, b) -> b)))));
            return out;
        });
    }

    @Override
    public List<Cidr> vpcCidrs(String vpcId) {
        return sdk(() -> {
            var vpcs = client.describeVpcs(r -> r.vpcIds(vpcId)).vpcs();
            if (vpcs.isEmpty()) {
                throw ApiError.of("InvalidVpcID.NotFound", 400, "The vpc ID '" + vpcId + "' does not exist");
            }
            List<Cidr> out = new ArrayList<>();
            for (VpcCidrBlockAssociation a : vpcs.getFirst().cidrBlockAssociationSet()) {
                String state = a.cidrBlockState() == null ? "associated" : a.cidrBlockState().stateAsString();
                if ("associated".equals(state)) {
                    out.add(Cidr.parse(a.cidrBlock()));
                }
            }
            if (out.isEmpty() && vpcs.getFirst().cidrBlock() != null) {
                out.add(Cidr.parse(vpcs.getFirst().cidrBlock()));
            }
            return out;
        });
    }

    @Override
    public Optional<Limits> instanceTypeLimits(String instanceType) {
        try {
            return sdk(() -> {
                List<InstanceTypeInfo> types = client.describeInstanceTypes(r -> r.instanceTypesWithStrings(instanceType))
                        .instanceTypes();
                if (types.isEmpty() || types.getFirst().networkInfo() == null) {
                    return Optional.empty();
                }
                var n = types.getFirst().networkInfo();
                if (n.maximumNetworkInterfaces() == null || n.ipv4AddressesPerInterface() == null) {
                    return Optional.empty();
                }
                // multi-card types report the instance's total; the pool can only use card 0's share of it
                int max = n.networkCards().stream()
                        .filter(c -> c.networkCardIndex() != null && c.networkCardIndex() == 0
                                && c.maximumNetworkInterfaces() != null)
                        .map(c -> c.maximumNetworkInterfaces()).findFirst().orElse(n.maximumNetworkInterfaces());
                return Optional.of(new Limits(max, n.ipv4AddressesPerInterface()));
            });
        } catch (ApiError e) {
            if ("InvalidInstanceType".equals(e.code())) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** DescribeInstanceTypes for sizing: card 0's limits, default vCPUs, and Nitro (prefixes); empty if unknown. */
    Optional<io.vpcipam.provider.InstanceType> instanceType(String instanceType) {
        try {
            return sdk(() -> {
                List<InstanceTypeInfo> types = client.describeInstanceTypes(r -> r.instanceTypesWithStrings(instanceType))
                        .instanceTypes();
                Optional<Limits> limits = instanceTypeLimits(instanceType);
                if (types.isEmpty() || limits.isEmpty() || types.getFirst().vCpuInfo() == null
                        || types.getFirst().vCpuInfo().defaultVCpus() == null) {
                    return Optional.empty();
                }
                InstanceTypeInfo t = types.getFirst();
                boolean nitro = t.hypervisor() == null || "nitro".equals(t.hypervisorAsString());
                return Optional.of(new io.vpcipam.provider.InstanceType(instanceType, t.vCpuInfo().defaultVCpus(),
                        limits.get().maxInterfaces(), limits.get().addressesPerInterface(), nitro));
            });
        } catch (ApiError e) {
            if ("InvalidInstanceType".equals(e.code())) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public Eni createEni(String clientToken, String subnetId, List<String> groups, int addresses, int prefixes,
                         Map<String, String> tags, String description) {
        return sdk(() -> toEni(client.createNetworkInterface(r -> {
            r.clientToken(clientToken).subnetId(subnetId).description(description);
            if (!groups.isEmpty()) {
                r.groups(groups);
            }
            if (addresses > 0) {
                r.secondaryPrivateIpAddressCount(addresses);
            }
            if (prefixes > 0) {
                r.ipv4PrefixCount(prefixes);
            }
            if (!tags.isEmpty()) {
                r.tagSpecifications(TagSpecification.builder().resourceType(ResourceType.NETWORK_INTERFACE)
                        .tags(tags.entrySet().stream().map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
                                .toList())
                        .build());
            }
        }).networkInterface()));
    }

    @Override
    public String attach(String eniId, String instanceId, int deviceIndex) {
        return sdk(() -> need(client.attachNetworkInterface(r -> r.networkInterfaceId(eniId).instanceId(instanceId)
                .deviceIndex(deviceIndex)).attachmentId(), "attachment id"));
    }

    @Override
    public void deleteOnTermination(String eniId, String attachmentId) {
        sdk(() -> client.modifyNetworkInterfaceAttribute(r -> r.networkInterfaceId(eniId)
                .attachment(a -> a.attachmentId(attachmentId).deleteOnTermination(true))));
    }

    @Override
    public void detach(String attachmentId) {
        sdk(() -> client.detachNetworkInterface(r -> r.attachmentId(attachmentId).force(false)));
    }

    @Override
    public void deleteEni(String eniId) {
        sdk(() -> client.deleteNetworkInterface(r -> r.networkInterfaceId(eniId)));
    }

    @Override
    public List<Ipv4Address> assignAddresses(String eniId, int count) {
        return sdk(() -> client.assignPrivateIpAddresses(r -> r.networkInterfaceId(eniId)
                        .secondaryPrivateIpAddressCount(count)).assignedPrivateIpAddresses().stream()
                .filter(a -> a.privateIpAddress() != null)
                .map(a -> Ipv4Address.parse(a.privateIpAddress())).toList());
    }

    @Override
    public List<Cidr> assignPrefixes(String eniId, int count) {
        return sdk(() -> client.assignPrivateIpAddresses(r -> r.networkInterfaceId(eniId).ipv4PrefixCount(count))
                .assignedIpv4Prefixes().stream()
                .filter(p -> p.ipv4Prefix() != null)
                .map(p -> Cidr.parse(p.ipv4Prefix())).toList());
    }

    @Override
    public void unassign(String eniId, List<Ipv4Address> addresses, List<Cidr> prefixes) {
        sdk(() -> client.unassignPrivateIpAddresses(r -> {
            r.networkInterfaceId(eniId);
            if (!addresses.isEmpty()) {
                r.privateIpAddresses(addresses.stream().map(Ipv4Address::toString).toList());
            }
            if (!prefixes.isEmpty()) {
                r.ipv4Prefixes(prefixes.stream().map(Cidr::toString).toList());
            }
        }));
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (RuntimeException ignored) {
            // closing is best effort: nothing is pending on a synchronous client
        }
    }

    // ---------------------------------------------------------------- conversion

    static Eni toEni(NetworkInterface ni) {
        Ipv4Address primary = Ipv4Address.parse(need(ni.privateIpAddress(), "primary address of " + ni.networkInterfaceId()));
        List<Ipv4Address> secondaries = new ArrayList<>();
        for (NetworkInterfacePrivateIpAddress a : ni.privateIpAddresses()) {
            Ipv4Address address = Ipv4Address.parse(a.privateIpAddress());
            if (!Boolean.TRUE.equals(a.primary()) && !address.equals(primary) && !secondaries.contains(address)) {
                secondaries.add(address);
            }
        }
        List<Cidr> prefixes = ni.ipv4Prefixes().stream().map(p -> Cidr.parse(p.ipv4Prefix())).toList();
        Map<String, String> tags = new HashMap<>();
        ni.tagSet().forEach(t -> tags.put(t.key(), t.value() == null ? "" : t.value()));
        NetworkInterfaceAttachment att = ni.attachment();
        Attachment attachment = att == null || att.instanceId() == null || att.attachmentId() == null ? null
                : new Attachment(att.attachmentId(), att.instanceId(),
                        att.deviceIndex() == null ? -1 : att.deviceIndex(), att.statusAsString(),
                        att.networkCardIndex() == null ? 0 : att.networkCardIndex());
        return new Eni(need(ni.networkInterfaceId(), "interface id"), ni.macAddress(), ni.statusAsString(),
                need(ni.subnetId(), "subnet of " + ni.networkInterfaceId()), ni.vpcId(), primary, secondaries, prefixes,
                ni.groups().stream().map(g -> g.groupId()).toList(), tags, ni.description(), attachment);
    }

    private static Filter filter(String name, String value) {
        return Filter.builder().name(name).values(value).build();
    }

    private static <T> T need(T value, String what) {
        if (value == null || (value instanceof String s && s.isBlank())) {
            throw new ApiError(ApiError.MALFORMED, 0, "EC2's answer lacks the " + what, false, null);
        }
        return value;
    }

    /** Runs an SDK call, turning every failure into an {@link ApiError}. */
    private static <T> T sdk(Supplier<T> call) {
        try {
            return call.get();
        } catch (AwsServiceException e) {
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            String message = e.awsErrorDetails() != null && e.awsErrorDetails().errorMessage() != null
                    ? e.awsErrorDetails().errorMessage() : e.getMessage();
            if (code == null && e.statusCode() < 500) {
                code = ApiError.MALFORMED;
            }
            return rethrow(new ApiError(code, e.statusCode(), message, e.statusCode() >= 500, e));
        } catch (SdkClientException e) {
            // never reached EC2 (or its answer was unreadable): worth retrying, as the next attempt may get through
            boolean unreadable = e.getMessage() != null && e.getMessage().contains("Unable to unmarshall");
            return rethrow(new ApiError(unreadable ? ApiError.MALFORMED : ApiError.NETWORK, 0,
                    e.getMessage(), !unreadable, e));
        } catch (SdkException e) {
            return rethrow(new ApiError(ApiError.NETWORK, 0, e.getMessage(), true, e));
        } catch (IllegalArgumentException e) {
            // an address or CIDR we could not parse: EC2 (or the emulator) answered garbage
            return rethrow(new ApiError(ApiError.MALFORMED, 0, "unreadable EC2 answer: " + e.getMessage(), false, e));
        }
    }

    private static <T> T rethrow(ApiError e) {
        throw e;
    }
}
