package io.vpcipam.provider.azure.fake;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import io.vpcipam.provider.azure.fake.ArmJson.Reply;
import io.vpcipam.provider.azure.fake.ArmJson.ResourceName;

import static io.vpcipam.provider.azure.fake.ArmJson.configs;
import static io.vpcipam.provider.azure.fake.ArmJson.error;
import static io.vpcipam.provider.azure.fake.ArmJson.key;
import static io.vpcipam.provider.azure.fake.ArmJson.newEtag;
import static io.vpcipam.provider.azure.fake.ArmJson.notFound;
import static io.vpcipam.provider.azure.fake.ArmJson.obj;
import static io.vpcipam.provider.azure.fake.ArmJson.props;
import static io.vpcipam.provider.azure.fake.ArmJson.str;

/**
 * A fake Azure Resource Manager for the few resources ipamd touches, faithful to the real request and response
 * shapes (no emulator of Azure networking exists):
 * <ul>
 * <li>VM GET (compute), VNet GET, NIC GET / PUT / DELETE / list by resource group, operation status GET;</li>
 * <li>Uniform scale-set instances ({@link #addScaleSetInstance}): the instance's model GET / PUT
 *     ({@code VirtualMachineScaleSetVMs_Get/Update}, If-Match against its ETag) and its NICs, read-only under
 *     {@code .../virtualMachines/{id}/networkInterfaces/{name}}; see {@code putInstance} for what is assumed;</li>
 * <li>NIC PUT replaces the whole {@code ipConfigurations} array: an omitted entry is deleted, new ones get an
 *     address from the subnet (lowest free, never one held anywhere, the subnet's five reserved ones skipped), the
 *     primary may be neither removed nor renamed, all-or-nothing;</li>
 * <li>writes answer 200/201/202 with {@code Azure-AsyncOperation} and, as Azure does, {@code Retry-After: 10}
 *     (on the write and on every {@code InProgress} status poll); the operation runs on the server's own time
 *     ({@link #operationDuration}), polled or not, and until it ends the NIC reads {@code Updating} and a second
 *     write gets 429 {@code AnotherOperationInProgress} with {@code Retry-After: 10} (Azure answers a busy NIC
 *     with 429, not 409). A dynamic address is allocated when the PUT is accepted and is in the PUT's own
 *     response; a failed operation undoes the write when it ends;</li>
 * <li>Azure's limits: 256 ip-configurations per NIC and 256 private addresses per VM (all its NICs together);</li>
 * <li>a bearer token on every request, and only one this fake issued ({@link #acceptToken}, or the fake IMDS's
 *     managed-identity tokens): anything else is 401;</li>
 * <li>ETags on every NIC, checked against {@code If-Match} (412 PreconditionFailed);</li>
 * <li>ARM error bodies {@code {"error":{"code","message"}}}, {@code x-ms-ratelimit-remaining-*} headers, and fault
 *     controls: throttle (429 + Retry-After), fail with any status and code, a concurrent writer, a failed
 *     long-running operation.</li>
 * </ul>
 * Every mutating entry point is synchronized: the fake is one consistent state machine.
 *
 * <p>The routes per resource kind are classes of their own ({@link NicRoutes} for NIC writes, {@link ScaleSetRoutes}
 * for scale-set instances; {@link ArmJson} the JSON vocabulary they share). Why the rest stays one class of some 800
 * lines: it is the fake's one state (resources, running operations, fault queue, counters) behind one monitor, and
 * the tests' whole view of it: scenario set-up, fault controls and observations are short synchronized methods on
 * that state (about 300 lines, mostly Javadoc), next to the HTTP front (authentication, faults, rate-limit headers,
 * dispatch) and the long-running operations every route starts.
 */
public final class FakeArm implements AutoCloseable {

    /** The api-version azure-resourcemanager-network 2.57.0 sends. */
    public static final String NETWORK_API = "2025-03-01";
    /** The compute api-version the provider sends for virtual machines and scale-set instances. */
    public static final String COMPUTE_API = "2024-07-01";

    private final NicRoutes nicRoutes = new NicRoutes(this);
    private final ScaleSetRoutes scaleSets = new ScaleSetRoutes(this);
    private final HttpServer server;
    private final ExecutorService executor;
    final String subscription;
    private final String resourceGroup;
    final String location;
    private final String vnetId;
    private final Cidr vnetSpace;
    private final Map<String, Cidr> subnets = new LinkedHashMap<>();      // key(id) -> block
    private final Map<String, String> subnetIds = new LinkedHashMap<>();  // key(id) -> id as created
    final Map<String, Map<String, Object>> nics = new LinkedHashMap<>();   // key(id) -> resource JSON
    private final Map<String, Map<String, Object>> vms = new LinkedHashMap<>();
    final Map<String, Map<String, Object>> scaleSetVms = new LinkedHashMap<>(); // key(id) -> instance model
    final Set<Ipv4Address> reserved = new java.util.HashSet<>(); // allocated by a running instance write
    int instancePuts;
    int imageReferenceRefusals;
    final Map<String, Operation> operations = new HashMap<>();
    private final Deque<Fault> faults = new ArrayDeque<>();
    private final AtomicLong macs = new AtomicLong(0x000D3A000001L);

