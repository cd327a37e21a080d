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
import com.azure.core.util.Context;
import com.azure.core.management.polling.PollResult;
import com.azure.core.util.polling.LongRunningOperationStatus;
import com.azure.core.util.polling.PollResponse;
import com.azure.core.util.polling.SyncPoller;
import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.resourcemanager.network.fluent.NetworkManagementClient;
import com.azure.resourcemanager.network.fluent.models.ApplicationSecurityGroupInner;
import com.azure.resourcemanager.network.fluent.models.NetworkInterfaceInner;
import com.azure.resourcemanager.network.fluent.models.NetworkInterfaceIpConfigurationInner;
import com.azure.resourcemanager.network.fluent.models.SubnetInner;
import com.azure.resourcemanager.network.fluent.models.VirtualNetworkInner;
import com.azure.resourcemanager.network.implementation.NetworkManagementClientBuilder;
import com.azure.resourcemanager.network.models.IpAllocationMethod;
import com.azure.resourcemanager.network.models.IpVersion;
import com.azure.resourcemanager.resources.fluent.ResourceManagementClient;
import com.azure.resourcemanager.resources.fluent.models.GenericResourceInner;
import com.azure.resourcemanager.resources.implementation.ResourceManagementClientBuilder;

import java.io.IOException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link Arm} over the Azure SDK's generated ("inner") clients of azure-resourcemanager-network, not its fluent
 * API: the fluent {@code nic.update().defineSecondaryIPConfiguration(..)} adds one configuration per GET+PUT and
 * costs a VNet GET each, while one {@code beginCreateOrUpdate} with the whole array adds any number at once.
 * The pipeline is ours: JDK HttpClient transport, If-Match for writes, rate-limit header capture, bearer token;
 * no SDK retry policy, since retries, rate limiting and the circuit breaker are the provider's (resilience4j).
 */
final class SdkArm implements Arm {

    /** Compute API version for the VM read (through the generic resources API, so no compute SDK is needed). */
    static final String COMPUTE_API_VERSION = "2024-07-01";
    static final String ARM_SCOPE = "https://management.azure.com/.default";

    private final NetworkManagementClient network;
    private final ResourceManagementClient resources;
    private final Policies.RateLimitHeaders rateHeaders = new Policies.RateLimitHeaders(10);
    private final Duration operationTimeout;

    SdkArm(AzureSettings settings, String subscriptionId, TokenCredential credential) {
        String endpoint = settings.armEndpoint().toString();
        List<HttpPipelinePolicy> policies = new ArrayList<>();
        policies.add(new UserAgentPolicy("vpc-ipam"));
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
        this.operationTimeout = Duration.ofMinutes(5);
    }

    /** Latest {@code x-ms-ratelimit-remaining-*} values, by header suffix. */
    Map<String, Long> remainingBudget() {
        return rateHeaders.remaining();
    }

    @Override
    @SuppressWarnings("unchecked")
    public Vm getVm(String vmResourceId) throws ArmException {
        GenericResourceInner vm = call(() -> resources.getResources().getById(vmResourceId, COMPUTE_API_VERSION));
        try {
            Map<String, Object> props = (Map<String, Object>) vm.properties();
            Map<String, Object> profile = (Map<String, Object>) props.get("networkProfile");
            List<Object> nics = profile == null ? List.of() : (List<Object>) profile.getOrDefault("networkInterfaces", List.of());
            List<String> ids = new ArrayList<>();
            String primary = null;
            for (Object o : nics) {
                Map<String, Object> ref = (Map<String, Object>) o;
                String id = (String) ref.get("id");
                ids.add(id);
                Map<String, Object> refProps = (Map<String, Object>) ref.getOrDefault("properties", Map.of());
                if (Boolean.TRUE.equals(refProps.get("primary")) || nics.size() == 1) {
                    primary = id;
                }
            }
            if (ids.isEmpty()) {
                throw new ArmException(200, "VmHasNoNetworkInterfaces",
                        "VM " + vmResourceId + " has no networkProfile.networkInterfaces (a VMSS Uniform instance?)", null, null);
            }
            return new Vm(ids, primary == null ? ids.getFirst() : primary);
        } catch (ClassCastException | NullPointerException e) {
            throw new ArmException(200, "MalformedResponse", "VM " + vmResourceId + ": unexpected shape: " + e, null, e);
        }
    }

