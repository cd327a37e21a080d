package io.vpcipam.provider.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.BearerTokenAuthenticationPolicy;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.http.policy.RequestIdPolicy;
import com.azure.core.http.policy.UserAgentPolicy;
import com.azure.core.management.AzureEnvironment;
import com.azure.core.management.exception.ManagementError;
import com.azure.core.management.exception.ManagementException;
import com.azure.core.management.serializer.SerializerFactory;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.Configuration;
import com.azure.core.util.CoreUtils;
import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.resourcemanager.network.fluent.NetworkManagementClient;
import com.azure.resourcemanager.network.implementation.NetworkManagementClientBuilder;
import com.azure.resourcemanager.resources.fluent.ResourceManagementClient;
import com.azure.resourcemanager.resources.implementation.ResourceManagementClientBuilder;

import java.io.IOException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The request plumbing under {@link SdkArm}: one HTTP pipeline of our own (JDK HttpClient transport, User-Agent,
 * request id, If-Match for writes, rate-limit header capture, bearer token; no SDK retry policy, since retries, rate
 * limiting and the circuit breaker are the provider's), the SDK's generated network and resources clients on it, raw
 * JSON requests for what those clients do not cover (scale-set instance models, operation status URLs), and the one
 * mapping of the SDK's exceptions and ARM's error answers to {@link ArmException} with ARM's code and Retry-After.
 */
final class ArmPipeline {

    /** Compute API version for the VM read (through the generic resources API, so no compute SDK is needed). */
    static final String COMPUTE_API_VERSION = "2024-07-01";
    static final String ARM_SCOPE = "https://management.azure.com/.default";

    private final NetworkManagementClient network;
    private final ResourceManagementClient resources;
    private final String endpoint;
    private final Policies.RateLimitHeaders rateHeaders = new Policies.RateLimitHeaders(10);

    ArmPipeline(AzureSettings settings, String subscriptionId, TokenCredential credential) {
        String endpoint = settings.armEndpoint().toString();
        this.endpoint = endpoint;
        List<HttpPipelinePolicy> policies = new ArrayList<>();
        policies.add(new UserAgentPolicy(applicationId(), NETWORK_SDK, sdkVersion(), Configuration.getGlobalConfiguration()));
        policies.add(new RequestIdPolicy());
        policies.add(new Policies.IfMatch());
        policies.add(rateHeaders);
        policies.add(settings.plainHttpArm() ? new Policies.LoopbackBearer(credential, ARM_SCOPE)
                : new BearerTokenAuthenticationPolicy(credential, ARM_SCOPE));
        HttpPipeline pipeline = new HttpPipelineBuilder()
                .httpClient(new JdkHttpClientBuilder().connectionTimeout(Duration.ofSeconds(10))
                        .responseTimeout(Duration.ofSeconds(60)).build())
                .policies(policies.toArray(HttpPipelinePolicy[]::new))
                .build();
        Map<String, String> endpoints = new HashMap<>(AzureEnvironment.AZURE.getEndpoints());
        endpoints.put("resourceManagerEndpointUrl", endpoint);
        AzureEnvironment environment = new AzureEnvironment(endpoints);
        this.network = new NetworkManagementClientBuilder().pipeline(pipeline).endpoint(endpoint)
                .environment(environment).subscriptionId(subscriptionId)
                .defaultPollInterval(settings.pollInterval())
                .serializerAdapter(SerializerFactory.createDefaultManagementSerializerAdapter()).buildClient();
        this.resources = new ResourceManagementClientBuilder().pipeline(pipeline).endpoint(endpoint)
                .environment(environment).subscriptionId(subscriptionId)
                .defaultPollInterval(settings.pollInterval())
                .serializerAdapter(SerializerFactory.createDefaultManagementSerializerAdapter()).buildClient();
    }

    /** The network resource provider's generated client. */
    NetworkManagementClient network() {
        return network;
    }

    /** The generic resources client (the VM read). */
    ResourceManagementClient resources() {
        return resources;
    }

    /** The SDK whose clients make the calls, named as in its own User-Agent. */
    static final String NETWORK_SDK = "azure-resourcemanager-network";

    /**
     * Our part of the User-Agent, {@code vpc-ipam/<version>}: the SDK puts it in front of its own
     * {@code azsdk-java-azure-resourcemanager-network/<version> (<java>; <os>)}, so Azure-side diagnostics show both.
     */
    static String applicationId() {
        String version = CoreUtils.getProperties("io/vpcipam/provider/azure/version.properties").get("version");
        return "vpc-ipam/" + (version == null || version.isBlank() || version.startsWith("$") ? "dev" : version);
    }

    private static String sdkVersion() {
        String version = CoreUtils.getProperties(NETWORK_SDK + ".properties").get("version");
        return version == null ? "unknown" : version;
    }

    /** One read of a long-running operation's status URL (see {@link Arm#operation}). */
    @SuppressWarnings("unchecked")
    Arm.Operation operation(String statusUrl) throws ArmException {
        HttpResponse response = call(() -> network.getHttpPipeline()
                .send(new HttpRequest(HttpMethod.GET, statusUrl)).block());
        String text = call(() -> response.getBodyAsString().block());
        Map<String, Object> root = null;
        try (JsonReader r = JsonProviders.createReader(text == null ? "{}" : text)) {
            if (r.readUntyped() instanceof Map<?, ?> m) {
                root = (Map<String, Object>) m;
            }
        } catch (IOException | RuntimeException e) {
            root = null;
        }
        Map<String, Object> error = root != null && root.get("error") instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
        if (response.getStatusCode() >= 300) {
            throw new ArmException(response.getStatusCode(), error == null ? "" : String.valueOf(error.get("code")),
                    "GET " + statusUrl + ": " + (error == null ? text : error.get("message")),
                    retryAfter(response.getHeaders()), null);
        }
        if (root == null || root.get("status") == null) {
            throw new ArmException(response.getStatusCode(), "MalformedResponse",
                    "operation status " + statusUrl + " has no status: " + text, null, null);
        }
        return new Arm.Operation(String.valueOf(root.get("status")), error == null ? "OperationFailed" : String.valueOf(error.get("code")),
                error == null ? "" : String.valueOf(error.get("message")));
    }

    /** A raw ARM answer: status, headers, the JSON object of its body (null when there was none). */
    record Raw(int status, HttpHeaders headers, Map<String, Object> body) {
    }

    /**
     * One request through the pipeline (token, User-Agent, rate-limit headers) for what the network SDK has no
     * client for; an error answer becomes an {@link ArmException} with ARM's code and Retry-After.
     */
    @SuppressWarnings("unchecked")
    Raw rawJson(HttpMethod method, String resourceId, Map<String, Object> body, String ifMatch)
            throws ArmException {
        String url = endpoint + (resourceId.startsWith("/") ? resourceId.substring(1) : resourceId)
                + "?api-version=" + COMPUTE_API_VERSION;
        HttpRequest request = new HttpRequest(method, url);
        if (body != null) {
            request.setHeader(HttpHeaderName.CONTENT_TYPE, "application/json");
            request.setBody(writeJson(body));
        }
        if (ifMatch != null) {
            request.setHeader(HttpHeaderName.IF_MATCH, ifMatch);
        }
        HttpResponse response = call(() -> network.getHttpPipeline().send(request).block());
        String text = call(() -> response.getBodyAsString().block());
        Map<String, Object> root = null;
        if (text != null && !text.isBlank()) {
            try (JsonReader r = JsonProviders.createReader(text)) {
                if (r.readUntyped() instanceof Map<?, ?> m) {
                    root = (Map<String, Object>) m;
                }
            } catch (IOException | RuntimeException e) {
                throw new ArmException(response.getStatusCode(), "MalformedResponse", method + " " + resourceId
                        + " answered a body that is not JSON: " + e, null, e);
            }
        }
        if (response.getStatusCode() >= 300) {
            Map<String, Object> error = root != null && root.get("error") instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
            throw new ArmException(response.getStatusCode(), error == null ? "" : str(error.get("code")),
                    method + " " + resourceId + ": " + (error == null ? text : error.get("message")),
                    retryAfter(response.getHeaders()), null);
        }
        if (root == null && method == HttpMethod.GET) {
            throw new ArmException(response.getStatusCode(), "MalformedResponse", "GET " + resourceId + " answered no body",
                    null, null);
        }
        return new Raw(response.getStatusCode(), response.getHeaders(), root);
    }

    static String writeJson(Map<String, Object> value) throws ArmException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (com.azure.json.JsonWriter w = JsonProviders.createWriter(out)) {
            w.writeUntyped(value);
        } catch (IOException e) {
            throw new ArmException(0, "SerializationFailed", "cannot write the request body: " + e, null, e);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> copyJson(Map<String, Object> value) throws ArmException {
        try (JsonReader r = JsonProviders.createReader(writeJson(value))) {
            return (Map<String, Object>) r.readUntyped();
        } catch (IOException e) {
            throw new ArmException(0, "SerializationFailed", "cannot copy the instance model: " + e, null, e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    /** The status URL ARM names for a long-running operation (Azure-AsyncOperation, else Location). */
    static String operationUrl(HttpHeaders headers) {
        String async = headers.getValue(HttpHeaderName.fromString("Azure-AsyncOperation"));
        return async != null ? async : headers.getValue(HttpHeaderName.LOCATION);
    }

    static String rg(String id) throws ArmException {
        try {
            return ResourceIds.resourceGroup(id);
        } catch (IllegalArgumentException e) {
            throw new ArmException(404, "InvalidResourceId", e.getMessage(), null, e);
        }
    }

    /** A body that may throw the SDK's unchecked exceptions. */
    @FunctionalInterface
    interface SdkCall<T> {
        T get();
    }

    static <T> T call(SdkCall<T> body) throws ArmException {
        try {
            return body.get();
        } catch (RuntimeException e) {
            throw convert(e);
        }
    }

    /** The SDK's exceptions (possibly wrapped by reactor) as one {@link ArmException}. */
    static ArmException convert(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof HttpResponseException h) {
                int status = h.getResponse() == null ? 0 : h.getResponse().getStatusCode();
                String code = "";
                String message = h.getMessage();
                if (h instanceof ManagementException m && m.getValue() != null) {
                    ManagementError err = m.getValue();
                    code = err.getCode() == null ? "" : err.getCode();
                    message = err.getMessage() == null ? message : err.getMessage();
                }
                Duration retryAfter = h.getResponse() == null ? null : retryAfter(h.getResponse().getHeaders());
                return new ArmException(status, code, message, retryAfter, e);
            }
        }
        if (e instanceof IllegalArgumentException) {
            return new ArmException(400, "InvalidRequest", e.getMessage(), null, e);
        }
        return new ArmException(0, "Transport", String.valueOf(e), null, e);
    }

    /** Retry-After in seconds or as an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(HttpHeaders headers) {
        String ms = headers.getValue(HttpHeaderName.fromString("retry-after-ms"));
        if (ms != null) {
            try {
                return Duration.ofMillis(Long.parseLong(ms.trim()));
            } catch (NumberFormatException ignored) {
                // fall through to Retry-After
            }
        }
        String v = headers.getValue(HttpHeaderName.RETRY_AFTER);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Duration.ofSeconds(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(v.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException ignored) {
                return null;
            }
        }
    }
}
