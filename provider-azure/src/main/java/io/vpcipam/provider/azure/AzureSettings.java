package io.vpcipam.provider.azure;

import io.vpcipam.provider.EnvReader;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
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
        return EnvReader.readAll(env, AzureSettings::read);
    }

    /** Every problem with the variables, each naming the variable and its value; empty when all are good. */
    static List<String> problems(Map<String, String> env) {
        return EnvReader.problems(env, AzureSettings::read);
    }

    private static AzureSettings read(EnvReader r) {
        URI arm = endpoint(r, ARM_ENDPOINT, DEFAULT_ARM, false);
        URI imds = endpoint(r, METADATA_ENDPOINT, DEFAULT_METADATA, true);
        double qps = r.number("AZURE_API_QPS", 4, 0.01, 1000);
        int burst = (int) r.number("AZURE_API_BURST", 20, 1, 10_000);
        int attempts = (int) r.number("AZURE_API_MAX_ATTEMPTS", 5, 1, 20);
        Duration backoff = r.duration("AZURE_API_BACKOFF", Duration.ofMillis(250), false);
        Duration maxRetryAfter = r.duration("AZURE_API_MAX_RETRY_AFTER", Duration.ofSeconds(30), true);
        // the SDK refuses a zero poll interval only when the first long-running operation starts, i.e. at the
        // first NIC PUT: every assign would fail long after start-up
        Duration poll = r.duration("AZURE_LRO_POLL_INTERVAL", Duration.ofSeconds(1), false);
        return new AzureSettings(arm, imds, r.raw("AZURE_CLIENT_ID"), r.raw("AZURE_TENANT_ID"),
                r.raw("AZURE_FEDERATED_TOKEN_FILE"), qps, burst, attempts, backoff, maxRetryAfter, poll);
    }

    /** Whether ARM is reached over plain http (a loopback fake): bearer tokens then go in without the TLS check. */
    boolean plainHttpArm() {
        return "http".equals(armEndpoint.getScheme());
    }

    private static URI endpoint(EnvReader r, String name, String fallback, boolean metadata) {
        String text = r.string(name, fallback);
        URI uri;
        try {
            uri = new URI(text.endsWith("/") ? text : text + "/");
        } catch (URISyntaxException e) {
            r.problem(name, text, "not a URL (" + e.getReason() + ")");
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
            r.problem(name, text, "must be an http(s) URL with a host");
            return null;
        }
        if (scheme.equals("http") && !loopback(uri.getHost()) && !(metadata && IMDS_ADDRESS.equals(uri.getHost()))) {
            r.problem(name, text, "plain http is allowed only to a loopback address"
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
}
