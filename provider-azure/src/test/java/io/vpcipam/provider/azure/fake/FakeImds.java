package io.vpcipam.provider.azure.fake;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake Azure Instance Metadata Service for one VM of a {@link FakeArm}: {@code /metadata/instance} (compute and
 * network, as IMDS api-version 2021-02-01 shapes them) and the managed-identity token endpoint
 * {@code /metadata/identity/oauth2/token}. Like the real one it answers 400 without the {@code Metadata: true}
 * header.
 */
public final class FakeImds implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;
    private final FakeArm arm;
    private final FakeArm.Vm vm;
    private final AtomicInteger tokens = new AtomicInteger();
    private final AtomicInteger instanceReads = new AtomicInteger();
    private volatile String scaleSetName;

    private FakeImds(FakeArm arm, FakeArm.Vm vm) throws IOException {
        this.arm = arm;
        this.vm = vm;
        // a Uniform instance's resourceId is .../virtualMachineScaleSets/{set}/virtualMachines/{id}, and IMDS names the set
        String[] parts = vm.id().split("/");
        String set = "";
        for (int i = 0; i + 1 < parts.length; i++) {
            if (parts[i].equalsIgnoreCase("virtualMachineScaleSets")) {
                set = parts[i + 1];
            }
        }
        this.scaleSetName = set;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "fake-imds");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Serves metadata for {@code vm} on a free loopback port. */
    public static FakeImds start(FakeArm arm, FakeArm.Vm vm) throws IOException {
        return new FakeImds(arm, vm);
    }

    /** Base URL: AZURE_METADATA_ENDPOINT (and AZURE_POD_IDENTITY_AUTHORITY_HOST for managed identity). */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    /**
     * From now on the VM reports itself as a member of the Flexible scale set {@code name}: IMDS then names the set in
     * {@code compute.vmScaleSetName}, but the resourceId stays the VM's own ({@code virtualMachines/{name}}), because
     * a Flexible scale set's instances are ordinary VMs with ordinary NICs.
     */
    public void reportFlexibleScaleSet(String name) {
        scaleSetName = name;
    }

    /** Managed-identity tokens handed out. */
    public int tokensIssued() {
        return tokens.get();
    }

    /** Instance metadata reads answered. */
    public int instanceReads() {
        return instanceReads.get();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            // msal4j asks for "//metadata/identity/..." when given a host, which parses as an authority: undo that
            URI uri = ex.getRequestURI();
            String path = ((uri.getRawAuthority() == null ? "" : "/" + uri.getRawAuthority()) + uri.getPath())
                    .replaceAll("/{2,}", "/");
            String query = ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery();
            int status;
            Object body;
            if (!"true".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Metadata"))) {
                status = 400;
                body = ArmJson.obj("error", "Bad request. Required metadata header not specified");
            } else if (!query.contains("api-version=")) {
                status = 400;
                body = ArmJson.obj("error", "Bad request. api-version was not specified in the request");
            } else if (path.equals("/metadata/instance")) {
                instanceReads.incrementAndGet();
                status = 200;
                body = instance();
            } else if (path.equals("/metadata/identity/oauth2/token")) {
                String token = "fake-mi-token-" + tokens.incrementAndGet() + "-" + java.util.UUID.randomUUID();
                arm.acceptToken(token);
                long now = Instant.now().getEpochSecond();
                status = 200;
                body = ArmJson.obj("access_token", token, "client_id", "00000000-0000-0000-0000-0000000c11e7",
                        "expires_in", "86399", "expires_on", String.valueOf(now + 86399), "ext_expires_in", "86399",
                        "not_before", String.valueOf(now), "resource", "https://management.azure.com/",
                        "token_type", "Bearer");
            } else {
                status = 404;
                body = ArmJson.obj("error", "Not found");
            }
            byte[] bytes = Json.write(body);
            ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            ex.sendResponseHeaders(status, bytes.length);
            ex.getResponseBody().write(bytes);
        }
    }

    private Map<String, Object> instance() {
        Map<String, Object> vmJson = arm.vmJson(vm.id());
        List<Object> interfaces = new ArrayList<>();
        for (String nicId : vm.nicIds()) {
            Map<String, Object> nic = arm.nicJson(nicId);
            Map<String, Object> props = Json.map(nic.get("properties"));
            List<Object> addresses = new ArrayList<>();
            String subnetPrefix = null;
            for (Object o : Json.list(props.get("ipConfigurations"))) {
                Map<String, Object> p = Json.map(Json.map(o).get("properties"));
                addresses.add(ArmJson.obj("privateIpAddress", p.get("privateIPAddress"), "publicIpAddress", ""));
                if (subnetPrefix == null) {
                    subnetPrefix = arm.subnet(String.valueOf(Json.map(p.get("subnet")).get("id"))).toString();
                }
            }
            String[] parts = subnetPrefix.split("/");
            interfaces.add(ArmJson.obj("macAddress", props.get("macAddress").toString().replace("-", ""),
                    "ipv4", ArmJson.obj("ipAddress", addresses,
                            "subnet", List.of(ArmJson.obj("address", parts[0], "prefix", parts[1]))),
                    "ipv6", ArmJson.obj("ipAddress", List.of())));
        }
        return ArmJson.obj(
                "compute", ArmJson.obj("azEnvironment", "AzurePublicCloud", "location", arm.location(),
                        "name", vm.name(), "resourceGroupName", arm.resourceGroup(), "resourceId", vm.id(),
                        "subscriptionId", arm.subscription(), "vmId", Json.map(vmJson.get("properties")).get("vmId"),
                        "vmScaleSetName", scaleSetName, "vmSize", vm.vmSize(), "zone", "1", "osType", "Linux"),
                "network", ArmJson.obj("interface", interfaces));
    }
}
