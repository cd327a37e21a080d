package io.vpcipam.provider.azure;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The narrow seam over Azure Resource Manager: the few reads and writes the provider makes, in its own records, so
 * the provider's logic (batching, ETag loops, error mapping) is written once and tested against any implementation.
 * Every method throws {@link ArmException} for anything ARM answers with an error, and nothing else.
 */
interface Arm {

    /** The VM's NIC ids in the VM model's order, and which one is primary. */
    Vm getVm(String vmResourceId) throws ArmException;

    /** One NIC with its ETag and ip-configurations. */
    Nic getNic(String nicId) throws ArmException;

    /**
     * One whole-NIC PUT with {@code If-Match: nic.etag()}: every ip-configuration of {@code nic} goes back unchanged
     * except those named in {@code remove}, and {@code add} are appended. Does not wait for the long-running
     * operation: returns the NIC as the PUT's own response reports it (with the addresses ARM allocated) and the
     * operation's status URL. A stale ETag fails with status 412.
     */
    Write updateIpConfigurations(Nic nic, List<NewIpConfig> add, Set<String> remove) throws ArmException;

    /** Starts deleting a NIC; returns the operation's status URL (null when ARM finished at once). */
    String deleteNic(String nicId) throws ArmException;

    /** One read of a long-running operation's status URL. */
    Operation operation(String statusUrl) throws ArmException;

    /** All NICs in a resource group (the orphan search). */
    List<Nic> listNics(String resourceGroup) throws ArmException;

    /** A virtual network's address space and its subnets' prefixes. */
    Vnet getVnet(String vnetId) throws ArmException;

    /**
     * A write ARM accepted: the resource as the write's response showed it, and the operation's status URL (null
     * when the response said the write was already done).
     */
    record Write(Nic accepted, String operation) {
    }

    /** A long-running operation's status: InProgress, Succeeded, Failed or Canceled, and ARM's error if it failed. */
    record Operation(String status, String code, String message) {
        /** Whether it has ended, well or not. */
        boolean ended() {
            return !"InProgress".equalsIgnoreCase(status) && !"Accepted".equalsIgnoreCase(status)
                    && !"Running".equalsIgnoreCase(status);
        }

        /** Whether it failed or was cancelled. */
        boolean failed() {
            return "Failed".equalsIgnoreCase(status) || "Canceled".equalsIgnoreCase(status);
        }
    }

    /** A VM's network profile: NIC resource ids in order, and the primary's id. */
    record Vm(List<String> nicIds, String primaryNicId) {
        public Vm {
            nicIds = List.copyOf(nicIds);
        }
    }

    /**
     * A NIC as read. {@code handle} is the implementation's own full representation, carried so that an update can
     * send every field it did not mean to change back exactly as read. {@code provisioningState} is ARM's
     * ({@code Succeeded}, {@code Updating}, {@code Failed}, ...; empty when absent). {@code privateAddresses} counts
     * every ip-configuration, IPv6 ones included (they are not in {@code ipConfigurations}, but Azure's per-NIC and
     * per-VM limits count them).
     */
    record Nic(String id, String etag, String mac, String vmId, Map<String, String> tags,
               List<IpConfig> ipConfigurations, Object handle, String provisioningState, int privateAddresses) {
        public Nic {
            tags = tags == null ? Map.of() : Map.copyOf(tags);
            ipConfigurations = List.copyOf(ipConfigurations);
            provisioningState = provisioningState == null ? "" : provisioningState;
        }

        /** Whether an operation is still running on it: ARM refuses another write until it ends. */
        boolean busy() {
            return !provisioningState.isEmpty() && !"Succeeded".equalsIgnoreCase(provisioningState)
                    && !"Failed".equalsIgnoreCase(provisioningState) && !"Canceled".equalsIgnoreCase(provisioningState);
        }

        /** Whether its last operation succeeded. */
        boolean succeeded() {
            return provisioningState.isEmpty() || "Succeeded".equalsIgnoreCase(provisioningState);
        }

        /** The primary ip-configuration, or null when ARM reported none. */
        IpConfig primary() {
            return ipConfigurations.stream().filter(IpConfig::primary).findFirst()
                    .orElse(ipConfigurations.isEmpty() ? null : ipConfigurations.getFirst());
        }

        /** Names of all ip-configurations. */
        Set<String> names() {
            return ipConfigurations.stream().map(IpConfig::name).collect(java.util.stream.Collectors.toSet());
        }
    }

    /**
     * One ip-configuration: {@code address} is null while ARM has not yet allocated it; {@code linked} says it
     * carries a public IP or sits in a load-balancer pool, an inbound NAT rule or an application-gateway pool.
     */
    record IpConfig(String name, boolean primary, String address, String subnetId, List<String> asgIds,
                    boolean linked) {
        public IpConfig {
            asgIds = asgIds == null ? List.of() : List.copyOf(asgIds);
        }
    }

    /** A secondary ip-configuration to add: dynamic IPv4 address in {@code subnetId}, with these ASGs. */
    record NewIpConfig(String name, String subnetId, Collection<String> asgIds) {
        public NewIpConfig {
            asgIds = List.copyOf(asgIds);
        }
    }

    /** A virtual network: its address space, and subnet id (lower case) to prefix. */
    record Vnet(String id, List<String> addressPrefixes, Map<String, String> subnetPrefixes) {
        public Vnet {
            addressPrefixes = List.copyOf(addressPrefixes);
            subnetPrefixes = Map.copyOf(subnetPrefixes);
        }
    }
}
