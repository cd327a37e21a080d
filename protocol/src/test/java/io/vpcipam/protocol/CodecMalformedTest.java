package io.vpcipam.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each malformed input fails with a ProtocolException carrying the right code and naming the field. */
class CodecMalformedTest {

    private static final String BAD = ErrorCodes.BAD_REQUEST;
    private static final String VER = ErrorCodes.UNSUPPORTED_VERSION;
    private static final String KEY = "\"network\":\"n\",\"containerId\":\"c\",\"ifName\":\"eth0\"";

    static Stream<Arguments> malformedRequests() {
        String longString = "x".repeat(Request.MAX_STRING_CHARS + 1);
        return Stream.of(
                Arguments.of("", BAD, "empty"),
                Arguments.of("   ", BAD, "empty"),
                Arguments.of("not json", BAD, "not valid JSON"),
                Arguments.of("{\"version\":1,", BAD, "not valid JSON"),
                Arguments.of("[1,2]", BAD, "must be a JSON object"),
                Arguments.of("\"add\"", BAD, "must be a JSON object"),
                Arguments.of("null", BAD, "must be a JSON object"),
                Arguments.of("{\"version\":1,\"op\":\"status\"} {}", BAD, "trailing"),
                Arguments.of("{\"version\":1,\"op\":\"status\",\"op\":\"add\"}", BAD, "op"),
                Arguments.of("{\"op\":\"status\"}", VER, "missing version"),
                Arguments.of("{\"version\":2,\"op\":\"status\"}", VER, "unsupported version 2"),
                Arguments.of("{\"version\":\"1\",\"op\":\"status\"}", VER, "version"),
                Arguments.of("{\"version\":1.5,\"op\":\"status\"}", VER, "version"),
                Arguments.of("{\"version\":1}", BAD, "missing op"),
                Arguments.of("{\"version\":1,\"op\":3}", BAD, "op must be a string"),
                Arguments.of("{\"version\":1,\"op\":\"ADD\"}", BAD, "add, del, check, gc, status"),
                Arguments.of("{\"version\":1,\"op\":\"frobnicate\"}", BAD, "unknown op \"frobnicate\""),
                Arguments.of("{\"version\":1,\"op\":\"add\"," + KEY + "}", BAD, "netns"),
                Arguments.of("{\"version\":1,\"op\":\"add\",\"network\":\"n\",\"ifName\":\"eth0\",\"netns\":\"/x\"}",
                        BAD, "containerId"),
                Arguments.of("{\"version\":1,\"op\":\"del\",\"network\":\"n\",\"containerId\":\"c\"}", BAD, "ifName"),
                Arguments.of("{\"version\":1,\"op\":\"check\",\"containerId\":\"c\",\"ifName\":\"e\"}", BAD, "network"),
                Arguments.of("{\"version\":1,\"op\":\"del\",\"network\":\"n\",\"containerId\":\"\",\"ifName\":\"e\"}",
                        BAD, "containerId"),
                Arguments.of("{\"version\":1,\"op\":\"del\",\"network\":\"n\",\"containerId\":42,\"ifName\":\"e\"}",
                        BAD, "containerId must be a string"),
                Arguments.of("{\"version\":1,\"op\":\"del\"," + KEY + ",\"podName\":[\"a\"]}", BAD, "podName must be a string"),
                Arguments.of("{\"version\":1,\"op\":\"del\"," + KEY + ",\"netns\":true}", BAD, "netns must be a string"),
                Arguments.of("{\"version\":1,\"op\":\"del\",\"network\":\"n\",\"containerId\":\"" + longString
                        + "\",\"ifName\":\"e\"}", BAD, "containerId is 1025 characters"),
                Arguments.of("{\"version\":1,\"op\":\"gc\",\"network\":\"n\"}", BAD, "attachments"),
                Arguments.of("{\"version\":1,\"op\":\"gc\",\"attachments\":[]}", BAD, "network"),
                Arguments.of("{\"version\":1,\"op\":\"gc\",\"network\":\"n\",\"attachments\":{}}", BAD,
                        "attachments must be an array"),
                Arguments.of("{\"version\":1,\"op\":\"gc\",\"network\":\"n\",\"attachments\":[\"c1\"]}", BAD,
                        "attachments[0] must be an object"),
                Arguments.of("{\"version\":1,\"op\":\"gc\",\"network\":\"n\",\"attachments\":[{" + KEY + "},"
                        + "{\"network\":\"n\",\"ifName\":\"e\"}]}", BAD, "attachments[1].containerId"),
                Arguments.of("{\"version\":1,\"op\":\"gc\",\"network\":\"n\",\"attachments\":[{\"network\":\"n\","
                        + "\"containerId\":\"c\",\"ifName\":7}]}", BAD, "attachments[0].ifName must be a string"),
                Arguments.of("[".repeat(5000) + "]".repeat(5000), BAD, "not valid JSON"),
                Arguments.of("{\"version\":1e999999,\"op\":\"status\"}", VER, "version"),
                // legal JSON, but no Unicode string: the checkpoint would write it back as '?' and orphan the lease
                Arguments.of("{\"version\":1,\"op\":\"add\",\"network\":\"n\",\"containerId\":\"sur\\ud800x\","
                        + "\"ifName\":\"eth0\",\"netns\":\"/x\"}", BAD, "containerId has an unpaired UTF-16 surrogate"),
                Arguments.of("{\"version\":1,\"op\":\"del\",\"network\":\"\\udc00\",\"containerId\":\"c\",\"ifName\":\"e\"}",
                        BAD, "network has an unpaired UTF-16 surrogate"),
                Arguments.of("{\"version\":1,\"op\":\"del\"," + KEY + ",\"podName\":\"p\\ud83d\"}", BAD,
                        "podName has an unpaired UTF-16 surrogate"),
                Arguments.of("{\"version\":1,\"op\":\"gc\",\"network\":\"n\",\"attachments\":[{\"network\":\"n\","
                        + "\"containerId\":\"\\ude00\\ud83d\",\"ifName\":\"e\"}]}", BAD,
                        "attachments[0].containerId has an unpaired UTF-16 surrogate"));
    }

