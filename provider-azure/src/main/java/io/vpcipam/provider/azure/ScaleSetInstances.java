package io.vpcipam.provider.azure;

import com.azure.core.http.HttpMethod;
import com.azure.core.util.Context;
import com.azure.resourcemanager.network.fluent.models.NetworkInterfaceInner;
import io.vpcipam.provider.azure.Arm.NewIpConfig;
import io.vpcipam.provider.azure.Arm.Nic;
import io.vpcipam.provider.azure.Arm.Write;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.vpcipam.provider.azure.ArmPipeline.call;
import static io.vpcipam.provider.azure.ArmPipeline.copyJson;
import static io.vpcipam.provider.azure.ArmPipeline.map;
import static io.vpcipam.provider.azure.ArmPipeline.operationUrl;
import static io.vpcipam.provider.azure.ArmPipeline.str;

/**
 * The Uniform scale-set path of {@link SdkArm} (AKS's VirtualMachineScaleSets node pools): an instance's NIC read
 * from the network resource provider plus the instance's model from compute, and written through the instance
 * ({@code VirtualMachineScaleSetVMs_Update}, raw JSON through the same pipeline: no compute SDK dependency), since
 * the NIC itself is read-only under the instance. {@link SdkArm} sends here every NIC {@link ScaleSetIds} names as
 * an instance's, so the provider's logic is the same for both paths.
 */
final class ScaleSetInstances {

    private final ArmPipeline http;

    ScaleSetInstances(ArmPipeline http) {
        this.http = http;
    }

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
    Nic get(String nicId) throws ArmException {
        ScaleSetIds.Instance at = ScaleSetIds.ofNic(nicId);
        Map<String, Object> model = http.rawJson(HttpMethod.GET, at.instanceId(), null, null).body();
        NetworkInterfaceInner inner = call(() -> http.network().getNetworkInterfaces()
                .getVirtualMachineScaleSetNetworkInterfaceWithResponse(at.resourceGroup(), at.scaleSet(),
                        at.index(), ResourceIds.name(nicId), null, Context.NONE).getValue());
        Nic nic = SdkArm.toNic(inner);
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
    Write update(Nic nic, InstanceHandle h, List<NewIpConfig> add, Set<String> remove)
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
        ArmPipeline.Raw response = http.rawJson(HttpMethod.PUT, instanceId, body, nic.etag());
        String operation = operationUrl(response.headers());
        Map<String, Object> accepted = response.body();
        String state = accepted == null ? "" : str(map(accepted.getOrDefault("properties", Map.of())).get("provisioningState"));
        if (operation == null) {
            return new Write(get(nic.id()), null); // done at once: the NIC shows it now
        }
        // the response is the instance, not the NIC: the addresses show on the NIC once the operation has run
        return new Write(new Nic(nic.id(), accepted == null || accepted.get("etag") == null ? null
                : str(accepted.get("etag")), nic.mac(), nic.vmId(),
                nic.tags(), nic.ipConfigurations(), nic.handle(), state.isEmpty() ? "Updating" : state,
                nic.privateAddresses()), operation);
    }

}
