package io.vpcipam.provider.azure.fake;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The fake ARM's JSON vocabulary: resource ids as keys, a resource's {@code properties}, ARM's error bodies, the
 * reply the HTTP layer sends. Static helpers shared by {@link FakeArm}, its routes and {@link FakeImds}.
 */
final class ArmJson {

    private ArmJson() {
    }

    static final class Reply {
        final int status;
        final Object body;
        final Map<String, String> headers = new LinkedHashMap<>();

        Reply(int status, Object body) {
            this.status = status;
            this.body = body;
        }

        Reply header(String name, String value) {
            headers.put(name, value);
            return this;
        }
    }

    /** The last segment of a resource id. */
    static final class ResourceName {
        private ResourceName() {
        }

        static String of(String id) {
            return id.substring(id.lastIndexOf('/') + 1);
        }
    }

    static List<String> ids(Object list) {
        List<String> out = new ArrayList<>();
        List<Object> l = Json.list(list);
        if (l != null) {
            l.forEach(o -> out.add(idOf(o).toLowerCase(Locale.ROOT)));
        }
        return out;
    }

    static String idOf(Object o) {
        Map<String, Object> m = Json.map(o);
        return m == null || m.get("id") == null ? "" : m.get("id").toString();
    }

    static Map<String, String> tagsOf(Map<String, Object> sent) {
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, Object> t = Json.map(sent.get("tags"));
        if (t != null) {
            t.forEach((k, v) -> out.put(k, String.valueOf(v)));
        }
        return out;
    }

    static String newEtag() {
        return "W/\"" + UUID.randomUUID() + "\"";
    }

    static List<Object> configs(Map<String, Object> nic) {
        return Json.list(props(nic).get("ipConfigurations"));
    }

    static Map<String, Object> props(Map<String, Object> resource) {
        Map<String, Object> p = Json.map(resource.get("properties"));
        if (p == null) {
            p = new LinkedHashMap<>();
            resource.put("properties", p);
        }
        return p;
    }

    static String str(Object o) {
        return o == null ? null : o.toString();
    }

    static String key(String id) {
        String t = id.endsWith("/") ? id.substring(0, id.length() - 1) : id;
        return t.toLowerCase(Locale.ROOT);
    }

    static Reply notFound(String what) {
        return error(404, "ResourceNotFound", "The Resource '" + what + "' was not found.");
    }

    static Reply error(int status, String code, String message) {
        return new Reply(status, obj("error", obj("code", code, "message", message)));
    }

    /** An ordered, mutable JSON object from key/value pairs. */
    static Map<String, Object> obj(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** ARM's answer to an ip-configuration {@code what} naming a subnet the VNet does not have. */
    static Reply unknownSubnet(String subnetId, String what) {
        return error(400, "InvalidResourceReference", "Resource " + subnetId + " referenced by " + what
                + " was not found.");
    }
}