    long operationNanos = 1_000_000_000L;
    int asyncRetryAfterSeconds = 10;
    private final Set<String> tokens = new java.util.HashSet<>();
    private int concurrentWrites;
    private String failNextOperationCode;
    private long remainingReads = 11999;
    private long remainingWrites = 1199;

    int nicPuts;
    final List<Integer> addedPerPut = new ArrayList<>();
    final List<String> modifiedExisting = new ArrayList<>();
    final Map<String, List<String>> sentConfigs = new HashMap<>();
    private final Map<String, Integer> requests = new HashMap<>();
    private int unauthenticated;
    private int busyRefusals;
    private int operationPolls;
    private final Set<String> userAgents = new java.util.HashSet<>();
    private Fault readFaultsAfterPut;
    private int readFaultsAfterPutCount;
    int vmLimitRefusals;
    private int preconditionFailures;

    /**
     * A long-running operation. A NIC write names its NIC and rollback; a scale-set instance write carries what to do
     * when it succeeds or fails instead ({@code onSuccess}/{@code onFailure} non-null).
     */
    record Operation(String nicKey, Map<String, Object> rollback, boolean delete, long doneAtNanos,
                             String failCode, String[] outcome, Runnable onSuccess, Runnable onFailure) {
        Operation(String nicKey, Map<String, Object> rollback, boolean delete, long doneAtNanos, String failCode,
                  String[] outcome) {
            this(nicKey, rollback, delete, doneAtNanos, failCode, outcome, null, null);
        }
    }

    /** Private addresses per VM, all its NICs together (Azure's published limit, as per NIC). */
    public static final int ADDRESSES_PER_VM = 256;

    record Fault(int status, String code, int retryAfterSeconds, boolean writesOnly) {
    }

    private FakeArm(String subscription, String resourceGroup, String location, Cidr vnetSpace, Cidr nodeSubnet)
            throws IOException {
        this.subscription = subscription;
        this.resourceGroup = resourceGroup;
        this.location = location;
        this.vnetSpace = vnetSpace;
        this.vnetId = "/subscriptions/" + subscription + "/resourceGroups/" + resourceGroup
                + "/providers/Microsoft.Network/virtualNetworks/aks-vnet";
        addSubnet("nodes", nodeSubnet);
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "fake-arm");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** A fake ARM on a free loopback port: VNet 10.240.0.0/16 with subnet {@code nodes} = {@code nodeSubnet}. */
    public static FakeArm start(String nodeSubnet) throws IOException {
        return new FakeArm("00000000-0000-0000-0000-00000000a2e0", "mc_rg_aks_eastus", "eastus",
                Cidr.parse("10.240.0.0/16"), Cidr.parse(nodeSubnet));
    }

    /** Base URL, ending in a slash: AZURE_RESOURCE_MANAGER_ENDPOINT. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    /** Subscription id. */
    public String subscription() {
        return subscription;
    }

    /** Resource group of everything here. */
    public String resourceGroup() {
        return resourceGroup;
    }

    /** Region. */
    public String location() {
        return location;
    }

    /** The node subnet's resource id. */
    public synchronized String nodeSubnetId() {
        return subnetIds.values().iterator().next();
    }

    /** Adds another subnet to the VNet; returns its id. */
    public synchronized String addSubnet(String name, Cidr block) {
        if (!vnetSpace.contains(block)) {
            throw new IllegalArgumentException(block + " is outside " + vnetSpace);
        }
        String id = vnetId + "/subnets/" + name;
        subnets.put(key(id), block);
        subnetIds.put(key(id), id);
        return id;
    }

    // ---------------------------------------------------------------- scenario set-up

