package io.vpcipam.cni;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The plugin's fast JSON path: a strict reader and a writer for the plain trees the plugin
 * handles (objects, arrays, strings, 32/64-bit integers, booleans, null). It exists for start-up
 * time only: in a fresh JVM with the AOT cache, jackson-jr's first parse costs ~15-30 ms of
 * one-time initialisation, paid by every ADD and every DEL; this class costs well under 1 ms.
 *
 * <p>Design: it never decides what is valid. Whatever it does not handle exactly as jackson-jr
 * does (any syntax error, duplicate keys, fractions and exponents, integers beyond 64 bits,
 * nesting deeper than {@link #MAX_DEPTH}, values of other types on the write side) it refuses
 * with {@link Unsupported}, and {@link Json} hands the same input to jackson-jr, so results and
 * error messages stay jackson's. What it accepts it returns as jackson-jr configured like
 * {@link Json} would (LinkedHashMap, ArrayList, Integer when it fits else Long); what it writes
 * is byte-identical to jackson-jr's output (tests compare both on random trees).
 */
final class MiniJson {

    /** The most arrays and objects a config may open inside each other; deeper input is a decoding error. */
    static final int MAX_DEPTH = 200;

    /** The input or tree is outside what this class handles; use jackson-jr. Carries no stack. */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;
        static final Unsupported INSTANCE = new Unsupported();

        private Unsupported() {
            super("outside the fast JSON path", null, false, false);
        }
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final String s;
    private int i;

    private MiniJson(String s) {
        this.s = s;
    }

    /** Parses exactly one JSON value with optional surrounding whitespace. */
    static Object parse(String text) throws Unsupported {
        MiniJson p = new MiniJson(text);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.i != text.length()) {
            throw Unsupported.INSTANCE;
        }
        return v;
    }

    /**
     * Whether {@code text} opens more than {@code max} arrays or objects inside each other, counting
     * only brackets outside strings. Linear, no recursion: it is the guard in front of jackson-jr.
     */
    static boolean nestedDeeperThan(String text, int max) {
        int depth = 0;
        boolean inString = false;
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            if (inString) {
                if (c == '\\') {
                    k++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                if (++depth > max) {
                    return true;
                }
            } else if (c == '}' || c == ']') {
                depth--;
            }
        }
        return false;
    }

    /** Writes a tree as compact JSON, as jackson-jr does (null map entries skipped). */
    static String write(Object tree) throws Unsupported {
        StringBuilder b = new StringBuilder(256);
        write(b, tree, 0);
        return b.toString();
    }

    // ------------------------------------------------------------------ reading

    private void ws() {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            i++;
        }
    }

    private Object value(int depth) throws Unsupported {
        if (i >= s.length() || depth > MAX_DEPTH) {
            throw Unsupported.INSTANCE;
        }
        char c = s.charAt(i);
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> number();
        };
    }

    private Object literal(String word, Object v) throws Unsupported {
        if (!s.startsWith(word, i)) {
            throw Unsupported.INSTANCE;
        }
        i += word.length();
        // "truex" and "true1" are errors for jackson too: a literal must end at a delimiter.
        if (i < s.length() && Character.isLetterOrDigit(s.charAt(i))) {
            throw Unsupported.INSTANCE;
        }
        return v;
    }

    private Map<String, Object> object(int depth) throws Unsupported {
        if (depth > MAX_DEPTH) {
            throw Unsupported.INSTANCE;
        }
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (i < s.length() && s.charAt(i) == '}') {
            i++;
            return m;
        }
        while (true) {
            if (i >= s.length() || s.charAt(i) != '"') {
                throw Unsupported.INSTANCE;
            }
            String key = string();
            ws();
            if (i >= s.length() || s.charAt(i) != ':') {
                throw Unsupported.INSTANCE;
            }
            i++;
            ws();
            Object v = value(depth);
            if (m.containsKey(key)) {
                throw Unsupported.INSTANCE;
            }
            m.put(key, v);
            ws();
            if (i >= s.length()) {
                throw Unsupported.INSTANCE;
            }
            char c = s.charAt(i++);
            if (c == '}') {
                return m;
            }
            if (c != ',') {
                throw Unsupported.INSTANCE;
            }
            ws();
        }
    }

    private List<Object> array(int depth) throws Unsupported {
        if (depth > MAX_DEPTH) {
            throw Unsupported.INSTANCE;
        }
        i++;
        List<Object> l = new ArrayList<>();
        ws();
        if (i < s.length() && s.charAt(i) == ']') {
            i++;
            return l;
        }
        while (true) {
            l.add(value(depth));
            ws();
            if (i >= s.length()) {
                throw Unsupported.INSTANCE;
            }
            char c = s.charAt(i++);
            if (c == ']') {
                return l;
            }
            if (c != ',') {
                throw Unsupported.INSTANCE;
            }
            ws();
        }
    }

    private String string() throws Unsupported {
        int start = ++i;
        StringBuilder b = null;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '"') {
                String out = b == null ? s.substring(start, i) : b.append(s, start, i).toString();
                i++;
                return out;
            }
            if (c < 0x20) {
                throw Unsupported.INSTANCE;
            }
            if (c != '\\') {
                i++;
                continue;
            }
            if (b == null) {
                b = new StringBuilder();
            }
            b.append(s, start, i);
            if (i + 1 >= s.length()) {
                throw Unsupported.INSTANCE;
            }
            char e = s.charAt(i + 1);
            i += 2;
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw Unsupported.INSTANCE;
                    }
                    int v = 0;
                    for (int k = 0; k < 4; k++) {
                        int d = Character.digit(s.charAt(i + k), 16);
                        if (d < 0 || s.charAt(i + k) > 'f') {
                            throw Unsupported.INSTANCE;
                        }
                        v = v * 16 + d;
                    }
                    i += 4;
                    b.append((char) v);
                }
                default -> throw Unsupported.INSTANCE;
            }
            start = i;
        }
        throw Unsupported.INSTANCE;
    }

    /** Integers only: -?(0|[1-9][0-9]*) within a long; the rest (jackson: BigInteger, Double) goes to jackson. */
    private Object number() throws Unsupported {
        int start = i;
        if (i < s.length() && s.charAt(i) == '-') {
            i++;
        }
        int digits = i;
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        int n = i - digits;
        if (n == 0 || n > 19 || (n > 1 && s.charAt(digits) == '0')) {
            throw Unsupported.INSTANCE;
        }
        if (i < s.length()) {
            char c = s.charAt(i);
            if (c == '.' || c == 'e' || c == 'E' || Character.isLetterOrDigit(c)) {
                throw Unsupported.INSTANCE;
            }
        }
        long v;
        try {
            v = Long.parseLong(s, start, i, 10);
        } catch (NumberFormatException e) {
            throw Unsupported.INSTANCE;
        }
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            return (int) v;
        }
        return v;
    }

    // ------------------------------------------------------------------ writing

    private static void write(StringBuilder b, Object v, int depth) throws Unsupported {
        if (depth > MAX_DEPTH) {
            throw Unsupported.INSTANCE;
        }
        // if-chains, not a pattern switch: its bootstrap spins a class at run time in every plugin process.
        if (v == null) {
            b.append("null");
        } else if (v instanceof String str) {
            quote(b, str);
        } else if (v instanceof Integer n) {
            b.append(n.intValue());
        } else if (v instanceof Long n) {
            b.append(n.longValue());
        } else if (v instanceof Boolean bool) {
            b.append(bool.booleanValue());
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (e.getValue() == null) {
                    continue;
                }
                if (!(e.getKey() instanceof String k)) {
                    throw Unsupported.INSTANCE;
                }
                if (!first) {
                    b.append(',');
                }
                first = false;
                quote(b, k);
                b.append(':');
                write(b, e.getValue(), depth + 1);
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int k = 0; k < l.size(); k++) {
                if (k > 0) {
                    b.append(',');
                }
                write(b, l.get(k), depth + 1);
            }
            b.append(']');
        } else {
            throw Unsupported.INSTANCE;
        }
    }

    /** jackson-core's escaping: '"', '\\', \b \t \n \f \r, other controls as \\u00XX; nothing else. */
    private static void quote(StringBuilder b, String str) {
        b.append('"');
        int start = 0;
        for (int k = 0; k < str.length(); k++) {
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
        b.append(str, start, str.length()).append('"');
    }
}
