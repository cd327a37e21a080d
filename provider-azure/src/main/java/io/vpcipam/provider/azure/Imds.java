package io.vpcipam.provider.azure;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Azure Instance Metadata Service: who this VM is. Read once when the provider starts; addresses come from ARM,
 * which is the truth for what the NIC holds, not from IMDS (which lags until the host programs them).
 */
final class Imds {

    static final String API_VERSION = "2021-02-01";

    private final URI endpoint;
    private final HttpClient http;

    Imds(URI endpoint) {
        this.endpoint = endpoint;
        // IMDS must never go through a proxy: it answers only on the host's link-local address
        this.http = HttpClient.newBuilder().proxy(HttpClient.Builder.NO_PROXY).connectTimeout(Duration.ofSeconds(2))
                .version(HttpClient.Version.HTTP_1_1).build();
    }

    /**
     * The VM's identity. {@code resourceId} is {@code .../virtualMachines/{name}} for a standalone VM and for an
     * instance of a Flexible scale set (ordinary VMs, whose set only {@code scaleSet} names), and
     * {@code .../virtualMachineScaleSets/{set}/virtualMachines/{instanceId}} for an instance of a Uniform scale set
     * (AKS's VirtualMachineScaleSets node pools), whose NICs belong to the instance.
     */
    record Instance(String subscriptionId, String resourceGroup, String name, String resourceId, String location,
                    String zone, String vmSize, List<String> macs, String scaleSet) {
        Instance {
            macs = List.copyOf(macs);
            scaleSet = scaleSet == null ? "" : scaleSet;
        }

        /** Whether this is an instance of a Uniform scale set (its NICs change through the instance's model). */
        boolean uniformScaleSetInstance() {
            return ScaleSetIds.isInstance(resourceId);
        }
    }

    /** Reads {@code /metadata/instance} with the {@code Metadata: true} header IMDS requires. */
    Instance instance() throws ArmException {
        URI uri = endpoint.resolve("metadata/instance?api-version=" + API_VERSION);
        HttpRequest request = HttpRequest.newBuilder(uri).header("Metadata", "true").timeout(Duration.ofSeconds(5))
                .GET().build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ArmException(0, "MetadataUnreachable", "instance metadata at " + uri + ": " + e, null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ArmException(0, "Interrupted", "interrupted reading instance metadata", null, e);
        }
        if (response.statusCode() != 200) {
            // 410 and 429 are IMDS saying "not yet" or "slower": transient, so the guard retries them
            int status = response.statusCode() == 410 ? 503 : response.statusCode();
            throw new ArmException(status, "MetadataError",
                    "instance metadata at " + uri + " answered " + response.statusCode() + ": " + response.body(),
                    null, null);
        }
        return parse(response.body());
    }

    @SuppressWarnings("unchecked")
    static Instance parse(String json) throws ArmException {
        try (JsonReader reader = JsonProviders.createReader(json)) {
            Map<String, Object> root = (Map<String, Object>) reader.readUntyped();
            Map<String, Object> compute = (Map<String, Object>) root.get("compute");
            if (compute == null) {
                throw new ArmException(200, "MetadataMalformed", "instance metadata lacks 'compute'", null, null);
            }
            List<String> macs = new ArrayList<>();
            Map<String, Object> network = (Map<String, Object>) root.getOrDefault("network", Map.of());
            for (Object o : (List<Object>) network.getOrDefault("interface", List.of())) {
                Object mac = ((Map<String, Object>) o).get("macAddress");
                if (mac != null) {
                    macs.add(mac.toString());
                }
            }
            String resourceId = str(compute, "resourceId");
            String sub = str(compute, "subscriptionId");
            String rg = str(compute, "resourceGroupName");
            String name = str(compute, "name");
            if (sub.isEmpty() || rg.isEmpty() || name.isEmpty()) {
                throw new ArmException(200, "MetadataMalformed",
                        "instance metadata lacks subscriptionId, resourceGroupName or name: " + compute, null, null);
            }
            String scaleSet = str(compute, "vmScaleSetName");
            if (resourceId.isEmpty()) {
                // no resourceId (older IMDS): a Uniform instance is named {set}_{instanceId}; a Flexible one is not
                String prefix = scaleSet + "_";
                resourceId = "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Compute/"
                        + (!scaleSet.isEmpty() && name.startsWith(prefix) && name.substring(prefix.length()).matches("[0-9]+")
                        ? "virtualMachineScaleSets/" + scaleSet + "/virtualMachines/" + name.substring(prefix.length())
                        : "virtualMachines/" + name);
            }
            return new Instance(sub, rg, name, resourceId, str(compute, "location"), str(compute, "zone"),
                    str(compute, "vmSize"), macs, scaleSet);
        } catch (IOException | ClassCastException e) {
            throw new ArmException(200, "MetadataMalformed", "instance metadata is not the expected JSON: " + e, null, e);
        }
    }

    private static String str(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v == null ? "" : v.toString();
    }
}