    /** A VM with {@code nicCount} NICs (the first primary), each with its primary ip-configuration. */
    public synchronized Vm addVm(String name, String vmSize, int nicCount) {
        String vmId = rgPath() + "/providers/Microsoft.Compute/virtualMachines/" + name;
        List<Object> refs = new ArrayList<>();
        List<String> nicIds = new ArrayList<>();
        List<String> macList = new ArrayList<>();
        for (int i = 0; i < nicCount; i++) {
            Map<String, Object> nic = newNic(name + "-nic-" + i, vmId, Map.of());
            nicIds.add((String) nic.get("id"));
            macList.add(str(props(nic).get("macAddress")));
            refs.add(obj("id", nic.get("id"), "properties", obj("primary", i == 0)));
        }
        Map<String, Object> vm = obj("id", vmId, "name", name, "type", "Microsoft.Compute/virtualMachines",
                "location", location, "zones", List.of("1"),
                "properties", obj("vmId", UUID.randomUUID().toString(), "provisioningState", "Succeeded",
                        "hardwareProfile", obj("vmSize", vmSize),
                        "networkProfile", obj("networkInterfaces", refs)));
        vms.put(key(vmId), vm);
        return new Vm(name, vmId, vmSize, nicIds, macList);
    }

    /** A VM as set up: its id, size, NIC ids (primary first) and their MACs (ARM's AA-BB-.. form). */
    public record Vm(String name, String id, String vmSize, List<String> nicIds, List<String> macs) {
    }

    /** The subscription of the image gallery AKS node images come from (not the cluster's: AKS#1819). */
    public static final String AKS_GALLERY_SUBSCRIPTION = "109a5e88-712a-48ae-9078-9ca8b3c81345";

    /**
     * An instance of a Uniform scale set {@code vmss}, as AKS's VirtualMachineScaleSets node pools make them: its
     * model ({@code virtualMachineScaleSets/{vmss}/virtualMachines/{instanceId}}, with an ETag, the node image from
     * AKS's gallery in another subscription, and one network interface configuration per NIC, the first primary,
     * its primary ip-configuration in the load balancer's backend pool), and its NICs, readable only under the
     * instance ({@code .../virtualMachines/{instanceId}/networkInterfaces/{name}}). The instance is named
     * {@code {vmss}_{instanceId}}, as Azure names Uniform instances.
     */
    public synchronized Vm addScaleSetInstance(String vmss, int instanceId, String vmSize, int nicCount) {
        String vmId = rgPath() + "/providers/Microsoft.Compute/virtualMachineScaleSets/" + vmss + "/virtualMachines/"
                + instanceId;
        String lbPool = rgPath() + "/providers/Microsoft.Network/loadBalancers/kubernetes/backendAddressPools/kubernetes";
        List<Object> refs = new ArrayList<>();
        List<Object> configs = new ArrayList<>();
        List<String> nicIds = new ArrayList<>();
        List<String> macList = new ArrayList<>();
        for (int i = 0; i < nicCount; i++) {
            String configName = i == 0 ? vmss : vmss + "-nic-" + i;
            String nicId = vmId + "/networkInterfaces/" + configName;
            Map<String, Object> nic = newNicShell(nicId, vmId, Map.of());
            Ipv4Address a = allocate(subnets.get(key(nodeSubnetId())), Set.of());
            Map<String, Object> primary = ipConfig(nicId, "ipconfig1", true, a.toString(), "Dynamic", nodeSubnetId());
            if (i == 0) {
                props(primary).put("loadBalancerBackendAddressPools", List.of(obj("id", lbPool)));
            }
            props(nic).put("ipConfigurations", new ArrayList<>(List.of(primary)));
            props(nic).put("primary", i == 0);
            nics.put(key(nicId), nic);
            nicIds.add(nicId);
            macList.add(str(props(nic).get("macAddress")));
            refs.add(obj("id", nicId, "properties", obj("primary", i == 0)));
            Map<String, Object> ipProps = obj("primary", true, "subnet", obj("id", nodeSubnetId()),
                    "privateIPAddressVersion", "IPv4");
            if (i == 0) {
                ipProps.put("loadBalancerBackendAddressPools", List.of(obj("id", lbPool)));
            }
            configs.add(obj("name", configName, "properties", obj("primary", i == 0,
                    "enableAcceleratedNetworking", true, "enableIPForwarding", false,
                    "ipConfigurations", new ArrayList<>(List.of(obj("name", "ipconfig1", "properties", ipProps))))));
        }
        String name = vmss + "_" + instanceId;
        Map<String, Object> vm = obj("id", vmId, "name", name,
                "type", "Microsoft.Compute/virtualMachineScaleSets/virtualMachines", "location", location,
                "instanceId", String.valueOf(instanceId), "zones", List.of("1"), "etag", "\"1\"",
                "sku", obj("name", vmSize, "tier", "Standard"),
                "properties", obj("latestModelApplied", true, "vmId", UUID.randomUUID().toString(),
                        "provisioningState", "Succeeded",
                        "storageProfile", obj("imageReference", obj("id", "/subscriptions/" + AKS_GALLERY_SUBSCRIPTION
                                        + "/resourceGroups/AKS-Ubuntu/providers/Microsoft.Compute/galleries/AKSUbuntu"
                                        + "/images/2204gen2containerd/versions/202411.01.0"),
                                "osDisk", obj("osType", "Linux", "createOption", "FromImage", "diskSizeGB", 128)),
                        "osProfile", obj("computerName", vmss + String.format("%06d", instanceId),
                                "adminUsername", "azureuser"),
                        "networkProfile", obj("networkInterfaces", refs),
                        "networkProfileConfiguration", obj("networkInterfaceConfigurations", configs)));
        scaleSetVms.put(key(vmId), vm);
        return new Vm(name, vmId, vmSize, nicIds, macList);
    }

