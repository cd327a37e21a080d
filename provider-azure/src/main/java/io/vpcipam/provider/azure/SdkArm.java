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
import com.azure.core.http.rest.Response;
import com.azure.core.util.Configuration;
import com.azure.core.util.Context;
import com.azure.core.util.CoreUtils;
import com.azure.core.util.FluxUtil;
import reactor.core.publisher.Flux;
import java.nio.ByteBuffer;
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
    private final String endpoint;
    private final Policies.RateLimitHeaders rateHeaders = new Policies.RateLimitHeaders(10);

    SdkArm(AzureSettings settings, String subscriptionId, TokenCredential credential) {
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
        if (ScaleSetIds.isInstanceNic(nicId)) {
            return getInstanceNic(nicId);
        }
        String rg = rg(nicId);
        return toNic(call(() -> network.getNetworkInterfaces()
                .getByResourceGroupWithResponse(rg, ResourceIds.name(nicId), null, Context.NONE).getValue()));
    }

    @Override
    public Write updateIpConfigurations(Nic nic, List<NewIpConfig> add, Set<String> remove) throws ArmException {
        if (nic.handle() instanceof InstanceHandle h) {
            return updateInstance(nic, h, add, remove);
        }
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
        String rg = rg(nic.id());
        String name = ResourceIds.name(nic.id());
        // the raw first response, not the SDK's poller: the poller sleeps each Retry-After (10 s on Azure) before
        // its first status read, and a failed status read would make the caller send the whole PUT again
        Response<Flux<ByteBuffer>> response = call(() -> network.getNetworkInterfaces()
                .createOrUpdateWithResponseAsync(rg, name, body)
                .contextWrite(c -> nic.etag() == null ? c : c.put(Policies.IF_MATCH_KEY, nic.etag()))
                .block());
        byte[] bytes = call(() -> FluxUtil.collectBytesInByteBufferStream(response.getValue()).block());
        NetworkInterfaceInner accepted;
        try (JsonReader r = JsonProviders.createReader(bytes == null ? new byte[0] : bytes)) {
            accepted = NetworkInterfaceInner.fromJson(r);
        } catch (IOException | RuntimeException e) {
            throw new ArmException(response.getStatusCode(), "MalformedResponse",
                    "PUT " + nic.id() + " answered a body that is not a NIC: " + e, null, e);
        }
        if (accepted == null) {
            throw new ArmException(response.getStatusCode(), "MalformedResponse", "PUT " + nic.id() + " answered no body",
                    null, null);
        }
        return new Write(toNic(accepted), operationUrl(response.getHeaders()));
    }

    @Override
    public String deleteNic(String nicId) throws ArmException {
        String rg = rg(nicId);
        Response<Flux<ByteBuffer>> response = call(() -> network.getNetworkInterfaces()
                .deleteWithResponseAsync(rg, ResourceIds.name(nicId)).block());
        call(() -> FluxUtil.collectBytesInByteBufferStream(response.getValue()).block());
        return operationUrl(response.getHeaders());
    }

    @Override
    @SuppressWarnings("unchecked")
    public Operation operation(String statusUrl) throws ArmException {
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
        return new Operation(String.valueOf(root.get("status")), error == null ? "OperationFailed" : String.valueOf(error.get("code")),
                error == null ? "" : String.valueOf(error.get("message")));
    }

    // ---------------------------------------------------------------- Uniform scale-set instances

    /**
     * What a scale-set instance's NIC carries as its handle: the instance's model as read (whole, so the PUT sends
     * back everything it did not mean to change) and the name of the network interface configuration that is this
     * NIC (in a Uniform set, the NIC is named after its configuration).
     */
    record InstanceHandle(Map<String, Object> model, String configName) {
    }

    /**
     * A Uniform instance's NIC: the NIC itself from the network resource provider (addresses, MAC, the linked-resource
     * references; {@code GetVirtualMachineScaleSetNetworkInterface}), and the instance's model from compute (its ETag,
     * which the write must match, and its provisioningState: the NIC is busy while the instance is being updated).
     */
    private Nic getInstanceNic(String nicId) throws ArmException {
        ScaleSetIds.Instance at = ScaleSetIds.ofNic(nicId);
        Map<String, Object> model = rawJson(HttpMethod.GET, at.instanceId(), null, null).body();
        NetworkInterfaceInner inner = call(() -> network.getNetworkInterfaces()
                .getVirtualMachineScaleSetNetworkInterfaceWithResponse(at.resourceGroup(), at.scaleSet(),
                        at.index(), ResourceIds.name(nicId), null, Context.NONE).getValue());
        Nic nic = toNic(inner);
        String vmState = str(map(model.get("properties")).get("provisioningState"));
        String state = vmState.isEmpty() || "Succeeded".equalsIgnoreCase(vmState) ? nic.provisioningState() : vmState;
        return new Nic(nic.id(), model.get("etag") == null ? null : str(model.get("etag")), nic.mac(), nic.vmId() != null ? nic.vmId() : at.instanceId(),
                nic.tags(), nic.ipConfigurations(), new InstanceHandle(model, ResourceIds.name(nicId)), state,
                nic.privateAddresses());
    }

    /**
     * {@code VirtualMachineScaleSetVMs_Update}: the instance's model with this NIC's ip-configurations changed, sent
     * whole with {@code If-Match: <instance ETag>}. The body is what the compute SDK's VirtualMachineScaleSetVMInner
     * would serialize (read-only fields left out) less {@code storageProfile.imageReference}: AKS's node images live
     * in a gallery of another subscription, and an update naming it is refused for lack of read access to it (as
     * cilium found, AKS#1819); without it compute keeps the image as it is. Like the NIC PUT, the first response is
     * kept and not polled here: the operation's status URL goes back to the provider, which reads the NIC.
     */
    @SuppressWarnings("unchecked")
    private Write updateInstance(Nic nic, InstanceHandle h, List<NewIpConfig> add, Set<String> remove)
            throws ArmException {
        Map<String, Object> model = copyJson(h.model());
        Map<String, Object> body = new LinkedHashMap<>();
        for (String k : List.of("location", "tags", "plan", "identity", "properties")) {
            if (model.get(k) != null) {
                body.put(k, model.get(k));
            }
        }
        Map<String, Object> props = map(body.get("properties"));
        for (String readOnly : List.of("latestModelApplied", "vmId", "instanceView", "provisioningState",
                "modelDefinitionApplied", "timeCreated")) {
            props.remove(readOnly);
        }
        Map<String, Object> storage = map(props.get("storageProfile"));
        if (storage != null) {
            storage.remove("imageReference");
        }
        Map<String, Object> profile = map(props.get("networkProfileConfiguration"));
        List<Object> configs = profile == null ? null : (List<Object>) profile.get("networkInterfaceConfigurations");
        Map<String, Object> mine = null;
        for (Object o : configs == null ? List.of() : configs) {
            if (h.configName().equalsIgnoreCase(str(map(o).get("name")))) {
                mine = map(o);
            }
        }
        if (mine == null) {
            throw new ArmException(404, "NetworkInterfaceConfigurationNotFound", "scale-set instance "
                    + ScaleSetIds.ofNic(nic.id()).instanceId() + " has no network interface configuration named "
                    + h.configName(), null, null);
        }
        Map<String, Object> mineProps = map(mine.get("properties"));
        List<Object> ipConfigs = new ArrayList<>();
        Set<String> present = new java.util.HashSet<>();
        for (Object o : (List<Object>) mineProps.getOrDefault("ipConfigurations", List.of())) {
            Map<String, Object> c = map(o);
            String name = str(c.get("name"));
            if (remove.contains(name)) {
                if (Boolean.TRUE.equals(map(c.getOrDefault("properties", Map.of())).get("primary"))) {
                    throw new IllegalArgumentException("refusing to remove the primary ip-configuration " + name);
                }
                continue;
            }
            present.add(name);
            ipConfigs.add(c); // exactly as read: load balancer pools, ASGs and all
        }
        for (NewIpConfig a : add) {
            if (present.contains(a.name())) {
                continue; // the model has it already (an earlier write whose NIC has not caught up)
            }
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("primary", false);
            p.put("subnet", Map.of("id", a.subnetId()));
            p.put("privateIPAddressVersion", "IPv4");
            if (!a.asgIds().isEmpty()) {
                p.put("applicationSecurityGroups", a.asgIds().stream().map(id -> (Object) Map.of("id", id)).toList());
            }
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", a.name());
            c.put("properties", p);
            ipConfigs.add(c);
        }
        mineProps.put("ipConfigurations", ipConfigs);
        String instanceId = ScaleSetIds.ofNic(nic.id()).instanceId();
        Raw response = rawJson(HttpMethod.PUT, instanceId, body, nic.etag());
        String operation = operationUrl(response.headers());
        Map<String, Object> accepted = response.body();
        String state = accepted == null ? "" : str(map(accepted.getOrDefault("properties", Map.of())).get("provisioningState"));
        if (operation == null) {
            return new Write(getInstanceNic(nic.id()), null); // done at once: the NIC shows it now
        }
        // the response is the instance, not the NIC: the addresses show on the NIC once the operation has run
        return new Write(new Nic(nic.id(), accepted == null || accepted.get("etag") == null ? null
                : str(accepted.get("etag")), nic.mac(), nic.vmId(),
                nic.tags(), nic.ipConfigurations(), nic.handle(), state.isEmpty() ? "Updating" : state,
                nic.privateAddresses()), operation);
    }

    /** A raw ARM answer: status, headers, the JSON object of its body (null when there was none). */
    private record Raw(int status, HttpHeaders headers, Map<String, Object> body) {
    }

    /**
     * One request through the pipeline (token, User-Agent, rate-limit headers) for what the network SDK has no
     * client for; an error answer becomes an {@link ArmException} with ARM's code and Retry-After.
     */
    @SuppressWarnings("unchecked")
    private Raw rawJson(HttpMethod method, String resourceId, Map<String, Object> body, String ifMatch)
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

    private static String writeJson(Map<String, Object> value) throws ArmException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (com.azure.json.JsonWriter w = JsonProviders.createWriter(out)) {
            w.writeUntyped(value);
        } catch (IOException e) {
            throw new ArmException(0, "SerializationFailed", "cannot write the request body: " + e, null, e);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> copyJson(Map<String, Object> value) throws ArmException {
        try (JsonReader r = JsonProviders.createReader(writeJson(value))) {
            return (Map<String, Object>) r.readUntyped();
        } catch (IOException e) {
            throw new ArmException(0, "SerializationFailed", "cannot copy the instance model: " + e, null, e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    /** The status URL ARM names for a long-running operation (Azure-AsyncOperation, else Location). */
    private static String operationUrl(HttpHeaders headers) {
        String async = headers.getValue(HttpHeaderName.fromString("Azure-AsyncOperation"));
        return async != null ? async : headers.getValue(HttpHeaderName.LOCATION);
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
                n.tags(), configs, n, n.provisioningState() == null ? "" : n.provisioningState().toString(),
                n.ipConfigurations() == null ? 0 : n.ipConfigurations().size());
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
