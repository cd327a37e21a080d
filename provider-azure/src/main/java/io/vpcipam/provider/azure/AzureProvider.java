package io.vpcipam.provider.azure;

import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.Capabilities;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.InterfaceSpec;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.Limits;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.Subnet;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Azure: pod addresses are secondary ip-configurations on the VM's NICs, added and removed many at a time, each
 * batch one whole-NIC PUT. Azure cannot attach a NIC to a running VM and has no prefixes, and
 * {@link #capabilities()} says so.
 *
 * <p>Writes are read-modify-write on the whole {@code ipConfigurations} array, so they are serialised per NIC in
 * this process and guarded by the NIC's ETag against every other writer; on a 412 the NIC is read again and the
 * change re-applied ({@link NicWrites} owns that discipline and the long-running operations; this class says what
 * each verb changes, and reads the node). The change is phrased so that re-applying it is harmless: an assign names its new
 * configurations before the first try and, on a retry, adds only the names still missing; an unassign removes
 * whatever of our configurations still carry the addresses.
 *
 * <p>Only our own ip-configurations are the pool: those whose name starts with {@link #CONFIG_PREFIX} and that
 * carry no public IP and sit in no load-balancer, NAT-rule or application-gateway pool (see {@link #ours}). Every
 * other secondary configuration on the NIC belongs to someone else: describeNode does not report its address,
 * unassign ignores it, and each PUT sends it back exactly as read.
 */
final class AzureProvider implements CloudProvider {

    /** ip-configurations per NIC, the primary included (Azure's published limit). */
    static final int ADDRESSES_PER_NIC = 256;
    /** Private addresses per VM, all its NICs' ip-configurations together (Azure's published limit). */
    static final int ADDRESSES_PER_VM = 256;
    /** Prefix of the names of the ip-configurations this provider creates. */
    static final String CONFIG_PREFIX = "ipamd-";
    private static final Duration VNET_CACHE = Duration.ofMinutes(10);

    private final Arm arm;
    private final Guard guard;
    private final Imds.Instance instance;
    private final InstantSource clock;
    private final NicWrites writes;
    private final Map<String, CachedVnet> vnets = new ConcurrentHashMap<>();
    private volatile Arm.Vm vm;

    private record CachedVnet(Arm.Vnet vnet, Instant readAt) {
    }

    /**
     * @param pollInterval     how often a write's NIC is read while its operation runs
     * @param operationTimeout how long a write's operation may run before its outcome is left to the next describe
     */
    AzureProvider(Arm arm, Guard guard, Imds.Instance instance, InstantSource clock, Duration pollInterval,
                  Duration operationTimeout) {
        this.arm = arm;
        this.guard = guard;
        this.instance = instance;
        this.clock = clock;
        this.writes = new NicWrites(arm, guard, clock, pollInterval, operationTimeout);
    }

    @Override
    public String name() {
        return "azure";
    }

    @Override
    public Capabilities capabilities() {
        return new Capabilities(false, false, 0, ADDRESSES_PER_NIC - 1);
    }

    @Override
    public NodeInfo describeNode() throws CloudException {
        Arm.Vm vmNow = vm();
        List<NetworkInterface> interfaces = new ArrayList<>();
        Map<String, Subnet> subnets = new LinkedHashMap<>();
        Set<Cidr> vpcCidrs = new LinkedHashSet<>();
        int index = 1;
        int notPool = 0; // private addresses on the VM that are not the pool's: they count against the VM's 256 too
        for (String nicId : primaryFirst(vmNow)) {
            Arm.Nic nic = guard.call("GetNetworkInterface", () -> arm.getNic(nicId));
            boolean primary = ResourceIds.same(nicId, vmNow.primaryNicId());
            NetworkInterface ni = toInterface(nic, primary ? 0 : index++);
            interfaces.add(ni);
            notPool += nic.privateAddresses() - (ni.usable() ? ni.secondaryAddresses().size() : 0);
            for (Arm.IpConfig c : nic.ipConfigurations()) {
                if (c.subnetId() != null && !subnets.containsKey(ResourceIds.key(c.subnetId()))) {
                    Arm.Vnet vnet = vnet(ResourceIds.parent(c.subnetId()));
                    String prefix = vnet.subnetPrefixes().get(ResourceIds.key(c.subnetId()));
                    if (prefix == null) {
                        throw new CloudException.NotFound("SubnetNotFound", "subnet " + c.subnetId()
                                + " is not among the subnets of " + vnet.id());
                    }
                    subnets.put(ResourceIds.key(c.subnetId()), new Subnet(c.subnetId(), Cidr.parse(prefix), zone(), null));
                    vnet.addressPrefixes().forEach(p -> vpcCidrs.add(Cidr.parse(p)));
                }
            }
        }
        // the pool's share of the VM's 256: a two-NIC VM holds 254 pool addresses, not 2 x 255 (issue 14.2)
        return new NodeInfo(instance.name(), instance.vmSize(), zone(),
                new Limits(interfaces.size(), ADDRESSES_PER_NIC, Math.max(0, ADDRESSES_PER_VM - notPool)),
                interfaces, List.copyOf(subnets.values()),
                List.copyOf(vpcCidrs));
    }

    @Override
    public NetworkInterface createInterface(InterfaceSpec spec) throws CloudException {
        // The SPI never calls this when capabilities() says no hot-attach; if it does, ARM would refuse anyway
        throw new CloudException.Fatal("HotAttachNotSupported",
                "Azure attaches NICs to a VM only while it is deallocated; ipamd uses the VM's existing NICs", null);
    }

    @Override
    public void deleteInterface(String interfaceId) throws CloudException {
        Arm.Vm vmNow = vm();
        if (ResourceIds.same(interfaceId, vmNow.primaryNicId())) {
            throw new CloudException.Conflict("PrimaryNicCannotBeDeleted",
                    "refusing to delete " + interfaceId + ", the VM's primary NIC");
        }
        Arm.Nic nic = guard.call("GetNetworkInterface", () -> arm.getNic(interfaceId));
        NicWrites.refuseExcluded(nic, "delete");
        if (nic.vmId() != null) {
            throw new CloudException.Conflict("NicInUse", interfaceId + " is attached to " + nic.vmId()
                    + "; Azure detaches NICs only from a deallocated VM");
        }
        String operation = guard.call("DeleteNetworkInterface", () -> arm.deleteNic(interfaceId));
        writes.awaitDeleted(interfaceId, operation);
    }

    @Override
    public Assignment assign(String interfaceId, int addresses, int prefixes) throws CloudException {
        if (addresses < 0 || prefixes < 0) {
            throw new IllegalArgumentException("addresses and prefixes must be >= 0, got " + addresses + ", " + prefixes);
        }
        if (prefixes > 0) {
            throw new IllegalArgumentException("Azure has no prefix delegation; capabilities() says so");
        }
        if (addresses == 0) {
            return new Assignment(List.of(), List.of());
        }
        List<String> names = freshNames(addresses);
        Arm.Nic after = writes.withNic(interfaceId, nic -> {
            Set<String> have = nic.names();
            List<String> missing = names.stream().filter(n -> !have.contains(n)).toList();
            boolean earlierTryHeld = missing.size() < names.size();
            if (missing.isEmpty()) {
                return null; // an earlier try went through before its answer was lost
            }
            // ask only for what fits: the NIC's 256 and the VM's 256 count every configuration, foreign ones too
            int nicRoom = ADDRESSES_PER_NIC - nic.privateAddresses();
            int vmRoom = ADDRESSES_PER_VM - nic.privateAddresses() - addressesOnOtherNics(interfaceId);
            int fits = Math.max(0, Math.min(nicRoom, vmRoom));
            if (fits == 0) {
                if (earlierTryHeld) {
                    return null;
                }
                boolean vmFull = vmRoom < nicRoom; // on a one-NIC VM both limits are the NIC's
                throw guard.refused("UpdateNetworkInterface", new CloudException.CapacityExhausted(vmFull ? "PrivateIPAddressesPerVmLimitReached"
                        : "MaxNumberOfIpConfigurationsPerNicReached", vmFull
                        ? instance.name() + " holds " + (ADDRESSES_PER_VM - vmRoom) + " private addresses on its NICs,"
                                + " Azure's limit per VM"
                        : interfaceId + " holds " + nic.privateAddresses() + " ip-configurations, Azure's limit per NIC",
                        vmFull ? CloudException.CapacityExhausted.Scope.INSTANCE_ADDRESSES
                                : CloudException.CapacityExhausted.Scope.INTERFACE_ADDRESSES));
            }
            List<String> batch = missing.subList(0, Math.min(missing.size(), fits));
            Arm.IpConfig primary = nic.primary();
            if (primary == null || primary.subnetId() == null) {
                throw new CloudException.Fatal("NoPrimaryIpConfiguration", interfaceId + " has no primary ip-configuration", null);
            }
            List<Arm.NewIpConfig> add = batch.stream()
                    .map(n -> new Arm.NewIpConfig(n, primary.subnetId(), primary.asgIds())).toList();
            return new NicWrites.Change(add, Set.of());
        });
        List<String> held = after.ipConfigurations().stream().map(Arm.IpConfig::name).filter(names::contains).toList();
        List<Ipv4Address> added = addressesOf(after, held);
        if (added.size() < held.size()) {
            // ARM fills privateIPAddress in by the time the operation succeeds; read once more if it lagged
            added = addressesOf(guard.call("GetNetworkInterface", () -> arm.getNic(interfaceId)), held);
        }
        if (added.size() < held.size()) {
            throw new CloudException.Fatal("AddressNotAllocated", interfaceId + ": " + (held.size() - added.size())
                    + " new ip-configurations have no address after the operation succeeded", null, true);
        }
        return new Assignment(added, List.of());
    }

    @Override
    public void unassign(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes)
            throws CloudException {
        if (addresses.isEmpty()) {
            // still read the NIC: an unknown interface is NotFound whatever is asked of it
            NicWrites.refuseExcluded(guard.call("GetNetworkInterface", () -> arm.getNic(interfaceId)), "change");
            return;
        }
        Set<Ipv4Address> gone = Set.copyOf(addresses);
        writes.withNic(interfaceId, nic -> {
            Set<String> remove = new HashSet<>();
            for (Arm.IpConfig c : nic.ipConfigurations()) {
                // a foreign configuration's address was never ours to hand out, so never ours to remove
                if (ours(c) && c.address() != null && gone.contains(parse(c.address()))) {
                    remove.add(c.name());
                }
            }
            return remove.isEmpty() ? null : new NicWrites.Change(List.of(), remove);
        });
    }

    @Override
    public List<NetworkInterface> findOrphanedInterfaces(Map<String, String> ownerTags) throws CloudException {
        List<Arm.Nic> all = guard.call("ListNetworkInterfaces", () -> arm.listNics(instance.resourceGroup()));
        List<NetworkInterface> out = new ArrayList<>();
        for (Arm.Nic nic : all) {
            if (nic.vmId() == null && nic.tags().entrySet().containsAll(ownerTags.entrySet()) && nic.primary() != null
                    && nic.primary().address() != null && nic.primary().subnetId() != null) {
                out.add(toInterface(nic, NetworkInterface.DETACHED));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- internals

    /** Private addresses on the VM's other NICs (each read now: another writer may have changed them). */
    private int addressesOnOtherNics(String nicId) throws CloudException {
        int n = 0;
        for (String other : vm().nicIds()) {
            if (!ResourceIds.same(other, nicId)) {
                n += guard.call("GetNetworkInterface", () -> arm.getNic(other)).privateAddresses();
            }
        }
        return n;
    }

    private Arm.Vm vm() throws CloudException {
        Arm.Vm v = vm;
        if (v == null) {
            v = guard.call("GetVirtualMachine", () -> arm.getVm(instance.resourceId()));
            vm = v; // a running VM's NICs cannot change: attach and detach need it deallocated
        }
        return v;
    }

    private static List<String> primaryFirst(Arm.Vm vm) {
        List<String> ids = new ArrayList<>();
        ids.add(vm.primaryNicId());
        vm.nicIds().stream().filter(id -> !ResourceIds.same(id, vm.primaryNicId())).forEach(ids::add);
        return ids;
    }

    private Arm.Vnet vnet(String vnetId) throws CloudException {
        String key = ResourceIds.key(vnetId);
        CachedVnet cached = vnets.get(key);
        Instant now = clock.instant();
        if (cached == null || cached.readAt().plus(VNET_CACHE).isBefore(now)) {
            Arm.Vnet v = guard.call("GetVirtualNetwork", () -> arm.getVnet(vnetId));
            cached = new CachedVnet(v, now);
            vnets.put(key, cached);
        }
        return cached.vnet();
    }

    private String zone() {
        return instance.zone().isEmpty() ? instance.location() : instance.location() + "-" + instance.zone();
    }

    /**
     * Whether an ip-configuration is one of the pool's: created by this provider (named {@link #CONFIG_PREFIX}...)
     * and carrying nothing a user attaches to a configuration of their own. A configuration with a public IP or a
     * load-balancer, NAT-rule or application-gateway reference is never handed to a pod, whatever its name: taking
     * it away from the pool is harmless, handing a user's front end to a pod (and removing it later) is not.
     */
    static boolean ours(Arm.IpConfig c) {
        return !c.primary() && !c.linked() && c.name() != null && c.name().startsWith(CONFIG_PREFIX);
    }

    private static NetworkInterface toInterface(Arm.Nic nic, int deviceIndex) throws CloudException {
        Arm.IpConfig primary = nic.primary();
        if (primary == null || primary.address() == null || primary.subnetId() == null) {
            throw new CloudException.Fatal("NoPrimaryIpConfiguration", nic.id() + " has no primary IPv4 address", null);
        }
        List<Ipv4Address> secondaries = new ArrayList<>();
        for (Arm.IpConfig c : nic.ipConfigurations()) {
            if (c != primary && ours(c) && c.address() != null) {
                secondaries.add(parse(c.address()));
            }
        }
        String mac = nic.mac() == null ? "" : nic.mac().replace('-', ':');
        return new NetworkInterface(nic.id(), mac, deviceIndex, primary.subnetId(), parse(primary.address()),
                secondaries, List.of(), nic.tags());
    }

    private static List<Ipv4Address> addressesOf(Arm.Nic nic, List<String> names) throws CloudException {
        Map<String, Arm.IpConfig> byName = new LinkedHashMap<>();
        nic.ipConfigurations().forEach(c -> byName.put(c.name(), c));
        List<Ipv4Address> out = new ArrayList<>();
        for (String n : names) {
            Arm.IpConfig c = byName.get(n);
            if (c != null && c.address() != null) {
                out.add(parse(c.address()));
            }
        }
        return out;
    }

    private static Ipv4Address parse(String address) throws CloudException {
        try {
            return Ipv4Address.parse(address);
        } catch (IllegalArgumentException e) {
            throw new CloudException.Fatal("MalformedResponse", "ARM returned " + e.getMessage(), e);
        }
    }

    /** Names unique enough that two ipamd runs never pick the same (64 random bits each). */
    private static List<String> freshNames(int n) {
        List<String> names = new ArrayList<>(n);
        byte[] bytes = new byte[8];
        for (int i = 0; i < n; i++) {
            ThreadLocalRandom.current().nextBytes(bytes);
            names.add(CONFIG_PREFIX + HexFormat.of().formatHex(bytes));
        }
        return names;
    }
}