    /** The scale-set instance's model as stored (its network profile configuration included). */
    public synchronized Map<String, Object> instanceModel(String vmId) {
        return Json.copy(scaleSetVms.get(key(vmId)));
    }

    /** Sets a tag on a NIC, as an operator's {@code az network nic update --set tags.K=V} would. */
    @SuppressWarnings("unchecked")
    public synchronized void tagNic(String nicId, String key, String value) {
        Map<String, Object> nic = nics.get(key(nicId));
        Map<String, Object> tags = new LinkedHashMap<>((Map<String, Object>) nic.getOrDefault("tags", Map.of()));
        tags.put(key, value);
        nic.put("tags", tags);
        nic.put("etag", newEtag());
    }

    /** A NIC attached to no VM, as a crashed creator would leave it; returns its id. */
    public synchronized String addDetachedNic(String name, Map<String, String> tags) {
        return (String) newNic(name, null, tags).get("id");
    }

    /**
     * Adds a secondary ip-configuration that someone else made (with a load balancer pool and an ASG), so tests can
     * check that ipamd's updates send it back unchanged.
     */
    public synchronized String addForeignIpConfiguration(String nicId, String name) {
        Map<String, Object> nic = nics.get(key(nicId));
        Ipv4Address a = allocate(subnets.get(key(nodeSubnetId())), Set.of());
        Map<String, Object> cfg = ipConfig(nicId, name, false, a.toString(), "Dynamic", nodeSubnetId());
        props(cfg).put("loadBalancerBackendAddressPools", List.of(obj("id",
                rgPath() + "/providers/Microsoft.Network/loadBalancers/kubernetes/backendAddressPools/kubernetes")));
        props(cfg).put("applicationSecurityGroups", List.of(obj("id",
                rgPath() + "/providers/Microsoft.Network/applicationSecurityGroups/web")));
        configs(nic).add(cfg);
        nic.put("etag", newEtag());
        return a.toString();
    }

    /**
     * Adds a secondary ip-configuration that someone else made with a public IP (a user's own front end), so tests
     * can check that ipamd never hands its address to a pod nor removes it. Any name, ipamd's prefix included.
     */
    public synchronized String addIpConfigurationWithPublicIp(String nicId, String name) {
        Map<String, Object> nic = nics.get(key(nicId));
        Ipv4Address a = allocate(subnets.get(key(nodeSubnetId())), Set.of());
        Map<String, Object> cfg = ipConfig(nicId, name, false, a.toString(), "Dynamic", nodeSubnetId());
        props(cfg).put("publicIPAddress", obj("id", rgPath() + "/providers/Microsoft.Network/publicIPAddresses/" + name + "-pip"));
        configs(nic).add(cfg);
        nic.put("etag", newEtag());
        return a.toString();
    }

    // ---------------------------------------------------------------- fault controls

    /** The next {@code n} requests get 429 with {@code Retry-After: seconds}. */
    public synchronized void throttleNext(int n, int retryAfterSeconds) {
        for (int i = 0; i < n; i++) {
            faults.add(new Fault(429, "SubscriptionRequestsThrottled", retryAfterSeconds, false));
        }
    }

    /** The next {@code n} writes (PUT/DELETE) fail with this status and ARM error code. */
    public synchronized void failNextWrites(int n, int status, String code) {
        for (int i = 0; i < n; i++) {
            faults.add(new Fault(status, code, 0, true));
        }
    }

    /** Before each of the next {@code n} NIC PUTs, another writer changes the NIC (so its ETag moves). */
    public synchronized void concurrentWriterBeforeNextPuts(int n) {
        concurrentWrites = n;
    }

    /** The next write's long-running operation ends {@code Failed} with this code, and the write is undone. */
    public synchronized void failNextOperation(String code) {
        failNextOperationCode = code;
    }

