package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.vpcipam.protocol.Attachment;
import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.ErrorInfo;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The plugin's own frame path is the protocol's Codec in other clothes: byte-identical requests,
 * and for every reply (well-formed, mistyped, truncated, mutated) the same record or the same
 * ProtocolException code and message.
 */
class FramesTest {

    @Test
    void encode_randomRequests_byteIdenticalToCodec() {
        Random rnd = new Random(3);
        for (int i = 0; i < 5000; i++) {
            Request r = request(rnd);
            assertEquals(Codec.encode(r), Frames.encode(r), "request " + r);
        }
    }

    @Test
    void decodeReply_codecEncodedReplies_sameRecord() throws Exception {
        Random rnd = new Random(5);
        for (int i = 0; i < 5000; i++) {
            String line = Codec.encode(reply(rnd));
            assertEquals(Codec.decodeReply(line), Frames.decodeReply(line), line);
        }
    }

    @Test
    void decodeReply_mutatedAndHandWrittenReplies_sameRecordOrSameError() {
        Random rnd = new Random(9);
        List<String> lines = new ArrayList<>(List.of("", " ", "null", "[]", "{}", "{\"ok\":1}", "{\"ok\":\"true\"}",
                "{\"ok\":false}", "{\"ok\":false,\"error\":{\"code\":\" \"}}", "{\"ok\":true,\"released\":-1}",
                "{\"ok\":true,\"released\":4294967296}", "{\"ok\":true,\"lease\":{\"address\":\"\",\"prefixLength\":32}}",
                "{\"ok\":true,\"lease\":{\"address\":\"10.0.0.1\"}}",
                "{\"ok\":true,\"lease\":{\"address\":\"10.0.0.1\",\"prefixLength\":200}}",
                "{\"ok\":true,\"lease\":{\"address\":\"10.0.0.1\",\"prefixLength\":32,\"mtu\":-1}}",
                "{\"ok\":true,\"lease\":{\"address\":\"10.0.0.1\",\"prefixLength\":32,\"vpcCidrs\":[1]}}",
                "{\"ok\":true,\"lease\":{\"address\":\"10.0.0.1\",\"prefixLength\":32,\"routeTable\":1.0}}",
                "{\"ok\":true,\"error\":{\"code\":\"X\"},\"extra\":[1,2,{\"y\":null}]}",
                "{\"ok\":true,\"status\":{\"provider\":\"sim\",\"pool\":{\"total\":3}}}",
                "{\"ok\":true,\"status\":7}", "{\"ok\":true}{}", "{\"ok\":true,\"ok\":false}"));
        String alphabet = "{}[]\",:0123456789-.truefalsn ";
        for (int i = 0; i < 5000; i++) {
            StringBuilder b = new StringBuilder(Codec.encode(reply(rnd)));
            for (int k = rnd.nextInt(3) + 1; k > 0; k--) {
                int at = rnd.nextInt(b.length());
                if (rnd.nextBoolean()) {
                    b.setCharAt(at, alphabet.charAt(rnd.nextInt(alphabet.length())));
                } else {
                    b.deleteCharAt(at);
                }
            }
            lines.add(b.toString());
        }
        for (String line : lines) {
            Reply expected = null;
            ProtocolException expectedError = null;
            try {
                expected = Codec.decodeReply(line);
            } catch (ProtocolException e) {
                expectedError = e;
            }
            try {
                assertEquals(expected, Frames.decodeReply(line), line);
            } catch (ProtocolException e) {
                assertNotNull(expectedError, "Frames rejected what Codec accepts: " + line + " (" + e.getMessage() + ")");
                assertEquals(expectedError.code(), e.code(), line);
                assertEquals(expectedError.getMessage(), e.getMessage(), line);
            }
        }
    }

    private static Request request(Random rnd) {
        return switch (rnd.nextInt(5)) {
            case 0 -> Request.add(r(rnd, false), r(rnd, false), r(rnd, false), r(rnd, false), r(rnd, true), r(rnd, true));
            case 1 -> Request.del(r(rnd, false), r(rnd, false), r(rnd, false), r(rnd, true), r(rnd, true), r(rnd, true));
            case 2 -> Request.check(r(rnd, false), r(rnd, false), r(rnd, false));
            case 3 -> {
                List<Attachment> a = new ArrayList<>();
                for (int k = rnd.nextInt(4); k > 0; k--) {
                    a.add(new Attachment(r(rnd, false), r(rnd, false), r(rnd, false)));
                }
                yield Request.gc(r(rnd, false), a);
            }
            default -> Request.status();
        };
    }

    private static Reply reply(Random rnd) {
        return switch (rnd.nextInt(4)) {
            case 0 -> Reply.ok(new LeaseInfo("10.0." + rnd.nextInt(256) + "." + rnd.nextInt(256), rnd.nextInt(33),
                    rnd.nextBoolean() ? null : s(rnd, false), rnd.nextBoolean() ? null : "02:00:00:00:00:0" + rnd.nextInt(9),
                    rnd.nextInt(8), rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(Integer.MAX_VALUE),
                    rnd.nextBoolean() ? null : "10.0.0.1", rnd.nextBoolean() ? List.of() : List.of("10.0.0.0/16", s(rnd, false)),
                    rnd.nextBoolean() ? 0 : 9001));
            case 1 -> new Reply(false, null, new ErrorInfo("E" + s(rnd, false), s(rnd, true), rnd.nextBoolean()), null, null);
            case 2 -> Reply.released(rnd.nextInt(1000));
            default -> Reply.success();
        };
    }

    private static String s(Random rnd, boolean mayBeNull) {
        if (mayBeNull && rnd.nextInt(3) == 0) {
            return null;
        }
        String s = MiniJsonTest.string(rnd);
        return s.isEmpty() ? "x" : s;
    }

    /** A request string: as {@link #s}, with unpaired surrogates made 'x' (a Request refuses them, see checkString). */
    private static String r(Random rnd, boolean mayBeNull) {
        String s = s(rnd, mayBeNull);
        if (s == null) {
            return null;
        }
        char[] c = s.toCharArray();
        for (int i = 0; i < c.length; i++) {
            if (Character.isHighSurrogate(c[i]) && i + 1 < c.length && Character.isLowSurrogate(c[i + 1])) {
                i++;
            } else if (Character.isSurrogate(c[i])) {
                c[i] = 'x';
            }
        }
        return new String(c);
    }
}