    @Override
    public Nic getNic(String nicId) throws ArmException {
        String rg = rg(nicId);
        return toNic(call(() -> network.getNetworkInterfaces()
                .getByResourceGroupWithResponse(rg, ResourceIds.name(nicId), null, Context.NONE).getValue()));
    }

    @Override
    public Nic updateIpConfigurations(Nic nic, List<NewIpConfig> add, Set<String> remove) throws ArmException {
        NetworkInterfaceInner body = copy((NetworkInterfaceInner) nic.handle());
        List<NetworkInterfaceIpConfigurationInner> configs = new ArrayList<>();
        for (NetworkInterfaceIpConfigurationInner c : body.ipConfigurations()) {
            if (remove.contains(c.name())) {
                if (Boolean.TRUE.equals(c.primary())) {
                    throw new IllegalArgumentException("refusing to remove the primary ip-configuration " + c.name());
                }
                continue;
            }
            configs.add(c); // exactly as read: load balancer pools, public IPs, ASGs and all
        }
        for (NewIpConfig a : add) {
            NetworkInterfaceIpConfigurationInner c = new NetworkInterfaceIpConfigurationInner().withName(a.name())
                    .withPrimary(false).withPrivateIpAllocationMethod(IpAllocationMethod.DYNAMIC)
                    .withPrivateIpAddressVersion(IpVersion.IPV4).withSubnet(new SubnetInner().withId(a.subnetId()));
            if (!a.asgIds().isEmpty()) {
                c.withApplicationSecurityGroups(a.asgIds().stream()
                        .map(id -> (ApplicationSecurityGroupInner) new ApplicationSecurityGroupInner().withId(id)).toList());
            }
            configs.add(c);
        }
        body.withIpConfigurations(configs);
        Context ctx = nic.etag() == null ? Context.NONE : new Context(Policies.IF_MATCH_KEY, nic.etag());
        String rg = rg(nic.id());
        String name = ResourceIds.name(nic.id());
        SyncPoller<PollResult<NetworkInterfaceInner>, NetworkInterfaceInner> poller =
                call(() -> network.getNetworkInterfaces().beginCreateOrUpdate(rg, name, body, ctx));
        awaitSuccess(poller, "PUT " + nic.id());
        return toNic(call(poller::getFinalResult));
    }

    @Override
    public void deleteNic(String nicId) throws ArmException {
        String rg = rg(nicId);
        SyncPoller<PollResult<Void>, Void> poller =
                call(() -> network.getNetworkInterfaces().beginDelete(rg, ResourceIds.name(nicId), Context.NONE));
        awaitSuccess(poller, "DELETE " + nicId);
    }

    @Override
    public List<Nic> listNics(String resourceGroup) throws ArmException {
        List<NetworkInterfaceInner> all = call(() -> network.getNetworkInterfaces().listByResourceGroup(resourceGroup)
                .stream().toList());
        List<Nic> out = new ArrayList<>();
        for (NetworkInterfaceInner n : all) {
            out.add(toNic(n));
        }
        return out;
    }

    @Override
    public Vnet getVnet(String vnetId) throws ArmException {
        String rg = rg(vnetId);
        VirtualNetworkInner v = call(() -> network.getVirtualNetworks()
                .getByResourceGroupWithResponse(rg, ResourceIds.name(vnetId), null, Context.NONE).getValue());
        List<String> space = v.addressSpace() == null || v.addressSpace().addressPrefixes() == null ? List.of()
                : v.addressSpace().addressPrefixes();
        Map<String, String> subnets = new LinkedHashMap<>();
        if (v.subnets() != null) {
            for (SubnetInner s : v.subnets()) {
                String prefix = s.addressPrefix() != null ? s.addressPrefix()
                        : s.addressPrefixes() != null && !s.addressPrefixes().isEmpty() ? s.addressPrefixes().getFirst() : null;
                if (s.id() != null && prefix != null) {
                    subnets.put(ResourceIds.key(s.id()), prefix);
                }
            }
        }
        return new Vnet(v.id(), space, subnets);
    }

