package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fast JSON path agrees with jackson-jr: what it writes is byte-identical, what it parses is
 * the same tree (same Java types), and whatever it refuses ({@link MiniJson.Unsupported}) is
 * still answered by {@link Json} exactly as jackson-jr answers it. Seeded random trees and
 * mutated texts, so a failure reproduces.
 */
class MiniJsonTest {

    private static final String ODD_CHARS = "\"\\/\b\f\n\r\t\u0000\u0001\u001f\u007f\u0080é\u2028\ud83d\ude00\ud800 {}[]:,";

    @Test
    void write_randomTrees_byteIdenticalToJackson() throws Exception {
        Random rnd = new Random(7);
        for (int i = 0; i < 3000; i++) {
            Object tree = tree(rnd, 0);
            assertEquals(Json.writeWithJackson(tree), MiniJson.write(tree), "tree " + i);
        }
    }

    @Test
    void write_everyAsciiCharInKeysAndValues_byteIdenticalToJackson() throws Exception {
        for (char c = 0; c < 256; c++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("k" + c, "v" + c + c);
            assertEquals(Json.writeWithJackson(m), MiniJson.write(m), "char " + (int) c);
        }
    }

    @Test
    void write_nullMapValues_skippedLikeJackson_nullListItemsKept() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", null);
        m.put("b", new ArrayList<>(java.util.Arrays.asList(null, 1)));
        assertEquals("{\"b\":[null,1]}", MiniJson.write(m));
        assertEquals(Json.writeWithJackson(m), MiniJson.write(m));
    }

    @Test
    void write_otherTypes_refusedAndJsonFallsBackToJackson() {
        Map<String, Object> m = Map.of("x", 1.5);
        assertThrows(MiniJson.Unsupported.class, () -> MiniJson.write(m));
        assertEquals("{\"x\":1.5}", Json.write(m));
    }

    @Test
    void parse_writtenTrees_sameTreeAsJackson() throws Exception {
        Random rnd = new Random(11);
        for (int i = 0; i < 3000; i++) {
            String text = Json.writeWithJackson(tree(rnd, 0));
            if (rnd.nextBoolean()) {
                text = " \n\t" + text + "\r\n ";
            }
            Object expected = Json.parseWithJackson(text);
            Object actual = MiniJson.parse(text);
            assertEquals(expected, actual, text);
            assertSameTypes(expected, actual, text);
        }
    }

    @Test
    void parse_mutatedTexts_acceptsOnlyWhatJacksonAccepts_andAgrees() throws Exception {
        Random rnd = new Random(13);
        String alphabet = "{}[]\",:\\/ 0123456789-+.eEtrufalsn\u0000\n\tuABCDEF";
        int accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            StringBuilder b = new StringBuilder(Json.writeWithJackson(tree(rnd, 0)));
            for (int k = rnd.nextInt(3) + 1; k > 0; k--) {
                int at = b.isEmpty() ? 0 : rnd.nextInt(b.length() + 1);
                switch (rnd.nextInt(3)) {
                    case 0 -> b.insert(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                    case 1 -> {
                        if (at < b.length()) {
                            b.deleteCharAt(at);
                        }
                    }
                    default -> {
                        if (at < b.length()) {
                            b.setCharAt(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                        }
                    }
                }
            }
            String text = b.toString();
            Object fast;
            try {
                fast = MiniJson.parse(text);
            } catch (MiniJson.Unsupported e) {
                continue;
            }
            accepted++;
            Object reference;
            try {
                reference = Json.parseWithJackson(text);
            } catch (IOException e) {
                throw new AssertionError("fast path accepted what jackson rejects: " + text + " (" + e.getMessage() + ")");
            }
            assertEquals(reference, fast, text);
            assertSameTypes(reference, fast, text);
        }
        assertTrue(accepted > 1000, "the mutations should leave many texts valid, were " + accepted);
    }

    @Test
    void parse_refusedInputs_jsonGivesJacksonsAnswer() {
        for (String text : List.of("", " ", "{", "{\"a\":1,}", "[1,]", "01", "1.0", "1e3", "-", "\"\u0001\"",
                "{\"a\":1,\"a\":2}", "'x'", "{\"a\" 1}", "[1 2]", "tru", "nul", "\"\\x\"", "\"\\u12G4\"",
                "123456789012345678901234567890", "9223372036854775808", "{}x", "NaN")) {
            assertThrows(MiniJson.Unsupported.class, () -> MiniJson.parse(text), text);
            Object reference;
            try {
                reference = Json.parseWithJackson(text);
            } catch (IOException e) {
                IOException viaJson = assertThrows(IOException.class, () -> Json.parse(text), text);
                assertEquals(e.getMessage(), viaJson.getMessage(), text);
                continue;
            }
            try {
                assertEquals(reference, Json.parse(text), text);
            } catch (IOException e) {
                throw new AssertionError(text, e);
            }
        }
    }

    @Test
    void parse_nestedDeeperThanTheLimit_isRefusedBeforeJackson_evenWhenValid() {
        for (String text : List.of("[".repeat(201) + "]".repeat(201), "{\"a\":".repeat(201) + "1" + "}".repeat(201),
                "[1.5," + "[".repeat(300) + "]".repeat(300) + "]")) {
            IOException e = assertThrows(IOException.class, () -> Json.parse(text));
            assertEquals("JSON nested deeper than 200 levels", e.getMessage());
        }
        assertTrue(MiniJson.nestedDeeperThan("[\"[[[\\\"[[[\"," + "[".repeat(200) + "]".repeat(200) + "]", 200));
        assertFalse(MiniJson.nestedDeeperThan("[\"[[[\\\"[[[\"," + "[".repeat(199) + "]".repeat(199) + "]", 200));
        assertDoesNotThrow(() -> Json.parse("[1.5," + "[".repeat(199) + "]".repeat(199) + "]"));
        assertDoesNotThrow(() -> Json.parse("[".repeat(200) + "]".repeat(200)));
    }

    @Test
    void parse_integers_integerWhenItFits_elseLong_likeJackson() throws Exception {
        for (String n : List.of("0", "-0", "7", "-2147483648", "2147483647", "2147483648", "-2147483649",
                "999999999999999999", "-999999999999999999")) {
            Object fast = MiniJson.parse(n);
            Object ref = Json.parseWithJackson(n);
            assertEquals(ref, fast, n);
            assertEquals(ref.getClass(), fast.getClass(), n);
        }
    }

    static Object tree(Random rnd, int depth) {
        int kind = rnd.nextInt(depth > 3 ? 5 : 7);
        return switch (kind) {
            case 0 -> string(rnd);
            case 1 -> rnd.nextInt(3) == 0 ? (Object) rnd.nextLong() : (Object) (rnd.nextInt() >> rnd.nextInt(32));
            case 2 -> rnd.nextBoolean();
            case 3 -> rnd.nextInt(4) == 0 ? "" : string(rnd);
            case 4 -> rnd.nextInt(1000) - 500;
            case 5 -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int k = rnd.nextInt(5); k > 0; k--) {
                    Object v = tree(rnd, depth + 1);
                    m.put(string(rnd) + k, v);
                }
                yield m;
            }
            default -> {
                List<Object> l = new ArrayList<>();
                for (int k = rnd.nextInt(5); k > 0; k--) {
                    l.add(rnd.nextInt(10) == 0 ? null : tree(rnd, depth + 1));
                }
                yield l;
            }
        };
    }

    static String string(Random rnd) {
        StringBuilder b = new StringBuilder();
        for (int k = rnd.nextInt(12); k > 0; k--) {
            b.append(rnd.nextInt(4) == 0 ? ODD_CHARS.charAt(rnd.nextInt(ODD_CHARS.length()))
                    : (char) ('a' + rnd.nextInt(26)));
        }
        return b.toString();
    }

    private static void assertSameTypes(Object expected, Object actual, String where) {
        if (expected == null) {
            assertEquals(null, actual, where);
            return;
        }
        assertTrue(actual != null, where);
        if (expected instanceof Map<?, ?> em) {
            assertTrue(actual instanceof Map<?, ?>, where);
            Map<?, ?> am = (Map<?, ?>) actual;
            assertEquals(List.copyOf(em.keySet()), List.copyOf(am.keySet()), where);
            for (Object k : em.keySet()) {
                assertSameTypes(em.get(k), am.get(k), where);
            }
        } else if (expected instanceof List<?> el) {
            assertTrue(actual instanceof List<?>, where);
            for (int i = 0; i < el.size(); i++) {
                assertSameTypes(el.get(i), ((List<?>) actual).get(i), where);
            }
        } else {
            assertEquals(expected.getClass(), actual.getClass(), where);
        }
    }
}