    /**
     * How long a write's operation runs on the server (default 1 s: Azure publishes no figure; it is the
     * {@code Retry-After} hint that is 10 s). Polled or not, it ends then.
     */
    public synchronized void operationDuration(java.time.Duration d) {
        operationNanos = d.toNanos();
    }

    /** After the next accepted NIC PUT, the {@code n} requests that follow fail with this status and code. */
    public synchronized void failReadsAfterNextPut(int n, int status, String code) {
        readFaultsAfterPut = new Fault(status, code, 0, false);
        readFaultsAfterPutCount = n;
    }

    /** Another writer starts an operation on the NIC now: it reads Updating until the operation ends. */
    public synchronized void startForeignOperation(String nicId) {
        Map<String, Object> nic = nics.get(key(nicId));
        props(nic).put("provisioningState", "Updating");
        nic.put("etag", newEtag());
        operations.put(UUID.randomUUID().toString(), new Operation(key(nicId), null, false,
                System.nanoTime() + operationNanos, null, new String[1]));
    }

    /** Another writer starts an update of the scale-set instance now: it reads Updating until the operation ends. */
    public synchronized void startForeignInstanceOperation(String vmId) {
        Map<String, Object> vm = scaleSetVms.get(key(vmId));
        props(vm).put("provisioningState", "Updating");
        vm.put("etag", "\"" + UUID.randomUUID() + "\"");
        Runnable done = () -> props(vm).put("provisioningState", "Succeeded");
        operations.put(UUID.randomUUID().toString(), new Operation(null, null, false,
                System.nanoTime() + operationNanos, null, new String[1], done, done));
    }

    /** Accepts {@code token} as a bearer token from now on (the fake IMDS registers the ones it issues). */
    public synchronized void acceptToken(String token) {
        tokens.add(token);
    }

    /** Retry-After (seconds) sent with a write and with each InProgress poll (default 10, as Azure). */
    public synchronized void asyncRetryAfterSeconds(int seconds) {
        asyncRetryAfterSeconds = seconds;
    }

    // ---------------------------------------------------------------- observations

    /** NIC PUTs accepted (each may add or remove many ip-configurations). */
    public synchronized int nicPuts() {
        return nicPuts;
    }

    /** For each accepted NIC PUT, how many ip-configurations it added. */
    public synchronized List<Integer> addedPerPut() {
        return List.copyOf(addedPerPut);
    }

    /** Existing ip-configurations that a PUT sent back changed (should stay empty). */
    public synchronized List<String> modifiedExisting() {
        return List.copyOf(modifiedExisting);
    }

    /** The ip-configuration {@code name} exactly as each accepted NIC PUT sent it (its JSON, in the order sent). */
    public synchronized List<String> sentIpConfigurations(String name) {
        return List.copyOf(sentConfigs.getOrDefault(name, List.of()));
    }

    /** The stored properties of one ip-configuration (null when the NIC has none of that name). */
    public synchronized Map<String, Object> ipConfigurationProperties(String nicId, String name) {
        for (Object c : configs(nics.get(key(nicId)))) {
            if (name.equals(str(Json.map(c).get("name")))) {
                return Json.copy(props(Json.map(c)));
            }
        }
        return null;
    }

    /** Requests seen, by method. */
    public synchronized int requests(String method) {
        return requests.getOrDefault(method, 0);
    }

    /** NIC PUTs refused with 412 because their If-Match ETag was stale. */
    public synchronized int preconditionFailures() {
        return preconditionFailures;
    }

    /** The distinct User-Agent headers seen. */
    public synchronized Set<String> userAgents() {
        return Set.copyOf(userAgents);
    }

    /** Reads of an operation's status URL while it was still InProgress (each ignoring a Retry-After). */
    public synchronized int operationPolls() {
        return operationPolls;
    }

    /** Writes refused with 429 because the NIC was still busy with an earlier operation. */
    public synchronized int busyRefusals() {
        return busyRefusals;
    }

    /** NIC PUTs refused because the VM would pass {@link #ADDRESSES_PER_VM}. */
    public synchronized int vmLimitRefusals() {
        return vmLimitRefusals;
    }

    /** Scale-set instance PUTs accepted (each may add or remove many ip-configurations). */
    public synchronized int instancePuts() {
        return instancePuts;
    }

    /** Instance PUTs refused because they carried the gallery image reference the caller may not read. */
    public synchronized int imageReferenceRefusals() {
        return imageReferenceRefusals;
    }

    /** Requests refused for lack of a bearer token (or one this fake did not issue). */
    public synchronized int unauthenticated() {
        return unauthenticated;
    }