    /**
     * Waits for a long-running operation (the SDK polls {@code Azure-AsyncOperation}, sleeping each poll's
     * {@code Retry-After}). A {@code Failed} or {@code Canceled} operation does not throw in the SDK (its final result is
     * just null), so its error body is read here and thrown with ARM's code.
     */
    private <T> void awaitSuccess(SyncPoller<PollResult<T>, T> poller, String what) throws ArmException {
        PollResponse<PollResult<T>> last = call(() -> poller.waitForCompletion(operationTimeout));
        if (last.getStatus() == LongRunningOperationStatus.SUCCESSFULLY_COMPLETED) {
            return;
        }
        PollResult.Error error = last.getValue() == null ? null : last.getValue().getError();
        String code = "OperationFailed";
        String message = what + " ended " + last.getStatus();
        if (error != null) {
            message = what + ": " + error.getMessage();
            try (JsonReader r = JsonProviders.createReader(error.getResponseBody() == null ? "{}" : error.getResponseBody())) {
                Object root = r.readUntyped();
                if (root instanceof Map<?, ?> m && m.get("error") instanceof Map<?, ?> err && err.get("code") != null) {
                    code = err.get("code").toString();
                    message = what + ": " + err.get("message");
                }
            } catch (IOException | RuntimeException ignored) {
                // an unreadable body keeps the generic code
            }
        }
        throw new ArmException(error == null ? 0 : error.getResponseStatusCode(), code, message,
                error == null || error.getResponseHeaders() == null ? null : retryAfter(error.getResponseHeaders()), null);
    }

    private static String rg(String id) throws ArmException {
        try {
            return ResourceIds.resourceGroup(id);
        } catch (IllegalArgumentException e) {
            throw new ArmException(404, "InvalidResourceId", e.getMessage(), null, e);
        }
    }

    private static Nic toNic(NetworkInterfaceInner n) {
        List<IpConfig> configs = new ArrayList<>();
        if (n.ipConfigurations() != null) {
            for (NetworkInterfaceIpConfigurationInner c : n.ipConfigurations()) {
                if (c.privateIpAddressVersion() == IpVersion.IPV6) {
                    continue; // kept on every update through the handle; never an IPv4 pool address
                }
                List<String> asgs = c.applicationSecurityGroups() == null ? List.of()
                        : c.applicationSecurityGroups().stream().map(ApplicationSecurityGroupInner::id).toList();
                boolean linked = c.publicIpAddress() != null || notEmpty(c.loadBalancerBackendAddressPools())
                        || notEmpty(c.loadBalancerInboundNatRules()) || notEmpty(c.applicationGatewayBackendAddressPools());
                configs.add(new IpConfig(c.name(), Boolean.TRUE.equals(c.primary()), c.privateIpAddress(),
                        c.subnet() == null ? null : c.subnet().id(), asgs, linked));
            }
        }
        return new Nic(n.id(), n.etag(), n.macAddress(), n.virtualMachine() == null ? null : n.virtualMachine().id(),
                n.tags(), configs, n);
    }

    private static boolean notEmpty(List<?> list) {
        return list != null && !list.isEmpty();
    }

    /** A deep copy through the model's own JSON, so a retried update never sees an earlier attempt's edits. */
    private static NetworkInterfaceInner copy(NetworkInterfaceInner n) throws ArmException {
        try (JsonReader r = JsonProviders.createReader(n.toJsonString())) {
            return NetworkInterfaceInner.fromJson(r);
        } catch (IOException e) {
            throw new ArmException(0, "SerializationFailed", "cannot copy NIC " + n.id() + ": " + e, null, e);
        }
    }

    /** A body that may throw the SDK's unchecked exceptions. */
    @FunctionalInterface
    private interface SdkCall<T> {
        T get();
    }

    private static <T> T call(SdkCall<T> body) throws ArmException {
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
