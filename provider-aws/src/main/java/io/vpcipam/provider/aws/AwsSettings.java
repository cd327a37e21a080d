package io.vpcipam.provider.aws;

import io.vpcipam.provider.ProviderContext;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
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
 */
record AwsSettings(String region, URI endpoint, String instanceId, String zone, URI imdsEndpoint,
                   Duration imdsTimeout, double apiRate, int apiBurst, Duration limiterTimeout, int maxAttempts,
                   Duration backoffBase, Duration backoffMax, Duration callTimeout, Duration circuitOpen,
                   Duration detachTimeout, boolean prefixDelegation, int maxOrphans) {

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

    private static final Pattern INSTANCE = Pattern.compile("i-[0-9a-f]{8,32}");
    private static final Pattern REGION_SYNTAX = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d+");
    /** Kubernetes' providerID for EC2 nodes: aws:///us-east-1a/i-0abc... (the zone may be empty). */
    private static final Pattern PROVIDER = Pattern.compile("aws:///([a-z0-9-]*)/(i-[0-9a-f]{8,32})");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m)?");

    /** Reads and checks every variable. */
    static AwsSettings from(ProviderContext context) {
        Map<String, String> env = context.env();
        String region = context.env(REGION, context.env(DEFAULT_REGION, null));
        if (region != null && !REGION_SYNTAX.matcher(region).matches()) {
            throw bad(env.containsKey(REGION) ? REGION : DEFAULT_REGION, region, "expected a region such as us-east-1");
        }
        URI endpoint = uri(context, ENDPOINT, null);
        String instanceId = null;
        String zone = null;
        String providerId = context.env(PROVIDER_ID, null);
        if (providerId != null) {
            Matcher m = PROVIDER.matcher(providerId);
            if (!m.matches()) {
                throw bad(PROVIDER_ID, providerId, "expected a Kubernetes providerID such as aws:///us-east-1a/i-0123456789abcdef0");
            }
            zone = m.group(1).isEmpty() ? null : m.group(1);
            instanceId = m.group(2);
        }
        String explicit = context.env(INSTANCE_ID, null);
        if (explicit != null) {
            if (!INSTANCE.matcher(explicit).matches()) {
                throw bad(INSTANCE_ID, explicit, "expected an EC2 instance id such as i-0123456789abcdef0");
            }
            instanceId = explicit;
        }
        URI imds = uri(context, IMDS_ENDPOINT, "http://169.254.169.254");
        double rate = positiveDouble(context, API_RATE, 5);
        int burst = positiveInt(context, API_BURST, 10);
        int attempts = positiveInt(context, MAX_ATTEMPTS, 8);
        Duration base = duration(context, BACKOFF_BASE, "200ms");
        Duration max = duration(context, BACKOFF_MAX, "20s");
        if (max.compareTo(base) < 0) {
            throw bad(BACKOFF_MAX, context.env(BACKOFF_MAX, "20s"), "must be at least " + BACKOFF_BASE + " (" + base + ")");
        }
        String prefix = context.env(PREFIX_DELEGATION, "true").toLowerCase(Locale.ROOT);
        if (!prefix.equals("true") && !prefix.equals("false")) {
            throw bad(PREFIX_DELEGATION, prefix, "expected true or false");
        }
        return new AwsSettings(region, endpoint, instanceId, zone, imds, duration(context, IMDS_TIMEOUT, "2s"),
                rate, burst, duration(context, LIMITER_TIMEOUT, "30s"), attempts, base, max,
                duration(context, CALL_TIMEOUT, "10s"), duration(context, CIRCUIT_OPEN, "30s"),
                duration(context, DETACH_TIMEOUT, "60s"), prefix.equals("true"), positiveInt(context, MAX_ORPHANS, 50));
    }

    private static URI uri(ProviderContext context, String name, String fallback) {
        String value = context.env(name, fallback);
        if (value == null) {
            return null;
        }
        try {
            URI uri = new URI(value);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw bad(name, value, "expected an http or https URL such as https://ec2.us-east-1.amazonaws.com");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw bad(name, value, "not a URL: " + e.getMessage());
        }
    }

    private static double positiveDouble(ProviderContext context, String name, double fallback) {
        String value = context.env(name, null);
        if (value == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(value);
            if (d > 0 && Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw bad(name, value, "expected a number > 0");
    }

    private static int positiveInt(ProviderContext context, String name, int fallback) {
        String value = context.env(name, null);
        if (value == null) {
            return fallback;
        }
        try {
            int i = Integer.parseInt(value);
            if (i > 0) {
                return i;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw bad(name, value, "expected a whole number > 0");
    }

    /** A bare number is seconds; 500ms, 30s and 2m are accepted. Zero is refused: every knob here must be positive. */
    private static Duration duration(ProviderContext context, String name, String fallback) {
        String value = context.env(name, fallback);
        Matcher m = DURATION.matcher(value.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            try {
                long n = Long.parseLong(m.group(1));
                Duration d = switch (m.group(2) == null ? "s" : m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofSeconds(n);
                };
                if (d.isPositive() && d.compareTo(Duration.ofHours(1)) <= 0) {
                    return d;
                }
            } catch (NumberFormatException | ArithmeticException ignored) {
                // reported below
            }
        }
        throw bad(name, value, "expected a duration between 1ms and 1h such as 500ms, 30s or 2m");
    }

    static IllegalArgumentException bad(String variable, String value, String why) {
        return new IllegalArgumentException(variable + "='" + value + "' is invalid: " + why);
    }
}
