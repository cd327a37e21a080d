package io.vpcipam.provider.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.rest.Response;
import com.azure.core.util.Context;
import com.azure.core.util.FluxUtil;
import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.resourcemanager.network.fluent.models.ApplicationSecurityGroupInner;
import com.azure.resourcemanager.network.fluent.models.NetworkInterfaceInner;
import com.azure.resourcemanager.network.fluent.models.NetworkInterfaceIpConfigurationInner;
import com.azure.resourcemanager.network.fluent.models.SubnetInner;
import com.azure.resourcemanager.network.fluent.models.VirtualNetworkInner;
import com.azure.resourcemanager.network.models.IpAllocationMethod;
import com.azure.resourcemanager.network.models.IpVersion;
import com.azure.resourcemanager.resources.fluent.models.GenericResourceInner;
import reactor.core.publisher.Flux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.vpcipam.provider.azure.ArmPipeline.call;
import static io.vpcipam.provider.azure.ArmPipeline.operationUrl;
import static io.vpcipam.provider.azure.ArmPipeline.rg;

/**
 * {@link Arm} over the Azure SDK's generated ("inner") clients of azure-resourcemanager-network, not its fluent
 * API: the fluent {@code nic.update().defineSecondaryIPConfiguration(..)} adds one configuration per GET+PUT and
 * costs a VNet GET each, while one {@code beginCreateOrUpdate} with the whole array adds any number at once.
 * This class is the resource mapping of the VM path (the VM's network profile, NICs, the VNet, the whole-NIC PUT);
 * the request plumbing (pipeline, raw requests, error mapping) is {@link ArmPipeline}'s, and a Uniform scale-set
 * instance's NICs go through {@link ScaleSetInstances}.
 */
final class SdkArm implements Arm {

    private final ArmPipeline http;
    private final ScaleSetInstances scaleSets;

    SdkArm(AzureSettings settings, String subscriptionId, TokenCredential credential) {
        this.http = new ArmPipeline(settings, subscriptionId, credential);
        this.scaleSets = new ScaleSetInstances(http);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Vm getVm(String vmResourceId) throws ArmException {
        GenericResourceInner vm = call(() -> http.resources().getResources().getById(vmResourceId, ArmPipeline.COMPUTE_API_VERSION));
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
            return scaleSets.get(nicId);
        }
        String rg = rg(nicId);
        return toNic(call(() -> http.network().getNetworkInterfaces()
                .getByResourceGroupWithResponse(rg, ResourceIds.name(nicId), null, Context.NONE).getValue()));
    }

    @Override
    public Write updateIpConfigurations(Nic nic, List<NewIpConfig> add, Set<String> remove) throws ArmException {
        if (nic.handle() instanceof ScaleSetInstances.InstanceHandle h) {
            return scaleSets.update(nic, h, add, remove);
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
        Response<Flux<ByteBuffer>> response = call(() -> http.network().getNetworkInterfaces()
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
        Response<Flux<ByteBuffer>> response = call(() -> http.network().getNetworkInterfaces()
                .deleteWithResponseAsync(rg, ResourceIds.name(nicId)).block());
        call(() -> FluxUtil.collectBytesInByteBufferStream(response.getValue()).block());
        return operationUrl(response.getHeaders());
    }

    @Override
    public Operation operation(String statusUrl) throws ArmException {
        return http.operation(statusUrl);
    }

    @Override
    public List<Nic> listNics(String resourceGroup) throws ArmException {
        List<NetworkInterfaceInner> all = call(() -> http.network().getNetworkInterfaces().listByResourceGroup(resourceGroup)
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
        VirtualNetworkInner v = call(() -> http.network().getVirtualNetworks()
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

    /** The SDK's NIC as the seam's, IPv6 configurations left out (kept on every update through the handle). */
    static Nic toNic(NetworkInterfaceInner n) {
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

}
