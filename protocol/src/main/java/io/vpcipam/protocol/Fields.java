package io.vpcipam.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Typed reads of a parsed message's fields for {@link Codec} and {@link StatusCodec}, and the one place their errors
 * are worded: a JSON null counts as absent, and a value of the wrong type is BAD_REQUEST naming the field by its
 * path ({@code lease.mtu must be an integer, was a string}).
 */
final class Fields {

    private Fields() {
    }

    /** {@code line} parsed as one JSON object; {@code what} ("request", "reply") names it in errors. */
    static Map<String, Object> parseObject(String line, String what) throws ProtocolException {
        if (line == null || line.isBlank()) {
            throw bad("empty " + what + " frame");
        }
        Object tree;
        try {
            tree = Json.parse(line);
        } catch (JsonException e) {
            throw bad(what + " is not valid JSON: " + e.getMessage());
        }
        if (!(tree instanceof Map<?, ?> map)) {
            throw bad(what + " must be a JSON object, was " + Json.type(tree));
        }
        return cast(map);
    }

    static String string(Map<String, Object> m, String key, String path) throws ProtocolException {
        Object v = m.get(key);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw bad(path + key + " must be a string, was " + Json.type(v));
    }

    static Boolean bool(Map<String, Object> m, String key, String path) throws ProtocolException {
        Object v = m.get(key);
        if (v == null || v instanceof Boolean) {
            return (Boolean) v;
        }
        throw bad(path + key + " must be a boolean, was " + Json.type(v));
    }

    static Integer integer(Map<String, Object> m, String key, String path) throws ProtocolException {
        Object v = m.get(key);
        if (v == null || v instanceof Integer) {
            return (Integer) v;
        }
        if (v instanceof Long || v instanceof java.math.BigInteger) {
            throw bad(path + key + " is out of range for a 32-bit integer");
        }
        throw bad(path + key + " must be an integer, was " + Json.type(v));
    }

    static int intOr0(Map<String, Object> m, String key, String path) throws ProtocolException {
        Integer v = integer(m, key, path);
        return v == null ? 0 : v;
    }

    static Map<String, Object> object(Map<String, Object> m, String key, String path) throws ProtocolException {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Map<?, ?> map) {
            return cast(map);
        }
        throw bad(path + key + " must be an object, was " + Json.type(v));
    }

    static List<Object> list(Map<String, Object> m, String key, String path) throws ProtocolException {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> list = (List<Object>) l;
            return list;
        }
        throw bad(path + key + " must be an array, was " + Json.type(v));
    }

    /** Element {@code i} of the array {@code name} (a path, e.g. "status.leases"), which must be an object. */
    static Map<String, Object> element(List<Object> list, int i, String name) throws ProtocolException {
        if (list.get(i) instanceof Map<?, ?> map) {
            return cast(map);
        }
        throw bad(name + "[" + i + "] must be an object");
    }

    /** An array of strings; absent is the empty list. */
    static List<String> strings(Map<String, Object> m, String key, String path) throws ProtocolException {
        List<Object> raw = list(m, key, path);
        if (raw == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            if (!(raw.get(i) instanceof String s)) {
                throw bad(path + key + "[" + i + "] must be a string, was " + Json.type(raw.get(i)));
            }
            out.add(s);
        }
        return out;
    }

    static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }

    static ProtocolException bad(String message) {
        return new ProtocolException(ErrorCodes.BAD_REQUEST, message);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }
}
