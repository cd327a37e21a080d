package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.pool.DecisionView;
import io.vpcipam.ipamd.pool.LeaseView;
import io.vpcipam.ipamd.pool.PoolView;
import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.protocol.StatusInfo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
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
        return pool().status(leases().stream().map(LeaseView::status).toList());
    }

    /** {@code /v1/pool}, read into the record the daemon served. */
    public PoolView pool() throws IOException {
        return read("/v1/pool", PoolView.class);
    }

    /** {@code /v1/leases}, read into the records the daemon served. */
    public List<LeaseView> leases() throws IOException {
        return read("/v1/leases", LeaseView.All.class).leases();
    }

    /** {@code /v1/decisions}, oldest first, read into the records the daemon served. */
    public List<DecisionView> decisions() throws IOException {
        return read("/v1/decisions", DecisionView.All.class).decisions();
    }

    /** {@code path}'s JSON object as a {@code type}. */
    private <T> T read(String path, Class<T> type) throws IOException {
        return parse(JSON.std.asString(get(path)), type);
    }

    /** {@code json} as a {@code type}: keys it does not name are skipped, names not sent are null. */
    static <T> T parse(String json, Class<T> type) throws IOException {
        return JSON.std.beanFrom(type, json);
    }

    /** A JSON list's elements; none if it is not a list. */
    static List<?> list(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }
}
