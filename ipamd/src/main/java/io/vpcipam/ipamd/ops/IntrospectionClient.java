package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.pool.PoolView;
import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.protocol.StatusInfo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads a running daemon's introspection endpoints for the CLI. Short timeouts: an operator is waiting. */
public final class IntrospectionClient {

    private final OpsConfig.Endpoint endpoint;
    private final HttpClient http;

    /** A client for the daemon listening on {@code endpoint}. */
    public IntrospectionClient(OpsConfig.Endpoint endpoint) {
        this.endpoint = endpoint;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    /** The address read. */
    public OpsConfig.Endpoint endpoint() {
        return endpoint;
    }

    /**
     * GETs {@code path} and parses the JSON object.
     *
     * @throws IOException when unreachable, or on a non-200 answer (with the daemon's reason)
     */
    public Map<String, Object> get(String path) throws IOException {
        String host = "0.0.0.0".equals(endpoint.host()) ? "127.0.0.1" : endpoint.host();
        URI uri = URI.create("http://" + new OpsConfig.Endpoint(host, endpoint.port()) + path);
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (IOException e) {
            throw new IOException("cannot reach " + uri + ": "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
        Map<String, Object> body;
        try {
            body = JSON.std.mapFrom(r.body());
        } catch (IOException e) {
            throw new IOException(uri + " answered " + r.statusCode() + " with no JSON object", e);
        }
        if (r.statusCode() != 200) {
            Object why = body.containsKey("error") ? body.get("error") : body.get("reason");
            throw new IOException(uri + " answered " + r.statusCode() + ": " + why);
        }
        return body;
    }

    /** The STATUS view ({@code ipamd status}) from {@code /v1/pool} and {@code /v1/leases}. */
    public StatusInfo status() throws IOException {
        return pool().status(leaseStatuses(get("/v1/leases")));
    }

    /** {@code /v1/pool}, read into the record the daemon served. */
    public PoolView pool() throws IOException {
        return JSON.std.beanFrom(PoolView.class, JSON.std.asString(get("/v1/pool")));
    }

    static List<StatusInfo.LeaseStatus> leaseStatuses(Map<String, Object> leases) {
        List<StatusInfo.LeaseStatus> out = new ArrayList<>();
        for (Object o : list(leases.get("leases"))) {
            Map<String, Object> l = map(o);
            out.add(new StatusInfo.LeaseStatus(str(l.get("network")), str(l.get("containerId")), str(l.get("ifName")),
                    str(l.get("podNamespace")), str(l.get("podName")), str(l.get("address")),
                    str(l.get("interfaceId")), str(l.get("assignedAt"))));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    static List<?> list(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }

    static String str(Object o) {
        return o == null ? "" : o.toString();
    }

    static int num(Object o) {
        return o instanceof Number n ? n.intValue() : 0;
    }

    private static List<String> strings(Object o) {
        return list(o).stream().map(IntrospectionClient::str).toList();
    }
}
