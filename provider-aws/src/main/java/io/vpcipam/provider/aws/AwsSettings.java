package io.vpcipam.provider.aws;

import io.vpcipam.provider.EnvReader;
import io.vpcipam.provider.ProviderContext;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The provider's configuration, read from the environment once, at start-up. Every bad value is an
 * IllegalArgumentException naming the variable and the value, which ipamd reports before serving any pod.
 *
 * <p>The defaults size the per-node token bucket for a large cluster: EC2 refills an account's mutating-call bucket
 * at a few calls per second per region, shared by every node, so a node that averages well under one call per
 * second once warm and bursts to a handful while it grows keeps thousands of nodes inside the budget.
 *
 * @param region             AWS_REGION (or AWS_DEFAULT_REGION); null = from instance metadata
 * @param endpoint           AWS_EC2_ENDPOINT; null = the SDK's regional endpoint
 * @param instanceId         IPAMD_INSTANCE_ID, or the instance id of IPAMD_AWS_PROVIDER_ID; null = from metadata
 * @param zone               the zone of IPAMD_AWS_PROVIDER_ID, or null
 * @param imdsEndpoint       AWS_EC2_METADATA_SERVICE_ENDPOINT (the SDK's own name), default http://169.254.169.254
 * @param imdsTimeout        IPAMD_AWS_IMDS_TIMEOUT, per metadata request
 * @param apiRate            IPAMD_AWS_API_RATE: EC2 calls per second this node may make, retries included
 * @param apiBurst           IPAMD_AWS_API_BURST: calls it may make at once after a quiet spell
 * @param limiterTimeout     IPAMD_AWS_LIMITER_TIMEOUT: longest wait for the rate limiter before a call gives up
 *                           as throttled
 * @param maxAttempts        IPAMD_AWS_MAX_ATTEMPTS: attempts per call on throttling, 5xx and network errors
 * @param backoffBase        IPAMD_AWS_BACKOFF_BASE: first backoff ceiling (doubles per attempt, full jitter)
 * @param backoffMax         IPAMD_AWS_BACKOFF_MAX: backoff ceiling cap
 * @param callTimeout        IPAMD_AWS_CALL_TIMEOUT: per attempt
 * @param circuitOpen        IPAMD_AWS_CIRCUIT_OPEN: how long the breaker stays open after EC2 keeps failing
 * @param detachTimeout      IPAMD_AWS_DETACH_TIMEOUT: how long delete waits for a detach to finish
 * @param prefixDelegation   IPAMD_AWS_PREFIX_DELEGATION: offer /28 prefixes (false for endpoints that ignore
 *                           Ipv4PrefixCount, such as moto)
 * @param maxOrphans         IPAMD_AWS_MAX_ORPHANS: most leaked ENIs reported per collection run
 * @param subnetDiscovery    ENABLE_SUBNET_DISCOVERY (aws-node's name and default, true): a new ENI that would go to
 *                           the primary ENI's subnet goes to the subnet with the most free addresses among it and
 *                           the subnets of the node's VPC and zone tagged {@code kubernetes.io/role/cni}
 */
record AwsSettings(String region, URI endpoint, String instanceId, String zone, URI imdsEndpoint,
                   Duration imdsTimeout, double apiRate, int apiBurst, Duration limiterTimeout, int maxAttempts,
                   Duration backoffBase, Duration backoffMax, Duration callTimeout, Duration circuitOpen,
                   Duration detachTimeout, boolean prefixDelegation, int maxOrphans, boolean subnetDiscovery) {

    static final String REGION = "AWS_REGION";
    static final String DEFAULT_REGION = "AWS_DEFAULT_REGION";
    static final String ENDPOINT = "AWS_EC2_ENDPOINT";
    static final String INSTANCE_ID = "IPAMD_INSTANCE_ID";
    static final String PROVIDER_ID = "IPAMD_AWS_PROVIDER_ID";
    static final String IMDS_ENDPOINT = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
    static final String IMDS_TIMEOUT = "IPAMD_AWS_IMDS_TIMEOUT";
    static final String API_RATE = "IPAMD_AWS_API_RATE";
    static final String API_BURST = "IPAMD_AWS_API_BURST";
    static final String LIMITER_TIMEOUT = "IPAMD_AWS_LIMITER_TIMEOUT";
    static final String MAX_ATTEMPTS = "IPAMD_AWS_MAX_ATTEMPTS";
    static final String BACKOFF_BASE = "IPAMD_AWS_BACKOFF_BASE";
    static final String BACKOFF_MAX = "IPAMD_AWS_BACKOFF_MAX";
    static final String CALL_TIMEOUT = "IPAMD_AWS_CALL_TIMEOUT";
    static final String CIRCUIT_OPEN = "IPAMD_AWS_CIRCUIT_OPEN";
    static final String DETACH_TIMEOUT = "IPAMD_AWS_DETACH_TIMEOUT";
    static final String PREFIX_DELEGATION = "IPAMD_AWS_PREFIX_DELEGATION";
    static final String MAX_ORPHANS = "IPAMD_AWS_MAX_ORPHANS";
    static final String SUBNET_DISCOVERY = "ENABLE_SUBNET_DISCOVERY";

    private static final Pattern INSTANCE = Pattern.compile("i-[0-9a-f]{8,32}");
    private static final Pattern REGION_SYNTAX = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d+");
    /** Kubernetes' providerID for EC2 nodes: aws:///us-east-1a/i-0abc... (the zone may be empty). */
    private static final Pattern PROVIDER = Pattern.compile("aws:///([a-z0-9-]*)/(i-[0-9a-f]{8,32})");

    /** Reads and checks every variable; throws one IllegalArgumentException naming every bad one. */
    static AwsSettings from(ProviderContext context) {
        return EnvReader.readAll(context.env(), AwsSettings::read);
    }

    /** Every problem with the variables, each naming the variable and its value; empty when all are good. */
    static List<String> problems(Map<String, String> env) {
        return EnvReader.problems(env, AwsSettings::read);
    }

    private static AwsSettings read(EnvReader r) {
        String region = r.string(REGION, r.string(DEFAULT_REGION, null));
        if (region != null && !REGION_SYNTAX.matcher(region).matches()) {
            r.problem(r.raw(REGION) != null ? REGION : DEFAULT_REGION, region, "expected a region such as us-east-1");
        }
        URI endpoint = uri(r, ENDPOINT, null);
        String instanceId = null;
        String zone = null;
        String providerId = r.raw(PROVIDER_ID);
        if (providerId != null) {
            Matcher m = PROVIDER.matcher(providerId);
            if (m.matches()) {
                zone = m.group(1).isEmpty() ? null : m.group(1);
                instanceId = m.group(2);
            } else {
                r.problem(PROVIDER_ID, providerId,
                        "expected a Kubernetes providerID such as aws:///us-east-1a/i-0123456789abcdef0");
            }
        }
        String explicit = r.raw(INSTANCE_ID);
        if (explicit != null) {
            if (INSTANCE.matcher(explicit).matches()) {
                instanceId = explicit;
            } else {
                r.problem(INSTANCE_ID, explicit, "expected an EC2 instance id such as i-0123456789abcdef0");
            }
        }
        URI imds = uri(r, IMDS_ENDPOINT, "http://169.254.169.254");
        double rate = r.number(API_RATE, 5, 0.001, 100_000);
        int burst = r.integer(API_BURST, 10, 1, Integer.MAX_VALUE);
        int attempts = r.integer(MAX_ATTEMPTS, 8, 1, Integer.MAX_VALUE);
        int known = r.problems().size();
        Duration base = duration(r, BACKOFF_BASE, Duration.ofMillis(200));
        Duration max = duration(r, BACKOFF_MAX, Duration.ofSeconds(20));
        if (r.problems().size() == known && max.compareTo(base) < 0) { // else a default stands in: no second problem
            r.problem(BACKOFF_MAX, r.string(BACKOFF_MAX, "20s"), "must be at least " + BACKOFF_BASE + " (" + base + ")");
        }
        String prefix = r.string(PREFIX_DELEGATION, "true").toLowerCase(Locale.ROOT);
        if (!prefix.equals("true") && !prefix.equals("false")) {
            r.problem(PREFIX_DELEGATION, prefix, "expected true or false");
        }
        return new AwsSettings(region, endpoint, instanceId, zone, imds, duration(r, IMDS_TIMEOUT, Duration.ofSeconds(2)),
                rate, burst, duration(r, LIMITER_TIMEOUT, Duration.ofSeconds(30)), attempts, base, max,
                duration(r, CALL_TIMEOUT, Duration.ofSeconds(10)), duration(r, CIRCUIT_OPEN, Duration.ofSeconds(30)),
                duration(r, DETACH_TIMEOUT, Duration.ofSeconds(60)), !prefix.equals("false"),
                r.integer(MAX_ORPHANS, 50, 1, Integer.MAX_VALUE), r.bool(SUBNET_DISCOVERY, true));
    }

    private static URI uri(EnvReader r, String name, String fallback) {
        String value = r.string(name, fallback);
        if (value == null) {
            return null;
        }
        try {
            URI uri = new URI(value);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                r.problem(name, value, "expected an http or https URL such as https://ec2.us-east-1.amazonaws.com");
                return null;
            }
            return uri;
        } catch (URISyntaxException e) {
            r.problem(name, value, "not a URL: " + e.getMessage());
            return null;
        }
    }

    /** A duration in the one grammar ({@link EnvReader#parseDuration}) between 1ms and 1h: every knob here is positive. */
    private static Duration duration(EnvReader r, String name, Duration fallback) {
        return r.duration(name, fallback, Duration.ofMillis(1), Duration.ofHours(1));
    }

    static IllegalArgumentException bad(String variable, String value, String why) {
        return new IllegalArgumentException(variable + "='" + value + "' is invalid: " + why);
    }
}
