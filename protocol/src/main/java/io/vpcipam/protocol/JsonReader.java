package io.vpcipam.protocol;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parser behind {@link Json}: recursive descent over a {@code char[]} (array reads, not {@code charAt} calls:
 * the plugin runs interpreted, where each call costs), strict RFC 8259 (no comments, no single quotes, no leading
 * zeros, no raw control characters in strings, literals must end at a delimiter), bounded by {@link Json#MAX_DEPTH}
 * and {@link Json#MAX_NUMBER_CHARS}. Errors name the problem and the offset, and quote at most one character of
 * the input. Not thread-safe; one instance per text.
 */
final class JsonReader {

    private final char[] s;
    private final boolean rejectDuplicates;
    private int i;

    private JsonReader(String text, boolean rejectDuplicates) {
        this.s = text.toCharArray();
        this.rejectDuplicates = rejectDuplicates;
    }

    static Object parse(String text, boolean rejectDuplicates) throws JsonException {
        JsonReader r = new JsonReader(text, rejectDuplicates);
        r.ws();
        if (r.i == r.s.length) {
            throw new JsonException("no JSON value: the text is empty");
        }
        Object v = r.value(0);
        r.ws();
        if (r.i != r.s.length) {
            throw r.error("trailing content after the JSON value");
        }
        return v;
    }

    static List<Object> parseAll(String text) throws JsonException {
        JsonReader r = new JsonReader(text, false);
        List<Object> out = new ArrayList<>();
        r.ws();
        while (r.i < r.s.length) {
            out.add(r.value(0));
            r.ws();
        }
        return out;
    }

    private void ws() {
        char[] s = this.s;
        int i = this.i;
        while (i < s.length) {
            char c = s[i];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                break;
            }
            i++;
        }
        this.i = i;
    }

    private Object value(int depth) throws JsonException {
        if (i >= s.length) {
            throw error("unexpected end of input, expected a value");
        }
        char c = s[i];
        if (c == '"') {
            return string();
        }
        if (c == '{') {
            return object(depth + 1);
        }
        if (c == '[') {
            return array(depth + 1);
        }
        if (c == 't') {
            return literal("true", Boolean.TRUE);
        }
        if (c == 'f') {
            return literal("false", Boolean.FALSE);
        }
        if (c == 'n') {
            return literal("null", null);
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
        }
        throw unexpected("a value");
    }

    private Object literal(String word, Object v) throws JsonException {
        int n = word.length();
        for (int k = 0; k < n; k++) {
            if (i + k >= s.length || s[i + k] != word.charAt(k)) {
                i += k;
                throw unexpected(cat("'", word, "'"));
            }
        }
        i += n;
        if (i < s.length && isWordChar(s[i])) {
            throw unexpected(cat("a delimiter after '", word, "'"));
        }
        return v;
    }

    private Map<String, Object> object(int depth) throws JsonException {
        if (depth > Json.MAX_DEPTH) {
            throw error("nested deeper than " + Json.MAX_DEPTH + " levels");
        }
        i++;
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (i < s.length && s[i] == '}') {
            i++;
            return m;
        }
        while (true) {
            if (i >= s.length || s[i] != '"') {
                throw unexpected("a quoted key");
            }
            int keyAt = i;
            String key = string();
            ws();
            if (i >= s.length || s[i] != ':') {
                throw unexpected("':'");
            }
            i++;
            ws();
            Object v = value(depth);
            int before = m.size();
            m.put(key, v);
            if (rejectDuplicates && m.size() == before) {
                i = keyAt;
                throw error(cat("duplicate key \"", abbreviate(key), "\""));
            }
            ws();
            if (i >= s.length) {
                throw error("unexpected end of input in an object, expected ',' or '}'");
            }
            char c = s[i];
            if (c == '}') {
                i++;
                return m;
            }
            if (c != ',') {
                throw unexpected("',' or '}'");
            }
            i++;
            ws();
        }
    }

    private List<Object> array(int depth) throws JsonException {
        if (depth > Json.MAX_DEPTH) {
            throw error("nested deeper than " + Json.MAX_DEPTH + " levels");
        }
        i++;
        List<Object> l = new ArrayList<>();
        ws();
        if (i < s.length && s[i] == ']') {
            i++;
            return l;
        }
        while (true) {
            l.add(value(depth));
            ws();
            if (i >= s.length) {
                throw error("unexpected end of input in an array, expected ',' or ']'");
            }
            char c = s[i];
            if (c == ']') {
                i++;
                return l;
            }
            if (c != ',') {
                throw unexpected("',' or ']'");
            }
            i++;
            ws();
        }
    }

    private String string() throws JsonException {
        char[] s = this.s;
        int start = ++i;
        int k = start;
        while (k < s.length) {
            char c = s[k];
            if (c == '"') {
                i = k + 1;
                return new String(s, start, k - start);
            }
            if (c == '\\') {
                break;
            }
            if (c < 0x20) {
                i = k;
                throw error(cat("unescaped control character U+", hex4(c), " in a string"));
            }
            k++;
        }
        i = k;
        return escapedString(start);
    }

    /** The rest of a string from its first backslash (at {@code i}); {@code start} is its first character. */
    private String escapedString(int start) throws JsonException {
        char[] s = this.s;
        StringBuilder b = new StringBuilder(i - start + 16).append(s, start, i - start);
        while (i < s.length) {
            char c = s[i];
            if (c == '"') {
                i++;
                return b.toString();
            }
            if (c < 0x20) {
                throw error(cat("unescaped control character U+", hex4(c), " in a string"));
            }
            if (c != '\\') {
                b.append(c);
                i++;
                continue;
            }
            if (i + 1 >= s.length) {
                break;
            }
            char e = s[i + 1];
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    int v = 0;
                    for (int k = 2; k < 6; k++) {
                        int d = i + k < s.length ? hexDigit(s[i + k]) : -1;
                        if (d < 0) {
                            i += Math.min(k, s.length - i);
                            throw error("bad \\u escape: expected 4 hex digits");
                        }
                        v = v << 4 | d;
                    }
                    b.append((char) v);
                    i += 4;
                }
                default -> {
                    i++;
                    throw unexpected("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
                }
            }
            i += 2;
        }
        throw error("unexpected end of input in a string");
    }

    /** -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? as Integer, Long, BigInteger or Double. */
    private Object number() throws JsonException {
        char[] s = this.s;
        int start = i;
        int k = i;
        boolean negative = s[k] == '-';
        if (negative) {
            k++;
        }
        int digits = k;
        while (k < s.length && s[k] >= '0' && s[k] <= '9') {
            k++;
        }
        int n = k - digits;
        if (n == 0) {
            i = k;
            throw unexpected("a digit");
        }
        if (n > 1 && s[digits] == '0') {
            i = digits;
            throw error("leading zeros are not allowed in a number");
        }
        boolean integral = true;
        if (k < s.length && s[k] == '.') {
            integral = false;
            int f = ++k;
            while (k < s.length && s[k] >= '0' && s[k] <= '9') {
                k++;
            }
            if (k == f) {
                i = k;
                throw unexpected("a digit after the decimal point");
            }
        }
        if (k < s.length && (s[k] == 'e' || s[k] == 'E')) {
            integral = false;
            k++;
            if (k < s.length && (s[k] == '+' || s[k] == '-')) {
                k++;
            }
            int e = k;
            while (k < s.length && s[k] >= '0' && s[k] <= '9') {
                k++;
            }
            if (k == e) {
                i = k;
                throw unexpected("a digit in the exponent");
            }
        }
        if (k - start > Json.MAX_NUMBER_CHARS) {
            i = start;
            throw error("number longer than " + Json.MAX_NUMBER_CHARS + " characters");
        }
        if (k < s.length && (isWordChar(s[k]) || s[k] == '.')) {
            i = k;
            throw unexpected("a delimiter after a number");
        }
        i = k;
        if (!integral) {
            return Double.parseDouble(new String(s, start, k - start));
        }
        if (n <= 9) {
            int v = 0;
            for (int d = digits; d < k; d++) {
                v = v * 10 + (s[d] - '0');
            }
            return negative ? -v : v;
        }
        if (n <= 18) {
            long v = 0;
            for (int d = digits; d < k; d++) {
                v = v * 10 + (s[d] - '0');
            }
            v = negative ? -v : v;
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                return (int) v;
            }
            return v;
        }
        BigInteger big = new BigInteger(new String(s, start, k - start));
        return big.bitLength() < 64 ? (Object) big.longValue() : big;
    }

    private static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c > 0x7f;
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static String hex4(char c) {
        String h = Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT);
        return "0000".substring(h.length()).concat(h);
    }

    private JsonException unexpected(String expected) {
        if (i >= s.length) {
            return error(cat("unexpected end of input, expected ", expected));
        }
        char c = s[i];
        String shown = c >= 0x20 && c < 0x7f ? cat("'", String.valueOf(c), "'") : cat("U+", hex4(c));
        return error(cat("unexpected character ", shown, ", expected ", expected));
    }

    /**
     * Joins message parts without {@code +}: javac compiles {@code +} to an invokedynamic whose first use
     * bootstraps method handles, hundreds of frames deep, and an error is often raised 200 levels down
     * (a stack overflow instead of the message), and in the plugin each bootstrap costs start-up time.
     */
    private static String cat(String... parts) {
        StringBuilder b = new StringBuilder();
        for (String p : parts) {
            b.append(p);
        }
        return b.toString();
    }

    private JsonException error(String message) {
        return new JsonException(new StringBuilder(message.length() + 20).append(message).append(" at offset ").append(i)
                .toString());
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40).concat("...");
    }
}