    /** Addresses of a NIC's secondary ip-configurations. */
    public synchronized List<String> secondaryAddresses(String nicId) {
        List<String> out = new ArrayList<>();
        for (Object c : configs(nics.get(key(nicId)))) {
            Map<String, Object> p = props(Json.map(c));
            if (!Boolean.TRUE.equals(p.get("primary"))) {
                out.add(str(p.get("privateIPAddress")));
            }
        }
        return out;
    }

    /** Every address held by any NIC, with its holder; a duplicate would show as a count above one. */
    public synchronized Map<String, Integer> addressHolders() {
        Map<String, Integer> count = new LinkedHashMap<>();
        for (Map<String, Object> nic : nics.values()) {
            for (Object c : configs(nic)) {
                count.merge(str(props(Json.map(c)).get("privateIPAddress")), 1, Integer::sum);
            }
        }
        return count;
    }

    /** The VM JSON for instance metadata. */
    synchronized Map<String, Object> vmJson(String vmId) {
        Map<String, Object> vm = vms.get(key(vmId));
        return Json.copy(vm != null ? vm : scaleSetVms.get(key(vmId)));
    }

    /** The NIC JSON (for instance metadata). */
    synchronized Map<String, Object> nicJson(String nicId) {
        return Json.copy(nics.get(key(nicId)));
    }

