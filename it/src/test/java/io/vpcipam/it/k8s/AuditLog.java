package io.vpcipam.it.k8s;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The API server's audit log (one JSON event per line), read back for the tests: one entry per request, at
 * ResponseComplete, and for a watch at RequestReceived (it may run for minutes).
 */
public final class AuditLog {

    /** One request as the API server saw it. */
    public record Entry(Instant at, String user, String verb, String group, String resource, String subresource,
                        String namespace, String name, String uri, int code, String decision) {

        /** "verb group/resource[/subresource]": what an RBAC rule grants. */
        public String permission() {
            return verb + " " + (group.isEmpty() ? "" : group + "/") + resource
                    + (subresource.isEmpty() ? "" : "/" + subresource);
        }
    }

    private AuditLog() {
    }

    /** Every completed request in the log so far. */
    public static List<Entry> read(Path file) {
        List<Entry> out = new ArrayList<>();
        try {
            if (!Files.exists(file)) {
                return out;
            }
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank()) {
                    continue;
                }
                Map<String, Object> e = JSON.std.mapFrom(line);
                // a watch is counted when it is received (a websocket watch is logged again only when it ends,
                // minutes later, with no decision recorded before); everything else when it completes
                boolean watch = "watch".equals(e.get("verb"));
                if (!(watch ? "RequestReceived" : "ResponseComplete").equals(e.get("stage"))) {
                    continue;
                }
                Map<?, ?> user = map(e.get("user"));
                Map<?, ?> ref = map(e.get("objectRef"));
                Map<?, ?> status = map(e.get("responseStatus"));
                Object code = status.get("code");
                out.add(new Entry(Instant.parse(str(e.get("requestReceivedTimestamp"))), str(user.get("username")),
                        str(e.get("verb")), str(ref.get("apiGroup")), str(ref.get("resource")),
                        str(ref.get("subresource")), str(ref.get("namespace")), str(ref.get("name")),
                        str(e.get("requestURI")), code instanceof Number n ? n.intValue() : 0,
                        str(map(e.get("annotations")).get("authorization.k8s.io/decision"))));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The completed requests made by {@code user}. */
    public static List<Entry> by(Path file, String user) {
        return read(file).stream().filter(e -> e.user().equals(user)).toList();
    }

    private static Map<?, ?> map(Object o) {
        return o instanceof Map<?, ?> m ? m : Map.of();
    }

    private static String str(Object o) {
        return o == null ? "" : o.toString();
    }
}
