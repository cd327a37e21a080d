package io.vpcipam.provider.aws;

import org.junit.jupiter.api.Assumptions;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/**
 * The EC2 emulator every moto test uses (provider-aws's tests and {@code it}'s, through this test-jar): where it is,
 * {@code IPAMD_TEST_EC2_ENDPOINT} (set by {@code .ci/run} after {@code bin/moto.sh}'s {@code start_moto}), a client
 * of it, and what ipamd needs to reach it. Unset is a failure under {@code CI=true} (CI always starts moto, so its
 * absence is a broken set-up) and a skip elsewhere, saying how to start moto; set but not answering is a failure,
 * never a skip.
 */
public final class Moto {

    /** The variable that names the emulator's endpoint. */
    public static final String ENDPOINT_VARIABLE = "IPAMD_TEST_EC2_ENDPOINT";
    /** The region every test uses. */
    public static final String REGION = "us-east-1";
    /** An image id moto knows, for RunInstances. */
    public static final String AMI = "ami-12c6146b";

    private Moto() {
    }

    /** The emulator's endpoint; skips or fails per the class comment when there is none or it does not answer. */
    public static URI endpoint() {
        String value = System.getenv(ENDPOINT_VARIABLE);
        if (value == null || value.isBlank()) {
            String how = ENDPOINT_VARIABLE + " is not set; start moto with `. bin/moto.sh && start_moto`"
                    + " (or run .ci/run) to run the EC2 emulator tests";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                throw new AssertionError("CI=true but " + how);
            }
            Assumptions.abort(how);
        }
        URI uri = URI.create(value.trim());
        requireReachable(uri);
        return uri;
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

    /** A raw SDK client of the emulator at {@code endpoint} (test credentials, the JDK HTTP client). */
    public static Ec2Client client(URI endpoint) {
        return Ec2Client.builder().endpointOverride(endpoint).region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    /**
     * What ipamd (or the provider, or {@code max-pods}) needs to reach the emulator at {@code endpoint}: the endpoint,
     * the region and test credentials; a mutable map, for the caller's own settings.
     */
    public static Map<String, String> env(URI endpoint) {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_EC2_ENDPOINT", endpoint.toString());
        env.put("AWS_REGION", REGION);
        env.put("AWS_ACCESS_KEY_ID", "test");
        env.put("AWS_SECRET_ACCESS_KEY", "test");
        return env;
    }
}
