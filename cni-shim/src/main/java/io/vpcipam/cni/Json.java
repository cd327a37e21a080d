package io.vpcipam.cni;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * JSON for the plugin: parse into plain Map/List trees and write them back. jackson-jr comes
 * with protocol, so the plugin adds no library of its own; trees rather than bound classes keep
 * unknown fields (chained plugins' config, prevResult) intact and start-up cheap. Every call
 * tries {@link MiniJson} first and gives what it refuses to jackson-jr, which is only loaded
 * then (its first use in a fresh JVM costs more than the rest of a typical call).
 */
final class Json {

    /** jackson-jr, initialised on first use only. */
    private static final class Jackson {
        static final JSON JSON_RW = JSON.std.with(JSON.Feature.USE_DEFERRED_MAPS, false)
                .with(JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS);
    }

    private Json() {
    }

    /**
     * Parses one JSON value; throws IOException (with jackson's message) when it is not exactly one.
     * Input nested deeper than {@link MiniJson#MAX_DEPTH} is refused before jackson-jr sees it: its
     * recursion needs more stack per level than the launcher's {@code -Xss512k} gives for its own
     * limit of 1000 levels, and a StackOverflowError must never decide what a config is.
     */
    static Object parse(String text) throws IOException {
        try {
            return MiniJson.parse(text);
        } catch (MiniJson.Unsupported e) {
            if (MiniJson.nestedDeeperThan(text, MiniJson.MAX_DEPTH)) {
                throw new IOException("JSON nested deeper than " + MiniJson.MAX_DEPTH + " levels");
            }
            return parseWithJackson(text);
        }
    }

    /** {@link #parse} with jackson-jr only: the reference the fast path is tested against. */
    static Object parseWithJackson(String text) throws IOException {
        JSON json = Jackson.JSON_RW;
        try (JsonParser p = json.getStreamingFactory().createParser(text)) {
            Object tree = json.anyFrom(p);
            if (p.nextToken() != null) {
                throw new IOException("trailing content after the JSON value");
            }
            return tree;
        } catch (RuntimeException e) {
            throw new IOException(String.valueOf(e.getMessage()), e);
        } catch (StackOverflowError e) {
            // Only reachable through parseWithJackson called directly (tests): parse bounds the depth first.
            throw new IOException("JSON nested too deeply for the stack");
        }
    }

    /** Parses a stream of JSON values (what {@code ip -j -batch} prints: one array per command). */
    static List<Object> parseAll(String text) throws IOException {
        List<Object> out = new ArrayList<>();
        JSON json = Jackson.JSON_RW;
        try (JsonParser p = json.getStreamingFactory().createParser(text)) {
            while (p.nextToken() != null) {
                out.add(json.anyFrom(p));
            }
        } catch (RuntimeException e) {
            throw new IOException(String.valueOf(e.getMessage()), e);
        }
        return out;
    }

    /** Writes a tree (maps keep their insertion order) as compact JSON. */
    static String write(Object tree) {
        try {
            return MiniJson.write(tree);
        } catch (MiniJson.Unsupported e) {
            return writeWithJackson(tree);
        }
    }

    /** {@link #write} with jackson-jr only: the reference the fast path is tested against. */
    static String writeWithJackson(Object tree) {
        try {
            return Jackson.JSON_RW.asString(tree);
        } catch (IOException e) {
            // Only maps, lists, strings, numbers and booleans are ever written.
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** A short description of a JSON value's type, for error messages. */
    static String type(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Boolean) {
            return "a boolean";
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
        return "a " + v.getClass().getSimpleName();
    }
}
