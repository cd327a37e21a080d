package io.vpcipam.provider.aws;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.Ipv4Address;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Instance metadata over IMDSv2 with the JDK HTTP client: a session token from {@code PUT /latest/api/token}, then
 * GETs carrying it (the SDK's imds module is not available at our SDK version, and this is all it would do). Used
 * for the node's identity only; before anything is changed or deleted the EC2 API is asked, since metadata lags
 * behind attach and assign calls.
 *
 * <p>Failures are {@link CloudException.Fatal}s that name the path and the endpoint and say how to run without
 * metadata; an unreachable endpoint is transient, a malformed answer is not.
 */
final class Imds {

    /** The node's identity as metadata tells it. */
    record Identity(String instanceId, String instanceType, String zone, String region, String mac) {
    }

    /** One attached interface, per {@code network/interfaces/macs/<mac>/}. */
    record MacInterface(String mac, String interfaceId, int deviceNumber, String subnetId, Cidr subnetCidr,
                        List<Cidr> vpcCidrs, List<Ipv4Address> localIpv4s, List<Cidr> prefixes) {
    }

    static final String TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds";
    static final String TOKEN_HEADER = "X-aws-ec2-metadata-token";
    private static final Pattern INSTANCE = Pattern.compile("i-[0-9a-f]{8,32}");
    private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
    private static final Pattern ZONE = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d+[a-z]");

    private final URI base;
    private final Duration timeout;
    private final HttpClient http;
    private String token;

    Imds(URI base, Duration timeout) {
        this.base = base;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    /** Instance id, type, zone, region (from the zone when the region path is missing) and primary MAC. */
    Identity identity() throws CloudException {
        String id = get("instance-id");
        if (!INSTANCE.matcher(id).matches()) {
            throw malformed("instance-id", id);
        }
        String type = get("instance-type");
        String zone = get("placement/availability-zone");
        if (!ZONE.matcher(zone).matches()) {
            throw malformed("placement/availability-zone", zone);
        }
        String region = getOptional("placement/region");
        if (region == null) {
            region = zone.substring(0, zone.length() - 1);
        }
        String mac = get("mac").toLowerCase(java.util.Locale.ROOT);
        if (!MAC.matcher(mac).matches()) {
            throw malformed("mac", mac);
        }
        return new Identity(id, type, zone, region, mac);
    }

    /** Every attached interface, by MAC, with its addresses and prefixes as metadata last saw them. */
    List<MacInterface> interfaces() throws CloudException {
        List<MacInterface> out = new ArrayList<>();
        for (String line : lines(get("network/interfaces/macs/"))) {
            String mac = line.endsWith("/") ? line.substring(0, line.length() - 1) : line;
            if (!MAC.matcher(mac).matches()) {
                throw malformed("network/interfaces/macs/", line);
            }
            String p = "network/interfaces/macs/" + mac + "/";
            int device;
            try {
                device = Integer.parseInt(get(p + "device-number"));
            } catch (NumberFormatException e) {
                throw malformed(p + "device-number", get(p + "device-number"));
            }
            try {
                List<Cidr> vpc = lines(get(p + "vpc-ipv4-cidr-blocks")).stream().map(Cidr::parse).toList();
                List<Ipv4Address> local = lines(get(p + "local-ipv4s")).stream().map(Ipv4Address::parse).toList();
                String prefixText = getOptional(p + "ipv4-prefix");
                List<Cidr> prefixes = prefixText == null ? List.of()
                        : lines(prefixText).stream().map(Cidr::parse).toList();
                out.add(new MacInterface(mac, get(p + "interface-id"), device, get(p + "subnet-id"),
                        Cidr.parse(get(p + "subnet-ipv4-cidr-block")), vpc, local, prefixes));
            } catch (IllegalArgumentException e) {
                throw new CloudException.Fatal(ApiError.MALFORMED, "instance metadata at " + base + " under " + p
                        + " is not what EC2 serves: " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static List<String> lines(String text) {
        return text.lines().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private String get(String path) throws CloudException {
        String value = getOptional(path);
        if (value == null) {
            throw new CloudException.Fatal("ImdsNotFound", "instance metadata at " + base + " has no " + path
                    + "; set " + AwsSettings.INSTANCE_ID + " and " + AwsSettings.REGION + " to run without it", null);
        }
        return value;
    }

    /** The value at {@code /latest/meta-data/<path>}, or null on 404. */
    private String getOptional(String path) throws CloudException {
        for (int attempt = 0; ; attempt++) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve("/latest/meta-data/" + path))
                    .timeout(timeout).header(TOKEN_HEADER, token()).GET().build(), path);
            if (r.statusCode() == 401 && attempt == 0) {
                token = null; // the token expired: one fresh token, then give up
                continue;
            }
            if (r.statusCode() == 404) {
                return null;
            }
            if (r.statusCode() != 200) {
                throw new CloudException.Fatal("ImdsHttp" + r.statusCode(), "instance metadata at " + base
                        + " answered HTTP " + r.statusCode() + " for " + path, null, r.statusCode() >= 500);
            }
            return r.body().trim();
        }
    }

    private synchronized String token() throws CloudException {
        if (token == null) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(base.resolve("/latest/api/token")).timeout(timeout)
                    .header(TOKEN_TTL_HEADER, "21600").PUT(HttpRequest.BodyPublishers.noBody()).build(), "api/token");
            if (r.statusCode() != 200 || r.body().isBlank()) {
                throw new CloudException.Fatal("ImdsToken", "instance metadata at " + base
                        + " gave no IMDSv2 token (HTTP " + r.statusCode() + "); is the hop limit too low for a"
                        + " container? set " + AwsSettings.INSTANCE_ID + " and " + AwsSettings.REGION
                        + " to run without it", null, r.statusCode() >= 500);
            }
            token = r.body().trim();
        }
        return token;
    }

    private HttpResponse<String> send(HttpRequest request, String path) throws CloudException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CloudException.Fatal("ImdsUnavailable", "instance metadata at " + base + " did not answer "
                    + path + " (" + e + "); set " + AwsSettings.INSTANCE_ID + " and " + AwsSettings.REGION
                    + " to run without it", e, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudException.Fatal("Interrupted", "interrupted reading instance metadata " + path, e, true);
        }
    }

    private CloudException.Fatal malformed(String path, String value) {
        return new CloudException.Fatal(ApiError.MALFORMED, "instance metadata at " + base + " answered '"
                + (value.length() > 80 ? value.substring(0, 80) + "..." : value) + "' for " + path, null);
    }
}
