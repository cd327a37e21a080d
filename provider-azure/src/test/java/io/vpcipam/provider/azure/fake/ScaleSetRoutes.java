package io.vpcipam.provider.azure.fake;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import io.vpcipam.provider.azure.fake.ArmJson.Reply;
import io.vpcipam.provider.azure.fake.ArmJson.ResourceName;

import static io.vpcipam.provider.azure.fake.ArmJson.configs;
import static io.vpcipam.provider.azure.fake.ArmJson.error;
import static io.vpcipam.provider.azure.fake.ArmJson.idOf;
import static io.vpcipam.provider.azure.fake.ArmJson.ids;
import static io.vpcipam.provider.azure.fake.ArmJson.key;
import static io.vpcipam.provider.azure.fake.ArmJson.newEtag;
import static io.vpcipam.provider.azure.fake.ArmJson.notFound;
import static io.vpcipam.provider.azure.fake.ArmJson.props;
import static io.vpcipam.provider.azure.fake.ArmJson.str;
import static io.vpcipam.provider.azure.fake.ArmJson.unknownSubnet;

/**
 * The fake ARM's routes for Uniform scale-set instances ({@code VirtualMachineScaleSetVMs_Get/Update} and the
 * instance's read-only NICs): what {@link FakeArm} answers under {@code .../virtualMachineScaleSets/}. Called under
 * the fake's monitor; the state is the fake's.
 */
final class ScaleSetRoutes {

    private final FakeArm arm;

    ScaleSetRoutes(FakeArm arm) {
        this.arm = arm;
    }

    /**
     * {@code virtualMachineScaleSets/{vmss}/virtualMachines/{id}}: GET and PUT of the instance (compute), and GET of
     * its NICs under {@code .../networkInterfaces/{name}} (the network resource provider, read-only there: a Uniform
     * instance's NICs change only through the instance's model).
     */
    Reply route(String method, String path, String lower, String ifMatch, byte[] body) {
        if (lower.contains("/networkinterfaces/")) {
            if (!method.equals("GET")) {
                return error(405, "MethodNotAllowed", "a scale-set instance's network interface changes only through"
                        + " the instance's networkProfileConfiguration");
            }
            return arm.nics.containsKey(key(path)) ? new Reply(200, arm.nics.get(key(path))) : notFound(path);
        }
        Map<String, Object> stored = arm.scaleSetVms.get(key(path));
        return switch (method) {
            case "GET" -> stored == null ? notFound(path) : new Reply(200, stored);
            case "PUT" -> stored == null ? notFound(path) : putInstance(stored, ifMatch, body);
            default -> error(405, "MethodNotAllowed", method);
        };
    }

