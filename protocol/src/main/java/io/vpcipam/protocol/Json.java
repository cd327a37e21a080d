package io.vpcipam.protocol;

import java.util.List;
import java.util.Map;

/**
 * The JSON both ends of the socket use, and the plugin for its config and results: strict RFC 8259 text into
 * plain trees and back, hand-written so that the plugin (a fresh JVM per pod, interpreted) pays no library
 * start-up and ipamd no reflection.
 *
 * <p>Trees: objects are {@link java.util.LinkedHashMap} (input order kept, so a chained plugin's config and a
 * prevResult pass through as they came), arrays {@link java.util.ArrayList}, strings, booleans, null, and numbers as
 * {@link Integer} when they fit, else {@link Long}, else {@link java.math.BigInteger}; numbers with a fraction or
 * exponent are {@link Double}. This is what jackson-jr gave before (the tests compare both on random input), so
 * nothing that read a tree changed.
 *
 * <p>Limits that turn hostile input into a clear error instead of a stack overflow or a quadratic parse: at most
 * {@link #MAX_DEPTH} nested arrays and objects, numbers of at most {@link #MAX_NUMBER_CHARS} characters.
 */
public final class Json {

    /**
     * The most arrays and objects a text may open inside each other. Protocol messages nest 3 deep and CNI configs
     * a few more; 200 keeps the recursion well inside the plugin's {@code -Xss512k} even interpreted.
     */
    public static final int MAX_DEPTH = 200;
    /** The longest number, in characters (jackson's default limit too): a longer one is an error. */
    public static final int MAX_NUMBER_CHARS = 1000;

    private Json() {
    }

    /**
     * Parses exactly one JSON value, with optional whitespace around it.
     *
     * @throws JsonException when {@code text} is not one JSON value, repeats a key in an object, or breaks a limit
     */
    public static Object parse(String text) throws JsonException {
        return JsonReader.parse(text, true);
    }

    /**
     * Parses a sequence of JSON values separated by whitespace, as {@code ip -j -batch} prints them (one array per
     * command). A repeated key is allowed here, the last one wins: some iproute2 versions print one.
     *
     * @throws JsonException when the text is not such a sequence
     */
    public static List<Object> parseAll(String text) throws JsonException {
        return JsonReader.parseAll(text);
    }

    /**
     * Writes a tree as compact JSON: map entries with a null value are left out, strings are escaped as
     * jackson-core escapes them (quote, backslash, control characters; nothing else), so the bytes are those
     * jackson-jr wrote before.
     *
     * @throws IllegalArgumentException for a value that is not a map, list, string, number, boolean or null, or a
     *                                  tree nested deeper than {@link #MAX_DEPTH}
     */
    public static String write(Object tree) {
        StringBuilder b = new StringBuilder(256);
        JsonWriter.value(b, tree, 0);
        return b.toString();
    }

    /** A short description of a tree value's JSON type for error messages: "a string", "an object", ... */
    public static String type(Object v) {
        // if-chains, not a pattern switch: its bootstrap spins a class at run time in every plugin process.
        if (v == null) {
            return "null";
        }
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        if (v instanceof Integer) {
            return "an integer";
        }
        if (v instanceof Number) {
            return "a number";
        }
        if (v instanceof Map<?, ?>) {
            return "an object";
        }
        if (v instanceof List<?>) {
            return "an array";
        }
        return "a ".concat(v.getClass().getSimpleName());
    }
}