    @ParameterizedTest
    @MethodSource("malformedRequests")
    void decodeRequest_malformed_throwsProtocolExceptionNamingTheProblem(String line, String code, String fragment) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> Codec.decodeRequest(line));
        assertEquals(code, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        assertEquals(code, e.toReply().error().code());
    }

    @org.junit.jupiter.api.Test
    void decodeRequest_tooManyAttachments_isRejected() {
        StringBuilder sb = new StringBuilder("{\"version\":1,\"op\":\"gc\",\"network\":\"n\",\"attachments\":[");
        for (int i = 0; i <= Request.MAX_ATTACHMENTS; i++) {
            sb.append(i == 0 ? "" : ",").append("{}");
        }
        sb.append("]}");
        ProtocolException e = assertThrows(ProtocolException.class, () -> Codec.decodeRequest(sb.toString()));
        assertEquals(BAD, e.code());
        assertTrue(e.getMessage().contains("more than the limit of 100000"), e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void decodeRequest_pairedSurrogates_areAccepted() throws ProtocolException {
        Request r = Codec.decodeRequest("{\"version\":1,\"op\":\"del\",\"network\":\"n\",\"containerId\":\"c\\ud83d\\ude00\","
                + "\"ifName\":\"e\"}");
        assertEquals("c\ud83d\ude00", r.containerId());
    }

    @org.junit.jupiter.api.Test
    void request_unpairedSurrogate_isRejectedWhereverItIsBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Request.del("n", "c\ud800", "eth0"));
        assertTrue(e.getMessage().contains("containerId has an unpaired UTF-16 surrogate"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Attachment("n", "c", "eth\udfff"));
    }

    @org.junit.jupiter.api.Test
    void decodeRequest_null_isBadRequest() {
        assertEquals(BAD, assertThrows(ProtocolException.class, () -> Codec.decodeRequest(null)).code());
        assertEquals(BAD, assertThrows(ProtocolException.class, () -> Codec.decodeReply(null)).code());
    }

    static Stream<Arguments> malformedReplies() {
        return Stream.of(
                Arguments.of("{}", "ok is required"),
                Arguments.of("{\"ok\":\"yes\"}", "ok must be a boolean"),
                Arguments.of("{\"ok\":false}", "error is required"),
                Arguments.of("{\"ok\":false,\"error\":{\"message\":\"m\"}}", "error.code"),
                Arguments.of("{\"ok\":false,\"error\":{\"code\":\"X\",\"retryable\":\"no\"}}", "error.retryable must be a boolean"),
                Arguments.of("{\"ok\":true,\"lease\":{\"prefixLength\":32}}", "lease.address"),
                Arguments.of("{\"ok\":true,\"lease\":{\"address\":\"a\"}}", "lease.prefixLength"),
                Arguments.of("{\"ok\":true,\"lease\":{\"address\":\"a\",\"prefixLength\":32,\"mtu\":\"9001\"}}",
                        "lease.mtu must be an integer"),
                Arguments.of("{\"ok\":true,\"lease\":{\"address\":\"a\",\"prefixLength\":32,\"mtu\":99999999999}}",
                        "lease.mtu is out of range"),
                Arguments.of("{\"ok\":true,\"lease\":{\"address\":\"a\",\"prefixLength\":32,\"vpcCidrs\":[1]}}",
                        "lease.vpcCidrs[0] must be a string"),
                Arguments.of("{\"ok\":true,\"lease\":{\"address\":\"a\",\"prefixLength\":33333}}", "prefixLength"),
                Arguments.of("{\"ok\":true,\"released\":-1}", "released"),
                Arguments.of("{\"ok\":true,\"status\":{\"pool\":{\"free\":\"x\"}}}", "status.pool.free must be an integer"),
                Arguments.of("{\"ok\":true,\"status\":{\"leases\":[{\"address\":1}]}}", "status.leases[0].address"),
                Arguments.of("{\"ok\":true,\"status\":{\"interfaces\":[{\"prefixes\":\"x\"}]}}",
                        "status.interfaces[0].prefixes must be an array"));
    }

    @ParameterizedTest
    @MethodSource("malformedReplies")
    void decodeReply_malformed_throwsBadRequestNamingTheField(String line, String fragment) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> Codec.decodeReply(line));
        assertEquals(BAD, e.code());
        assertTrue(e.getMessage().contains(fragment), () -> "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
