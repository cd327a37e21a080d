package io.vpcipam.provider.azure;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The provider's configuration, read from the environment once and validated at start-up: every problem is
 * reported together, each naming the variable and its value.
 *
 * @param armEndpoint      AZURE_RESOURCE_MANAGER_ENDPOINT: https, or plain http to a loopback address (a test fake)
 * @param metadataEndpoint AZURE_METADATA_ENDPOINT: instance metadata; plain http only to 169.254.169.254 or loopback
 * @param clientId         AZURE_CLIENT_ID: user-assigned managed identity or workload identity client id
 * @param tenantId         AZURE_TENANT_ID: workload identity tenant
 * @param tokenFile        AZURE_FEDERATED_TOKEN_FILE: workload identity's projected service-account token
 * @param qps              AZURE_API_QPS: this node's sustained ARM call rate
 * @param burst            AZURE_API_BURST: calls this node may make at once after a quiet spell
 * @param maxAttempts      AZURE_API_MAX_ATTEMPTS: tries per call for throttling and transient faults
 * @param backoff          AZURE_API_BACKOFF: first retry delay when ARM gives no Retry-After (doubles, jittered)
 * @param maxRetryAfter    AZURE_API_MAX_RETRY_AFTER: longer Retry-After hints go back to the pool engine instead
 * @param pollInterval     AZURE_LRO_POLL_INTERVAL: how often a NIC is read while a write's operation runs
 */
record AzureSettings(URI armEndpoint, URI metadataEndpoint, String clientId, String tenantId, String tokenFile,
                     double qps, int burst, int maxAttempts, Duration backoff, Duration maxRetryAfter,
                     Duration pollInterval) {

    static final String ARM_ENDPOINT = "AZURE_RESOURCE_MANAGER_ENDPOINT";
    static final String METADATA_ENDPOINT = "AZURE_METADATA_ENDPOINT";
    static final String DEFAULT_ARM = "https://management.azure.com/";
    static final String DEFAULT_METADATA = "http://169.254.169.254/";
    private static final String IMDS_ADDRESS = "169.254.169.254";

    /** Reads and checks every variable; throws one IllegalArgumentException listing all problems. */
    static AzureSettings fromEnv(Map<String, String> env) {
        List<String> problems = new ArrayList<>();
        URI arm = endpoint(env, ARM_ENDPOINT, DEFAULT_ARM, false, problems);
        URI imds = endpoint(env, METADATA_ENDPOINT, DEFAULT_METADATA, true, problems);
        double qps = number(env, "AZURE_API_QPS", 4, 0.01, 1000, problems);
        int burst = (int) number(env, "AZURE_API_BURST", 20, 1, 10_000, problems);
        int attempts = (int) number(env, "AZURE_API_MAX_ATTEMPTS", 5, 1, 20, problems);
        Duration backoff = positive(env, "AZURE_API_BACKOFF",
                duration(env, "AZURE_API_BACKOFF", Duration.ofMillis(250), problems), problems);
        Duration maxRetryAfter = duration(env, "AZURE_API_MAX_RETRY_AFTER", Duration.ofSeconds(30), problems);
        // the SDK refuses a zero poll interval only when the first long-running operation starts, i.e. at the
        // first NIC PUT: every assign would fail long after start-up
        Duration poll = positive(env, "AZURE_LRO_POLL_INTERVAL",
                duration(env, "AZURE_LRO_POLL_INTERVAL", Duration.ofSeconds(1), problems), problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return new AzureSettings(arm, imds, blankToNull(env.get("AZURE_CLIENT_ID")),
                blankToNull(env.get("AZURE_TENANT_ID")), blankToNull(env.get("AZURE_FEDERATED_TOKEN_FILE")),
                qps, burst, attempts, backoff, maxRetryAfter, poll);
    }

    /** Whether ARM is reached over plain http (a loopback fake): bearer tokens then go in without the TLS check. */
    boolean plainHttpArm() {
        return "http".equals(armEndpoint.getScheme());
    }

    private static URI endpoint(Map<String, String> env, String name, String fallback, boolean metadata,
                                List<String> problems) {
        String text = env.getOrDefault(name, "").trim();
        if (text.isEmpty()) {
            text = fallback;
        }
        URI uri;
        try {
            uri = new URI(text.endsWith("/") ? text : text + "/");
        } catch (URISyntaxException e) {
            problems.add(name + "='" + text + "': not a URL (" + e.getReason() + ")");
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
            problems.add(name + "='" + text + "': must be an http(s) URL with a host");
            return null;
        }
        if (scheme.equals("http") && !loopback(uri.getHost()) && !(metadata && IMDS_ADDRESS.equals(uri.getHost()))) {
            problems.add(name + "='" + text + "': plain http is allowed only to a loopback address"
                    + (metadata ? " or " + IMDS_ADDRESS : "") + "; use https");
            return null;
        }
        return uri;
    }

    /** Loopback by literal or by name resolving only to loopback (localhost). */
    static boolean loopback(String host) {
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!h.matches("[0-9.]+") && !h.contains(":")) {
            return false; // never resolve other names here: a DNS answer must not decide whether tokens go in clear
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static double number(Map<String, String> env, String name, double fallback, double min, double max,
                                 List<String> problems) {
        String text = env.getOrDefault(name, "").trim();
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            double v = Double.parseDouble(text);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the range
        }
        problems.add(name + "='" + text + "': must be a number from " + min + " to " + max);
        return fallback;
    }

    private static Duration duration(Map<String, String> env, String name, Duration fallback, List<String> problems) {
        String text = env.getOrDefault(name, "").trim().toLowerCase(Locale.ROOT);
        if (text.isEmpty()) {
            return fallback;
        }
        if (text.startsWith("-")) {
            problems.add(name + "='" + text + "': must not be negative");
            return fallback;
        }
        try {
            if (text.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
            }
            if (text.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(text));
        } catch (NumberFormatException e) {
            problems.add(name + "='" + text + "': must be a duration such as 500ms or 2s");
            return fallback;
        }
    }

    /** {@code value}, or a problem naming the variable when it is zero. */
    private static Duration positive(Map<String, String> env, String name, Duration value, List<String> problems) {
        if (value.isZero()) {
            problems.add(name + "='" + env.getOrDefault(name, "").trim() + "': must be more than zero");
        }
        return value;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
