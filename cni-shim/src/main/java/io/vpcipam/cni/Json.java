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
 * unknown fields (chained plugins' config, prevResult) intact and start-up cheap.
 */
final class Json {

    private static final JSON JSON_RW = JSON.std.with(JSON.Feature.USE_DEFERRED_MAPS, false)
            .with(JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS);

    private Json() {
    }

    /** Parses one JSON value; throws IOException (with jackson's message) when it is not exactly one. */
    static Object parse(String text) throws IOException {
        try (JsonParser p = JSON_RW.getStreamingFactory().createParser(text)) {
            Object tree = JSON_RW.anyFrom(p);
            if (p.nextToken() != null) {
                throw new IOException("trailing content after the JSON value");
            }
            return tree;
        } catch (RuntimeException e) {
            throw new IOException(String.valueOf(e.getMessage()), e);
        }
    }

    /** Parses a stream of JSON values (what {@code ip -j -batch} prints: one array per command). */
    static List<Object> parseAll(String text) throws IOException {
        List<Object> out = new ArrayList<>();
        try (JsonParser p = JSON_RW.getStreamingFactory().createParser(text)) {
            while (p.nextToken() != null) {
                out.add(JSON_RW.anyFrom(p));
            }
        } catch (RuntimeException e) {
            throw new IOException(String.valueOf(e.getMessage()), e);
        }
        return out;
    }

    /** Writes a tree (maps keep their insertion order) as compact JSON. */
    static String write(Object tree) {
        try {
            return JSON_RW.asString(tree);
        } catch (IOException e) {
            // Only maps, lists, strings, numbers and booleans are ever written.
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** A short description of a JSON value's type, for error messages. */
    static String type(Object v) {
        return switch (v) {
            case null -> "null";
            case String _ -> "a string";
            case Boolean _ -> "a boolean";
            case Number _ -> "a number";
            case Map<?, ?> _ -> "an object";
            case List<?> _ -> "an array";
            default -> "a " + v.getClass().getSimpleName();
        };
    }
}