    /** A subnet's block. */
    synchronized Cidr subnet(String subnetId) {
        return subnets.get(key(subnetId));
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ---------------------------------------------------------------- HTTP

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            Reply reply;
            try {
                synchronized (this) {
                    userAgents.add(String.valueOf(ex.getRequestHeaders().getFirst("User-Agent")));
                }
                reply = route(ex.getRequestMethod(), ex.getRequestURI(), ex.getRequestHeaders().getFirst("Authorization"),
                        ex.getRequestHeaders().getFirst("If-Match"), ex.getRequestBody().readAllBytes());
            } catch (RuntimeException e) {
                reply = error(500, "InternalServerError", "fake ARM: " + e);
            }
            byte[] body = reply.body == null ? new byte[0] : Json.write(reply.body);
            reply.headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
            ex.getResponseHeaders().set("x-ms-request-id", UUID.randomUUID().toString());
            if (body.length > 0) {
                ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            }
            ex.sendResponseHeaders(reply.status, body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                ex.getResponseBody().write(body);
            }
        }
    }

    private synchronized Reply route(String method, URI uri, String auth, String ifMatch, byte[] body) {
        requests.merge(method, 1, Integer::sum);
        boolean write = method.equals("PUT") || method.equals("DELETE");
        Reply reply = routeInner(method, uri, auth, ifMatch, body, write);
        if (write) {
            remainingWrites = Math.max(0, remainingWrites - 1);
            reply.header("x-ms-ratelimit-remaining-subscription-writes", String.valueOf(remainingWrites));
        } else {
            remainingReads = Math.max(0, remainingReads - 1);
            reply.header("x-ms-ratelimit-remaining-subscription-reads", String.valueOf(remainingReads));
        }
        return reply;
    }

    private Reply routeInner(String method, URI uri, String auth, String ifMatch, byte[] body, boolean write) {
        settleDueOperations();
        if (auth == null || !auth.startsWith("Bearer ") || auth.length() <= "Bearer ".length()) {
            unauthenticated++;
            return error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
        }
        if (!tokens.contains(auth.substring("Bearer ".length()))) {
            unauthenticated++;
            return error(401, "InvalidAuthenticationToken", "The access token is invalid.");
        }
        String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
        if (!query.contains("api-version=")) {
            return error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
        }
        Fault fault = faults.peek();
        if (fault != null && (!fault.writesOnly() || write)) {
            faults.poll();
            Reply r = error(fault.status(), fault.code(), "injected fault");
            if (fault.retryAfterSeconds() > 0 || fault.status() == 429) {
                r.header("Retry-After", String.valueOf(fault.retryAfterSeconds()));
            }
            return r;
        }
        // the generic resources API sends "/{resourceId}", so the path starts "//subscriptions": ARM accepts that
        String path = ((uri.getRawAuthority() == null ? "" : "/" + uri.getRawAuthority()) + uri.getPath())
                .replaceAll("/{2,}", "/");
        String[] seg = path.substring(1).split("/");
        String lower = path.toLowerCase(Locale.ROOT);
        if ((lower.contains("/providers/microsoft.network/locations/")
                || lower.contains("/providers/microsoft.compute/locations/")) && lower.contains("/operations/")) {
            return method.equals("GET") ? pollOperation(seg[seg.length - 1]) : error(405, "MethodNotAllowed", method);
        }
        if (lower.contains("/providers/microsoft.compute/virtualmachinescalesets/")) {
            return scaleSets.route(method, path, lower, ifMatch, body);
        }
        if (lower.contains("/providers/microsoft.compute/virtualmachines/")) {
            Map<String, Object> vm = vms.get(key(path));
            return vm == null ? notFound(path) : new Reply(200, vm);
        }
        if (lower.contains("/providers/microsoft.network/virtualnetworks/")) {
            return key(path).equals(key(vnetId)) ? new Reply(200, vnetJson()) : notFound(path);
        }
        if (lower.endsWith("/providers/microsoft.network/networkinterfaces")) {
            List<Object> all = new ArrayList<>();
            // a Uniform scale set's NICs belong to its instances: ARM lists them only under the scale set
            nics.forEach((k, n) -> {
                if (!k.contains("/virtualmachinescalesets/")) {
                    all.add(Json.copy(n));
                }
            });
            return new Reply(200, obj("value", all));
        }
        if (lower.contains("/providers/microsoft.network/networkinterfaces/")) {
            return switch (method) {
                case "GET" -> nics.containsKey(key(path)) ? new Reply(200, nics.get(key(path))) : notFound(path);
                case "PUT" -> nicRoutes.put(path, ifMatch, body);
                case "DELETE" -> nicRoutes.delete(path, ifMatch);
                default -> error(405, "MethodNotAllowed", method);
            };
        }
        return error(404, "InvalidResourceType", "The resource type could not be found for " + path);
    }

    // ---------------------------------------------------------------- Uniform scale-set instances

    /**
     * What every write of an existing resource meets first, as on ARM: another writer's change (when asked for with
     * {@link #concurrentWriterBeforeNextPuts}) gives it {@code freshEtag}, a stale If-Match is 412, a resource busy
     * with an operation is 429 with Retry-After; null when the write may go on.
     */
    Reply refuseWrite(Map<String, Object> stored, String ifMatch, String freshEtag) {
        if (concurrentWrites > 0) {
            concurrentWrites--;
            stored.put("etag", freshEtag); // someone else's update landed just before ours
        }
        if (ifMatch != null && !ifMatch.equals("*") && !ifMatch.equals(stored.get("etag"))) {
            preconditionFailures++;
            return error(412, "PreconditionFailed", "The specified precondition 'If-Match = " + ifMatch
                    + "' failed: the ETag is now " + stored.get("etag"));
        }
        if ("Updating".equals(props(stored).get("provisioningState"))) {
            busyRefusals++;
            return error(429, "AnotherOperationInProgress", "Operation on " + stored.get("id")
                    + " cannot be performed because another operation is in progress on it.")
                    .header("Retry-After", String.valueOf(asyncRetryAfterSeconds));
        }
        return null;
    }

    /** The block of subnet {@code subnetId} of the VNet; null when the id is null or names none of its subnets. */
    Cidr subnetBlock(String subnetId) {
        return subnetId == null ? null : subnets.get(key(subnetId));
    }

    /** After an accepted PUT: the read faults {@link #failReadsAfterNextPut} asked for start now. */
    void putAccepted() {
        if (readFaultsAfterPut != null) {
            for (int i = 0; i < readFaultsAfterPutCount; i++) {
                faults.addFirst(readFaultsAfterPut);
            }
            readFaultsAfterPut = null;
        }
    }

    /** Ends every operation whose time has come: ARM finishes an operation whether or not anyone polls it. */
    private void settleDueOperations() {
        long now = System.nanoTime();
        for (Operation op : operations.values()) {
            if (op.outcome()[0] == null && now - op.doneAtNanos() >= 0) {
                finish(op);
            }
        }
    }

    private void finish(Operation op) {
        op.outcome()[0] = op.failCode() == null ? "Succeeded" : "Failed";
        if (op.onSuccess() != null) {
            (op.failCode() == null ? op.onSuccess() : op.onFailure()).run();
            return;
        }
        Map<String, Object> nic = nics.get(op.nicKey());
        if (op.failCode() != null) {
            if (op.rollback() != null) {
                nics.put(op.nicKey(), op.rollback());
                props(op.rollback()).put("provisioningState", "Succeeded");
                op.rollback().put("etag", newEtag());
            } else {
                nics.remove(op.nicKey());
            }
        } else if (op.delete()) {
            nics.remove(op.nicKey());
        } else if (nic != null) {
            props(nic).put("provisioningState", "Succeeded");
        }
    }

    private Reply pollOperation(String id) {
        Operation op = operations.get(id);
        if (op == null) {
            return notFound("operation " + id);
        }
        if (op.outcome()[0] == null) {
            operationPolls++;
            return new Reply(200, obj("id", id, "name", id, "status", "InProgress"))
                    .header("Retry-After", String.valueOf(asyncRetryAfterSeconds));
        }
        return new Reply(200, op.failCode() == null ? obj("id", id, "name", id, "status", "Succeeded")
                : obj("id", id, "name", id, "status", "Failed",
                "error", obj("code", op.failCode(), "message", "the operation failed: " + op.failCode())));
    }

    // ---------------------------------------------------------------- model helpers

    String takeFailCode() {
        String c = failNextOperationCode;
        failNextOperationCode = null;
        return c;
    }

    String operationUrl(String op) {
        return endpoint() + "subscriptions/" + subscription + "/providers/Microsoft.Network/locations/" + location
                + "/operations/" + op + "?api-version=" + NETWORK_API;
    }

    private Map<String, Object> newNic(String name, String vmId, Map<String, String> tags) {
        String id = rgPath() + "/providers/Microsoft.Network/networkInterfaces/" + name;
        Map<String, Object> nic = newNicShell(id, vmId, tags);
        Ipv4Address a = allocate(subnets.get(key(nodeSubnetId())), Set.of());
        props(nic).put("ipConfigurations", new ArrayList<>(List.of(
                ipConfig(id, "ipconfig1", true, a.toString(), "Dynamic", nodeSubnetId()))));
        props(nic).put("provisioningState", "Succeeded");
        nics.put(key(id), nic);
        return nic;
    }

    Map<String, Object> newNicShell(String id, String vmId, Map<String, String> tags) {
        long m = macs.getAndIncrement();
        String mac = String.format("%02X-%02X-%02X-%02X-%02X-%02X", (m >> 40) & 0xff, (m >> 32) & 0xff,
                (m >> 24) & 0xff, (m >> 16) & 0xff, (m >> 8) & 0xff, m & 0xff);
        Map<String, Object> p = obj("provisioningState", "Succeeded", "resourceGuid", UUID.randomUUID().toString(),
                "macAddress", mac, "enableAcceleratedNetworking", true, "enableIPForwarding", false,
                "nicType", "Standard", "primary", vmId != null, "ipConfigurations", new ArrayList<>());
        if (vmId != null) {
            p.put("virtualMachine", obj("id", vmId));
        }
        return obj("id", id, "name", ResourceName.of(id), "type", "Microsoft.Network/networkInterfaces",
                "location", location, "etag", newEtag(), "tags", new LinkedHashMap<>(tags), "properties", p);
    }

    Map<String, Object> ipConfig(String nicId, String name, boolean primary, String address, String method,
                                         String subnetId) {
        return obj("id", nicId + "/ipConfigurations/" + name, "name", name, "etag", newEtag(),
                "type", "Microsoft.Network/networkInterfaces/ipConfigurations",
                "properties", obj("provisioningState", "Succeeded", "privateIPAddress", address,
                        "privateIPAllocationMethod", method, "privateIPAddressVersion", "IPv4",
                        "primary", primary, "subnet", obj("id", subnetId)));
    }

    private Map<String, Object> vnetJson() {
        List<Object> subs = new ArrayList<>();
        subnets.forEach((k, block) -> subs.add(obj("id", subnetIds.get(k), "name", ResourceName.of(subnetIds.get(k)),
                "etag", "W/\"1\"", "type", "Microsoft.Network/virtualNetworks/subnets",
                "properties", obj("addressPrefix", block.toString(), "provisioningState", "Succeeded"))));
        return obj("id", vnetId, "name", ResourceName.of(vnetId), "type", "Microsoft.Network/virtualNetworks",
                "location", location, "etag", "W/\"1\"",
                "properties", obj("provisioningState", "Succeeded",
                        "addressSpace", obj("addressPrefixes", List.of(vnetSpace.toString())), "subnets", subs));
    }

    /** Lowest free address of the block, Azure's five reserved ones (network, gateway, 2 DNS, broadcast) skipped. */
    Ipv4Address allocate(Cidr block, Set<Ipv4Address> alsoHeld) {
        Set<Ipv4Address> inUse = new java.util.HashSet<>(alsoHeld);
        inUse.addAll(reserved);
        nics.values().forEach(n -> configs(n).forEach(c ->
                inUse.add(Ipv4Address.parse(str(props(Json.map(c)).get("privateIPAddress"))))));
        for (long i = 4; i < block.size() - 1; i++) {
            Ipv4Address a = block.address(i);
            if (!inUse.contains(a)) {
                return a;
            }
        }
        return null;
    }

    private String rgPath() {
        return "/subscriptions/" + subscription + "/resourceGroups/" + resourceGroup;
    }

}
