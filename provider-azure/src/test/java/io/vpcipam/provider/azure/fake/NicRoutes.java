package io.vpcipam.provider.azure.fake;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
import static io.vpcipam.provider.azure.fake.ArmJson.props;
import static io.vpcipam.provider.azure.fake.ArmJson.str;
import static io.vpcipam.provider.azure.fake.ArmJson.tagsOf;
import static io.vpcipam.provider.azure.fake.ArmJson.unknownSubnet;

/**
 * The fake ARM's routes for NICs (not a scale-set instance's): the whole-NIC PUT with its ETag, busy and limit
 * checks and address allocation, and the DELETE; each starts a long-running operation {@link FakeArm} runs. Called
 * under the fake's monitor; the state is the fake's.
 */
final class NicRoutes {

    private final FakeArm arm;

    NicRoutes(FakeArm arm) {
        this.arm = arm;
    }

    /** A NIC PUT: the whole ip-configuration array replaced, all or nothing. */
    Reply put(String path, String ifMatch, byte[] body) {
        Map<String, Object> stored = arm.nics.get(key(path));
        if (stored != null) {
            Reply refused = arm.refuseWrite(stored, ifMatch, newEtag());
            if (refused != null) {
                return refused;
            }
        } else if (ifMatch != null && !ifMatch.equals("*")) {
            return error(412, "PreconditionFailed", "If-Match on a resource that does not exist");
        }
        Map<String, Object> sent;
        try {
            sent = Json.map(Json.parse(body));
        } catch (RuntimeException e) {
            return error(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized: " + e);
        }
        Map<String, Object> sentProps = sent == null ? null : Json.map(sent.get("properties"));
        List<Object> sentConfigs = sentProps == null ? null : Json.list(sentProps.get("ipConfigurations"));
        if (sentConfigs == null || sentConfigs.isEmpty()) {
            return error(400, "NetworkInterfaceMustHaveAtLeastOneIpConfiguration", "At least one ip-configuration is required");
        }
        if (sentConfigs.size() > 256) {
            return error(400, "MaxNumberOfIpConfigurationsPerNicReached",
                    "Network interface has " + sentConfigs.size() + " ip-configurations; the maximum is 256");
        }
        String nicId = stored == null ? path : (String) stored.get("id");
        String owner = stored == null ? null : idOf(props(stored).get("virtualMachine"));
        if (owner != null && !owner.isEmpty()) {
            int elsewhere = 0;
            for (Map.Entry<String, Map<String, Object>> e : arm.nics.entrySet()) {
                if (!e.getKey().equals(key(path)) && owner.equalsIgnoreCase(idOf(props(e.getValue()).get("virtualMachine")))) {
                    elsewhere += configs(e.getValue()).size();
                }
            }
            if (elsewhere + sentConfigs.size() > FakeArm.ADDRESSES_PER_VM) {
                arm.vmLimitRefusals++;
                return error(400, "PrivateIPAddressesPerVmLimitReached", "The virtual machine " + owner + " would have "
                        + (elsewhere + sentConfigs.size()) + " private IP addresses; the maximum is " + FakeArm.ADDRESSES_PER_VM);
            }
        }
        Map<String, Map<String, Object>> old = new LinkedHashMap<>();
        if (stored != null) {
            for (Object c : configs(stored)) {
                old.put(str(Json.map(c).get("name")), Json.map(c));
            }
        }
        String oldPrimary = old.values().stream().filter(c -> Boolean.TRUE.equals(props(c).get("primary")))
                .map(c -> str(c.get("name"))).findFirst().orElse(null);
        Set<String> names = new TreeSet<>();
        int primaries = 0;
        for (Object o : sentConfigs) {
            Map<String, Object> c = Json.map(o);
            String name = c == null ? null : str(c.get("name"));
            if (name == null || name.isEmpty() || !names.add(name)) {
                return error(400, "DuplicateResourceName", "ip-configuration name '" + name + "' is missing or repeated");
            }
            if (Boolean.TRUE.equals(props(c).get("primary"))) {
                primaries++;
            }
        }
        if (oldPrimary != null && !names.contains(oldPrimary)) {
            return error(400, "IpConfigDeleteNotSupported", "Deletion and renaming of primary IP Configuration is not supported");
        }
        if (primaries != 1) {
            return error(400, "NetworkInterfaceMustHaveOnePrimaryIpConfiguration", "exactly one primary ip-configuration, got " + primaries);
        }
        // allocate: addresses kept by surviving configs stay held; every other NIC's stay held too
        Set<Ipv4Address> held = new java.util.HashSet<>();
        arm.nics.forEach((k, n) -> {
            if (!k.equals(key(path))) {
                configs(n).forEach(c -> held.add(Ipv4Address.parse(str(props(Json.map(c)).get("privateIPAddress")))));
            }
        });
        for (Object o : sentConfigs) {
            Map<String, Object> before = old.get(str(Json.map(o).get("name")));
            if (before != null) {
                held.add(Ipv4Address.parse(str(props(before).get("privateIPAddress"))));
            }
        }
        List<Object> result = new ArrayList<>();
        int added = 0;
        for (Object o : sentConfigs) {
            Map<String, Object> c = Json.map(o);
            String name = str(c.get("name"));
            Map<String, Object> p = props(c);
            String subnetId = str(Json.map(p.getOrDefault("subnet", Map.of())).get("id"));
            Cidr block = arm.subnetBlock(subnetId);
            if (block == null) {
                return unknownSubnet(subnetId, nicId + "/ipConfigurations/" + name);
            }
            Map<String, Object> before = old.get(name);
            String address;
            if (before != null) {
                address = str(props(before).get("privateIPAddress"));
                if (!same(before, c)) {
                    arm.modifiedExisting.add(name);
                }
                if (name.equals(oldPrimary) && !Boolean.TRUE.equals(p.get("primary"))) {
                    return error(400, "IpConfigDeleteNotSupported", "the primary ip-configuration cannot be demoted");
                }
            } else if ("Static".equalsIgnoreCase(str(p.get("privateIPAllocationMethod")))) {
                address = str(p.get("privateIPAddress"));
                Ipv4Address a = Ipv4Address.parse(address);
                if (!block.contains(a)) {
                    return error(400, "PrivateIPAddressNotInSubnet", address + " is not in " + subnetId);
                }
                if (held.contains(a)) {
                    return error(400, "PrivateIPAddressInUse", "IP configuration " + name + " is using the private IP address "
                            + address + " which is already allocated to another resource.");
                }
                added++;
            } else {
                Ipv4Address a = arm.allocate(block, held);
                if (a == null) {
                    return error(400, "SubnetIsFull", "Subnet " + ResourceName.of(subnetId) + " with address prefix "
                            + block + " does not have enough capacity for " + (sentConfigs.size() - result.size())
                            + " IP addresses.");
                }
                address = a.toString();
                added++;
            }
            held.add(Ipv4Address.parse(address));
            Map<String, Object> stored1 = arm.ipConfig(nicId, name, Boolean.TRUE.equals(p.get("primary")), address,
                    before != null ? str(props(before).getOrDefault("privateIPAllocationMethod", "Dynamic"))
                            : str(p.getOrDefault("privateIPAllocationMethod", "Dynamic")), subnetId);
            for (String keep : List.of("applicationSecurityGroups", "loadBalancerBackendAddressPools",
                    "loadBalancerInboundNatRules", "applicationGatewayBackendAddressPools", "publicIPAddress")) {
                if (p.get(keep) != null) {
                    props(stored1).put(keep, p.get(keep));
                }
            }
            result.add(stored1);
        }
        Map<String, Object> rollback = stored == null ? null : Json.copy(stored);
        Map<String, Object> nic = stored != null ? stored : arm.newNicShell(path, null, tagsOf(sent));
        if (sent.get("tags") != null) {
            nic.put("tags", sent.get("tags"));
        }
        props(nic).put("ipConfigurations", result);
        props(nic).put("provisioningState", "Updating");
        nic.put("etag", newEtag());
        arm.nics.put(key(nicId), nic);
        arm.nicPuts++;
        arm.addedPerPut.add(added);
        for (Object o : sentConfigs) {
            arm.sentConfigs.computeIfAbsent(str(Json.map(o).get("name")), k -> new ArrayList<>())
                    .add(new String(Json.write(o), java.nio.charset.StandardCharsets.UTF_8));
        }
        arm.putAccepted();
        String op = UUID.randomUUID().toString();
        arm.operations.put(op, new FakeArm.Operation(key(nicId), rollback, false, System.nanoTime() + arm.operationNanos,
                arm.takeFailCode(), new String[1]));
        return new Reply(stored == null ? 201 : 200, nic)
                .header("Azure-AsyncOperation", arm.operationUrl(op))
                .header("Retry-After", String.valueOf(arm.asyncRetryAfterSeconds));
    }

    /** A NIC DELETE: refused while the NIC is attached; else an operation that removes it. */
    Reply delete(String path, String ifMatch) {
        Map<String, Object> stored = arm.nics.get(key(path));
        if (stored == null) {
            return new Reply(204, null);
        }
        if (ifMatch != null && !ifMatch.equals("*") && !ifMatch.equals(stored.get("etag"))) {
            return error(412, "PreconditionFailed", "ETag mismatch");
        }
        Map<String, Object> vm = Json.map(props(stored).get("virtualMachine"));
        if (vm != null) {
            return error(400, "NicInUse", "Network Interface " + path + " is used by existing resource " + vm.get("id")
                    + ". In order to delete the network interface, it must be dissociated from the resource.");
        }
        props(stored).put("provisioningState", "Deleting");
        String op = UUID.randomUUID().toString();
        arm.operations.put(op, new FakeArm.Operation(key(path), Json.copy(stored), true, System.nanoTime() + arm.operationNanos,
                arm.takeFailCode(), new String[1]));
        return new Reply(202, null).header("Azure-AsyncOperation", arm.operationUrl(op))
                .header("Location", arm.operationUrl(op)).header("Retry-After", String.valueOf(arm.asyncRetryAfterSeconds));
    }

    /** Whether a sent-back configuration equals the stored one in every field a client can set. */
    private static boolean same(Map<String, Object> stored, Map<String, Object> sent) {
        Map<String, Object> a = props(stored);
        Map<String, Object> b = props(sent);
        if (b.get("privateIPAddress") != null && !Objects.equals(a.get("privateIPAddress"), b.get("privateIPAddress"))) {
            return false;
        }
        if (!str(a.get("privateIPAllocationMethod")).equalsIgnoreCase(str(b.getOrDefault("privateIPAllocationMethod", a.get("privateIPAllocationMethod"))))) {
            return false;
        }
        if (!idOf(a.get("subnet")).equalsIgnoreCase(idOf(b.get("subnet")))) {
            return false;
        }
        for (String list : List.of("applicationSecurityGroups", "loadBalancerBackendAddressPools",
                "loadBalancerInboundNatRules", "applicationGatewayBackendAddressPools")) {
            if (!ids(a.get(list)).equals(ids(b.get(list)))) {
                return false;
            }
        }
        return idOf(a.get("publicIPAddress")).equalsIgnoreCase(idOf(b.get("publicIPAddress")));
    }
}
