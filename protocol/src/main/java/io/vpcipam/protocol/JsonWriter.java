package io.vpcipam.protocol;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Compact JSON into a {@link StringBuilder}, two ways: {@link #value} writes a whole tree ({@link Json#write}), and
 * an instance writes a message field by field with no tree in between ({@link Codec}), which is what makes an
 * encode cheap interpreted. Output is byte-identical to jackson-jr's for the same tree (map entries with a null
 * value left out, jackson-core's string escaping, numbers as {@code toString}), which the tests check on random
 * trees.
 *
 * <p>The field writers keep one flag, whether the innermost open object or array has a member yet; closing one
 * sets it, since the enclosing container then has one. Not thread-safe; one instance per message.
 */
final class JsonWriter {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final StringBuilder b;
    private boolean hasMember;

    JsonWriter(int capacity) {
        this.b = new StringBuilder(capacity);
    }

    /** Opens the top-level object. */
    JsonWriter begin() {
        b.append('{');
        hasMember = false;
        return this;
    }

    /** Closes the innermost object. */
    JsonWriter end() {
        b.append('}');
        hasMember = true;
        return this;
    }

    /** Closes the innermost array. */
    JsonWriter endArray() {
        b.append(']');
        hasMember = true;
        return this;
    }

    /** Opens an object as the value of {@code key}. */
    JsonWriter object(String key) {
        key(key);
        b.append('{');
        hasMember = false;
        return this;
    }

    /** Opens an array as the value of {@code key}. */
    JsonWriter array(String key) {
        key(key);
        b.append('[');
        hasMember = false;
        return this;
    }

    /** Opens an object as the next element of the innermost array. */
    JsonWriter element() {
        if (hasMember) {
            b.append(',');
        }
        b.append('{');
        hasMember = false;
        return this;
    }

    /** {@code key} and its string; nothing when {@code value} is null (protocol v1 omits null fields). */
    JsonWriter string(String key, String value) {
        if (value != null) {
            key(key);
            quote(b, value);
        }
        return this;
    }

    /** {@code key} and its integer. */
    JsonWriter number(String key, int value) {
        key(key);
        b.append(value);
        return this;
    }

    /** {@code key} and its integer; nothing when null. */
    JsonWriter number(String key, Integer value) {
        if (value != null) {
            key(key);
            b.append(value.intValue());
        }
        return this;
    }

    /** {@code key} and its boolean. */
    JsonWriter bool(String key, boolean value) {
        key(key);
        b.append(value);
        return this;
    }

    /** {@code key} and an array of strings (never omitted: an empty list is {@code []}). */
    JsonWriter strings(String key, List<String> values) {
        key(key);
        b.append('[');
        for (int k = 0; k < values.size(); k++) {
            if (k > 0) {
                b.append(',');
            }
            String v = values.get(k);
            if (v == null) {
                b.append("null");
            } else {
                quote(b, v);
            }
        }
        b.append(']');
        hasMember = true;
        return this;
    }

    @Override
    public String toString() {
        return b.toString();
    }

    private void key(String key) {
        if (hasMember) {
            b.append(',');
        }
        hasMember = true;
        quote(b, key);
        b.append(':');
    }

    // ------------------------------------------------------------------ trees

    /** Writes one tree value; if-chains, not a pattern switch (its bootstrap spins a class in every plugin process). */
    static void value(StringBuilder b, Object v, int depth) {
        if (depth > Json.MAX_DEPTH) {
            throw new IllegalArgumentException("tree nested deeper than " + Json.MAX_DEPTH + " levels");
        }
        if (v == null) {
            b.append("null");
        } else if (v instanceof String str) {
            quote(b, str);
        } else if (v instanceof Integer n) {
            b.append(n.intValue());
        } else if (v instanceof Boolean bool) {
            b.append(bool.booleanValue());
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getValue() == null) {
                    continue;
                }
                if (!first) {
                    b.append(',');
                }
                first = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                value(b, e.getValue(), depth + 1);
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int k = 0; k < l.size(); k++) {
                if (k > 0) {
                    b.append(',');
                }
                value(b, l.get(k), depth + 1);
            }
            b.append(']');
        } else if (v instanceof Long || v instanceof Short || v instanceof Byte || v instanceof BigInteger
                || v instanceof BigDecimal) {
            b.append(v);
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isFinite(d)) {
                b.append(v);
            } else {
                // jackson-core's default (WRITE_NAN_AS_STRINGS): JSON has no literal for these.
                b.append('"').append(v).append('"');
            }
        } else {
            throw new IllegalArgumentException("cannot write a ".concat(v.getClass().getName()).concat(" as JSON"));
        }
    }

    /** jackson-core's escaping: '"', '\\', \b \t \n \f \r, other controls as \\u00XX; nothing else. */
    static void quote(StringBuilder b, String str) {
        b.append('"');
        int start = 0;
        int n = str.length();
        for (int k = 0; k < n; k++) {
            char c = str.charAt(k);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            b.append(str, start, k);
            start = k + 1;
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\b' -> b.append("\\b");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\f' -> b.append("\\f");
                case '\r' -> b.append("\\r");
                default -> b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        b.append(str, start, n).append('"');
    }
}
