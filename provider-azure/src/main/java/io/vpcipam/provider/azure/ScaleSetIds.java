package io.vpcipam.provider.azure;

/**
 * Resource ids of a Uniform scale set's instances and their NICs:
 * {@code /subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/set/virtualMachines/3}
 * and that id {@code + /networkInterfaces/name}. A Flexible scale set's instances are ordinary
 * {@code virtualMachines/name} and never match here.
 */
final class ScaleSetIds {

    private ScaleSetIds() {
    }

    /** One instance: its resource group, scale set, instance index and its own resource id. */
    record Instance(String resourceGroup, String scaleSet, String index, String instanceId) {
    }

    /** Whether {@code id} names a Uniform scale-set instance (not one of its NICs). */
    static boolean isInstance(String id) {
        return id != null && parse(id, false) != null;
    }

    /** Whether {@code id} names a NIC of a Uniform scale-set instance. */
    static boolean isInstanceNic(String id) {
        return id != null && parse(id, true) != null;
    }

    /** The instance a scale-set NIC belongs to; IllegalArgumentException for any other id. */
    static Instance ofNic(String nicId) {
        Instance i = parse(nicId, true);
        if (i == null) {
            throw new IllegalArgumentException("'" + nicId + "' is not a scale-set instance's network interface");
        }
        return i;
    }

    /** The instance an instance id names; IllegalArgumentException for any other id. */
    static Instance of(String instanceId) {
        Instance i = parse(instanceId, false);
        if (i == null) {
            throw new IllegalArgumentException("'" + instanceId + "' is not a scale-set instance");
        }
        return i;
    }

    private static Instance parse(String id, boolean nic) {
        String[] p = (id.startsWith("/") ? id.substring(1) : id).split("/");
        // subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/set/virtualMachines/i
        int length = nic ? 12 : 10;
        if (p.length != length || !p[0].equalsIgnoreCase("subscriptions") || !p[2].equalsIgnoreCase("resourceGroups")
                || !p[4].equalsIgnoreCase("providers") || !p[5].equalsIgnoreCase("Microsoft.Compute")
                || !p[6].equalsIgnoreCase("virtualMachineScaleSets") || !p[8].equalsIgnoreCase("virtualMachines")
                || (nic && !p[10].equalsIgnoreCase("networkInterfaces"))) {
            return null;
        }
        for (String part : p) {
            if (part.isEmpty()) {
                return null;
            }
        }
        String instance = "/" + String.join("/", java.util.Arrays.copyOfRange(p, 0, 10));
        return new Instance(p[3], p[7], p[9], instance);
    }
}