    /**
     * Updates a scale-set instance's model, as {@code VirtualMachineScaleSetVMs_Update} does: If-Match against the
     * instance's ETag (412), 429 while an earlier operation runs, the image reference refused when it names a gallery
     * the caller cannot read (AKS's node images: AKS#1819), the network interface configurations the same ones as
     * before, each ip-configuration list whole (an omitted one is deleted; the primary stays), Azure's limits per NIC
     * and per VM. New dynamic addresses are taken from the subnet when the write is accepted, but the NICs show the
     * new configurations only when the operation ends (the instance is updated to its model then): until then the
     * instance reads {@code Updating} and its NICs as before. A failed operation restores the model.
     */
    private Reply putInstance(Map<String, Object> stored, String ifMatch, byte[] body) {
        Reply refused = arm.refuseWrite(stored, ifMatch, "\"" + UUID.randomUUID() + "\"");
        if (refused != null) {
            return refused;
        }
        Map<String, Object> sent;
        try {
            sent = Json.map(Json.parse(body));
        } catch (RuntimeException e) {
            return error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: " + e);
        }
        Map<String, Object> sentProps = sent == null ? null : Json.map(sent.get("properties"));
        if (sentProps == null) {
            return error(400, "InvalidParameter", "properties are required");
        }
        Map<String, Object> image = Json.map(Json.map(sentProps.getOrDefault("storageProfile", Map.of()))
                .get("imageReference"));
        if (image != null && str(image.get("id")) != null
                && !str(image.get("id")).toLowerCase(Locale.ROOT).startsWith("/subscriptions/" + arm.subscription)) {
            arm.imageReferenceRefusals++;
            return error(403, "LinkedAuthorizationFailed", "The client has permission to perform action"
                    + " 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/write' on scope " + stored.get("id")
                    + ", however it does not have permission to perform action 'Microsoft.Compute/galleries/images/"
                    + "versions/read' on the linked scope(s) '" + image.get("id") + "'");
        }
        List<Object> sentNics = Json.list(Json.map(sentProps.getOrDefault("networkProfileConfiguration", Map.of()))
                .get("networkInterfaceConfigurations"));
        List<Object> storedNics = Json.list(Json.map(props(stored).get("networkProfileConfiguration"))
                .get("networkInterfaceConfigurations"));
        if (sentNics == null || sentNics.size() != storedNics.size()) {
            return error(400, "InvalidParameter", "networkProfileConfiguration.networkInterfaceConfigurations must name"
                    + " the instance's " + storedNics.size() + " network interface configurations");
        }
        String vmId = str(stored.get("id"));
        int vmTotal = 0;
        Map<String, List<Object>> nicAfter = new LinkedHashMap<>();
        Set<Ipv4Address> held = new java.util.HashSet<>();
        arm.nics.values().forEach(n -> configs(n).forEach(c ->
                held.add(Ipv4Address.parse(str(props(Json.map(c)).get("privateIPAddress"))))));
        Set<Ipv4Address> taken = new java.util.HashSet<>();
        int added = 0;
        for (Object o : sentNics) {
            Map<String, Object> nc = Json.map(o);
            String ncName = nc == null ? null : str(nc.get("name"));
            String nicId = vmId + "/networkInterfaces/" + ncName;
            Map<String, Object> nic = ncName == null ? null : arm.nics.get(key(nicId));
            if (nic == null) {
                return error(400, "InvalidParameter", "network interface configuration '" + ncName
                        + "' is not one of the instance's; a Uniform instance's NICs cannot be added or removed");
            }
            List<Object> ipcs = Json.list(props(nc).get("ipConfigurations"));
            if (ipcs == null || ipcs.isEmpty()) {
                return error(400, "NetworkInterfaceMustHaveAtLeastOneIpConfiguration", ncName + " has no ip-configuration");
            }
            if (ipcs.size() > 256) {
                return error(400, "MaxNumberOfIpConfigurationsPerNicReached",
                        "Network interface " + ncName + " has " + ipcs.size() + " ip-configurations; the maximum is 256");
            }
            vmTotal += ipcs.size();
            Map<String, Map<String, Object>> old = new LinkedHashMap<>();
            configs(nic).forEach(c -> old.put(str(Json.map(c).get("name")), Json.map(c)));
            Map<String, Map<String, Object>> oldModel = new LinkedHashMap<>();
            for (Object sc : storedNics) {
                if (ncName.equals(str(Json.map(sc).get("name")))) {
                    Json.list(props(Json.map(sc)).get("ipConfigurations"))
                            .forEach(c -> oldModel.put(str(Json.map(c).get("name")), Json.map(c)));
                }
            }
            String oldPrimary = old.values().stream().filter(c -> Boolean.TRUE.equals(props(c).get("primary")))
                    .map(c -> str(c.get("name"))).findFirst().orElse(null);
            Set<String> names = new TreeSet<>();
            int primaries = 0;
            List<Object> result = new ArrayList<>();
            for (Object ipo : ipcs) {
                Map<String, Object> c = Json.map(ipo);
                String name = c == null ? null : str(c.get("name"));
                if (name == null || name.isEmpty() || !names.add(name)) {
                    return error(400, "DuplicateResourceName", "ip-configuration name '" + name + "' is missing or repeated");
                }
                Map<String, Object> p = props(c);
                if (Boolean.TRUE.equals(p.get("primary"))) {
                    primaries++;
                }
                String subnetId = str(Json.map(p.getOrDefault("subnet", Map.of())).get("id"));
                Cidr block = arm.subnetBlock(subnetId);
                if (block == null) {
                    return unknownSubnet(subnetId, ncName + "/ipConfigurations/" + name);
                }
                Map<String, Object> before = old.get(name);
                String address;
                if (before != null) {
                    address = str(props(before).get("privateIPAddress"));
                    Map<String, Object> modelBefore = oldModel.get(name);
                    if (modelBefore != null && !sameModel(modelBefore, c)) {
                        arm.modifiedExisting.add(name);
                    }
                } else {
                    Set<Ipv4Address> busy = new java.util.HashSet<>(held);
                    busy.addAll(taken);
                    Ipv4Address a = arm.allocate(block, busy);
                    if (a == null) {
                        return error(400, "SubnetIsFull", "Subnet " + ResourceName.of(subnetId) + " with address prefix "
                                + block + " does not have enough capacity for the new IP addresses.");
                    }
                    taken.add(a);
                    address = a.toString();
                    added++;
                }
                Map<String, Object> nicConfig = arm.ipConfig(nicId, name, Boolean.TRUE.equals(p.get("primary")), address,
                        "Dynamic", subnetId);
                for (String keep : List.of("applicationSecurityGroups", "loadBalancerBackendAddressPools",
                        "loadBalancerInboundNatPools", "applicationGatewayBackendAddressPools")) {
                    if (p.get(keep) != null) {
                        props(nicConfig).put(keep, p.get(keep));
                    }
                }
                result.add(nicConfig);
            }
            if (oldPrimary != null && !names.contains(oldPrimary)) {
                return error(400, "IpConfigDeleteNotSupported", "Deletion and renaming of primary IP Configuration is not supported");
            }
            if (primaries != 1) {
                return error(400, "NetworkInterfaceMustHaveOnePrimaryIpConfiguration", "exactly one primary ip-configuration, got " + primaries);
            }
            nicAfter.put(key(nicId), result);
        }
        if (vmTotal > FakeArm.ADDRESSES_PER_VM) {
            arm.vmLimitRefusals++;
            return error(400, "PrivateIPAddressesPerVmLimitReached", "The virtual machine " + vmId + " would have "
                    + vmTotal + " private IP addresses; the maximum is " + FakeArm.ADDRESSES_PER_VM);
        }
        Map<String, Object> rollback = Json.copy(stored);
        Map<String, Object> npc = Json.map(props(stored).get("networkProfileConfiguration"));
        npc.put("networkInterfaceConfigurations", sentNics);
        if (sent.get("tags") != null) {
            stored.put("tags", sent.get("tags"));
        }
        props(stored).put("provisioningState", "Updating");
        props(stored).put("latestModelApplied", false);
        stored.put("etag", "\"" + UUID.randomUUID() + "\"");
        arm.reserved.addAll(taken);
        arm.instancePuts++;
        arm.addedPerPut.add(added);
        Set<Ipv4Address> mine = Set.copyOf(taken);
        String vmKey = key(vmId);
        Runnable done = () -> {
            arm.reserved.removeAll(mine);
            nicAfter.forEach((k, configs) -> {
                Map<String, Object> nic = arm.nics.get(k);
                props(nic).put("ipConfigurations", configs);
                nic.put("etag", newEtag());
            });
            Map<String, Object> vm = arm.scaleSetVms.get(vmKey);
            props(vm).put("provisioningState", "Succeeded");
            props(vm).put("latestModelApplied", true);
        };
        Runnable undo = () -> {
            arm.reserved.removeAll(mine);
            props(rollback).put("provisioningState", "Succeeded");
            rollback.put("etag", "\"" + UUID.randomUUID() + "\"");
            arm.scaleSetVms.put(vmKey, rollback);
        };
        arm.putAccepted();
        String op = UUID.randomUUID().toString();
        arm.operations.put(op, new FakeArm.Operation(null, null, false, System.nanoTime() + arm.operationNanos, arm.takeFailCode(),
                new String[1], done, undo));
        return new Reply(200, stored)
                .header("Azure-AsyncOperation", arm.endpoint() + "subscriptions/" + arm.subscription
                        + "/providers/Microsoft.Compute/locations/" + arm.location + "/arm.operations/" + op
                        + "?api-version=" + FakeArm.COMPUTE_API)
                .header("Retry-After", String.valueOf(arm.asyncRetryAfterSeconds));
    }

    /** Whether a sent-back model ip-configuration equals the stored one in every field a client can set. */
    private static boolean sameModel(Map<String, Object> stored, Map<String, Object> sent) {
        Map<String, Object> a = props(stored);
        Map<String, Object> b = props(sent);
        if (!idOf(a.get("subnet")).equalsIgnoreCase(idOf(b.get("subnet")))
                || !Objects.equals(a.get("primary"), b.get("primary"))) {
            return false;
        }
        for (String list : List.of("applicationSecurityGroups", "loadBalancerBackendAddressPools",
                "loadBalancerInboundNatPools", "applicationGatewayBackendAddressPools")) {
            if (!ids(a.get(list)).equals(ids(b.get(list)))) {
                return false;
            }
        }
        return true;
    }
}
