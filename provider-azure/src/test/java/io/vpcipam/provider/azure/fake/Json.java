package io.vpcipam.provider.azure.fake;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.json.JsonWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/** Untyped JSON for the fakes (maps, lists, strings, numbers, booleans), over azure-json. */
final class Json {

    private Json() {
    }

    /** Parses a document into maps and lists. */
    static Object parse(byte[] body) {
        try (JsonReader r = JsonProviders.createReader(body)) {
            return r.readUntyped();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes maps and lists as JSON. */
    static byte[] write(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonWriter w = JsonProviders.createWriter(out)) {
            w.writeUntyped(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A deep copy. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> copy(Map<String, Object> value) {
        return (Map<String, Object>) parse(write(value));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return o instanceof List<?> l ? (List<Object>) l : null;
    }
}
