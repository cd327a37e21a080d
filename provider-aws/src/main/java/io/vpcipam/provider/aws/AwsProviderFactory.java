package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.CloudProviderFactory;
import io.vpcipam.provider.InstanceType;
import java.util.Optional;
import java.util.stream.Stream;
import io.vpcipam.provider.ProviderContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * {@code ipamd run --provider aws}. Region, endpoint and instance id come from {@code AWS_REGION},
 * {@code AWS_EC2_ENDPOINT} and {@code IPAMD_INSTANCE_ID} (or {@code IPAMD_AWS_PROVIDER_ID}, the node's Kubernetes
 * providerID) when set, else from instance metadata (IMDSv2); with both region and instance id given, metadata is
 * never read. Credentials come from {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY} in the provider's
 * environment when present, else from the SDK's default chain (instance role, IRSA, pod identity). The other
 * {@code IPAMD_AWS_*} knobs are listed in the module's README.
 */
public final class AwsProviderFactory implements CloudProviderFactory {

    private static final Logger LOG = Logger.getLogger(AwsProviderFactory.class.getName());

    /** For ServiceLoader. */
    public AwsProviderFactory() {
    }

    @Override
    public String name() {
        return "aws";
    }

    @Override
    public List<String> validate(Map<String, String> env) {
        return AwsSettings.problems(env);
    }

    @Override
    public CloudProvider create(ProviderContext context) throws CloudException {
        AwsSettings settings = AwsSettings.from(context);
        String region = settings.region();
        String instanceId = settings.instanceId();
        if (region == null || instanceId == null) {
            Imds.Identity id = new Imds(settings.imdsEndpoint(), settings.imdsTimeout()).identity();
            region = region != null ? region : id.region();
            instanceId = instanceId != null ? instanceId : id.instanceId();
            LOG.info("instance metadata: " + id);
        }
        Ec2 ec2 = SdkEc2.create(settings, region, credentials(context));
        LOG.info("aws provider: instance " + instanceId + " in " + region
                + (settings.endpoint() != null ? " at " + settings.endpoint() : "") + ", " + settings.apiRate()
                + " calls/s (burst " + settings.apiBurst() + "), prefix delegation " + settings.prefixDelegation());
        return new AwsProvider(ec2, new Guard(settings, context.listener()), instanceId, settings, context.clock());
    }

    /**
     * DescribeInstanceTypes when an endpoint or credentials are given in the environment (AWS_EC2_ENDPOINT,
     * AWS_ACCESS_KEY_ID, AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE; AWS_REGION then names the region), else the
     * built-in table. A failed call falls back to the table, saying so on the log.
     */
    @Override
    public Optional<InstanceType> instanceType(String name, ProviderContext context) throws CloudException {
        boolean ask = Stream.of(AwsSettings.ENDPOINT, "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE")
                .anyMatch(v -> context.env(v, null) != null);
        if (!ask) {
            return InstanceLimits.builtInType(name);
        }
        AwsSettings settings = AwsSettings.from(context);
        if (settings.region() == null) {
            throw AwsSettings.bad("AWS_REGION", "", "the region to ask DescribeInstanceTypes in must be set");
        }
        try (SdkEc2 ec2 = SdkEc2.create(settings, settings.region(), credentials(context))) {
            return ec2.instanceType(name);
        } catch (ApiError e) {
            LOG.warning("DescribeInstanceTypes failed (" + e.code() + ": " + e.getMessage()
                    + "); using the built-in table");
            return InstanceLimits.builtInType(name);
        }
    }

    /** Keys from the provider's own environment (tests, emulators) win; otherwise the SDK's default chain. */
    static AwsCredentialsProvider credentials(ProviderContext context) {
        String key = context.env("AWS_ACCESS_KEY_ID", null);
        String secret = context.env("AWS_SECRET_ACCESS_KEY", null);
        if (key == null && secret == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        if (key == null || secret == null) {
            throw AwsSettings.bad(key == null ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY", "",
                    "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
        }
        String token = context.env("AWS_SESSION_TOKEN", null);
        return StaticCredentialsProvider.create(token == null ? AwsBasicCredentials.create(key, secret)
                : AwsSessionCredentials.create(key, secret, token));
    }
}
