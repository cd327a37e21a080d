package io.vpcipam.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.strings;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.Generate;

/**
 * Wire compatibility with the codec as it was on jackson-jr ({@link JacksonCodecV1}): the same bytes for every
 * message, and for every line, valid or broken, the same message or a ProtocolException with the same code (and,
 * past the JSON syntax, the same words). The one place they differ on purpose is tested at the end.
 */
class JacksonCodecV1Test {

    @Test
    void anyRequest_encodesToTheSameBytes_andDecodesTheSame() {
        qt().withExamples(1000).forAll(CodecPropertiesTest.requests()).checkAssert(request -> {
            String line = JacksonCodecV1.encode(request);
            assertEquals(line, Codec.encode(request));
            sameDecoding(line);
        });
    }

    @Test
    void anyReply_encodesToTheSameBytes_andDecodesTheSame() {
        qt().withExamples(1000).forAll(CodecPropertiesTest.replies()).checkAssert(reply -> {
            String line = JacksonCodecV1.encode(reply);
            assertEquals(line, Codec.encode(reply));
            sameDecoding(line);
        });
    }

    @Test
    void mutatedMessages_decodeTheSame() {
        qt().withExamples(1000).forAll(CodecPropertiesTest.requests(), CodecPropertiesTest.replies(),
                CodecPropertiesTest.mutations()).checkAssert((request, reply, mutations) -> {
            for (String valid : List.of(Codec.encode(request), Codec.encode(reply))) {
                sameDecoding(CodecPropertiesTest.mutate(valid, mutations));
            }
        });
    }

    @Test
    void arbitraryStrings_decodeTheSame() {
        qt().withExamples(1000).forAll(Generate.oneOf(strings().allPossible().ofLengthBetween(0, 64),
                strings().ascii().ofLengthBetween(0, 64))).checkAssert(JacksonCodecV1Test::sameDecoding);
    }

    @Test
    void handPickedLines_decodeTheSame() {
        for (String line : List.of("{\"version\":1,\"op\":\"add\",\"network\":\"n\",\"containerId\":\"c\",\"ifName\":\"e\","
                        + "\"netns\":\"/x\",\"future\":[1.5,-0,1e999,12345678901234567890,{\"a\":null}]}",
                "{\"version\":1.0,\"op\":\"status\"}", "{\"version\":-1,\"op\":\"status\"}",
                "{\"version\":12345678901,\"op\":\"status\"}", "{\"version\":1,\"op\":\"status\",\"version\":1}",
                "{\"ok\":true,\"released\":3000000000}", "{\"ok\":true,\"released\":1.0}",
                "{\"ok\":false,\"error\":{\"code\":\"X\"},\"error\":null}", "{\"ok\":true,\"error\":{\"code\":\" \"}}",
                "{\"ok\":true,\"status\":{\"interfaces\":[1]}}", "{\"ok\":true,\"status\":{\"leases\":[null]}}",
                "{\"ok\":true,\"lease\":{\"address\":\"a\",\"prefixLength\":-1}}",
                "{\"ok\":true,\"lease\":{\"address\":\"a\",\"prefixLength\":32,\"vpcCidrs\":null,\"mtu\":null}}",
                "\ufeff{\"ok\":true}", "{\"ok\":true}\u0000", " {\"ok\":true} ", "{\"ok\":true}\r\n",
                "[" + "[".repeat(199) + "]".repeat(199) + "]")) {
            sameDecoding(line);
        }
    }

    /**
     * The one difference: the old codec let jackson-jr nest an ignored field up to 1000 levels deep; the JSON now
     * stops at {@link Json#MAX_DEPTH} (200), on both sides, so the plugin's small stack bounds nothing. A message
     * nests 3 deep.
     */
    @Test
    void nestingBetween200And1000_wasIgnoredAndIsNowBadRequest() throws ProtocolException {
        String deep = "{\"version\":1,\"op\":\"status\",\"future\":" + "[".repeat(300) + "]".repeat(300) + "}";
        assertEquals(Request.status(), JacksonCodecV1.decodeRequest(deep));
        ProtocolException e = assertThrows(ProtocolException.class, () -> Codec.decodeRequest(deep));
        assertEquals(ErrorCodes.BAD_REQUEST, e.code());
        assertEquals("request is not valid JSON: nested deeper than 200 levels at offset 235", e.getMessage());
    }

    private static void sameDecoding(String line) {
        same(line, () -> JacksonCodecV1.decodeRequest(line), () -> Codec.decodeRequest(line));
        same(line, () -> JacksonCodecV1.decodeReply(line), () -> Codec.decodeReply(line));
    }

    private interface Decode {
        Object get() throws ProtocolException;
    }

    private static void same(String line, Decode old, Decode now) {
        Object expected;
        try {
            expected = old.get();
        } catch (ProtocolException e) {
            ProtocolException ours = assertThrows(ProtocolException.class, now::get,
                    () -> "the old codec refused (" + e.getMessage() + "): " + line);
            assertEquals(e.code(), ours.code(), () -> line + ": " + e.getMessage() + " / " + ours.getMessage());
            if (!e.getMessage().contains("JSON")) {
                // Past the syntax, the words are the codec's own, and the same.
                assertEquals(e.getMessage(), ours.getMessage(), line);
            } else {
                assertTrue(ours.getMessage().contains("JSON"), ours.getMessage());
            }
            return;
        }
        try {
            assertEquals(expected, now.get(), line);
        } catch (ProtocolException e) {
            throw new AssertionError("refused what the old codec accepted: " + line + " (" + e.getMessage() + ")");
        }
    }
}
