package io.vpcipam.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Round-trips over generated messages, and the decoder never throws anything but ProtocolException. QuickTheories
 * runs each property (as many examples as before) and prints the seed and the shrunk input of a failure;
 * {@code -DQT_SEED=N} replays it.
 */
class CodecPropertiesTest {

    private static final String MUTATION_CHARS = "{}[]\",:0123456789.-eEtfnul \\x\u00e9";

    @Test
    void anyRequest_roundTripsThroughCodecAndFrames() {
        qt().withExamples(1000).forAll(requests()).checkAssert(request -> {
            String line = Codec.encode(request);
            assertEquals(request, decodeOrFail(() -> Codec.decodeRequest(line)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            FrameReader reader = inMemory(request, out, Integer.MAX_VALUE);
            assertEquals(request, decodeOrFail(reader::readRequest));
            assertEquals(null, decodeOrFail(reader::readFrame));
        });
    }

    @Test
    void anyReply_roundTripsThroughCodecAndFrames() {
        qt().withExamples(1000).forAll(replies()).checkAssert(reply -> {
            assertEquals(reply, decodeOrFail(() -> Codec.decodeReply(Codec.encode(reply))));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            FrameReader reader = inMemory(reply, out, FrameReader.MAX_REPLY_FRAME_BYTES);
            assertEquals(reply, decodeOrFail(reader::readReply));
        });
    }

    @Test
    void arbitraryStrings_neverThrowAnythingButProtocolException() {
        qt().withExamples(2000).forAll(Generate.oneOf(strings().allPossible().ofLengthBetween(0, 255),
                strings().ascii().ofLengthBetween(0, 255))).checkAssert(CodecPropertiesTest::decodeBoth);
    }

    @Test
    void mutatedValidMessages_neverThrowAnythingButProtocolException() {
        qt().withExamples(2000).forAll(requests(), replies(), mutations()).checkAssert((request, reply, mutations) -> {
            for (String valid : List.of(Codec.encode(request), Codec.encode(reply))) {
                decodeBoth(mutate(valid, mutations));
            }
        });
    }

    @Test
    void arbitraryBytes_neverMakeTheFrameReaderThrowAnythingButIoExceptions() {
        Gen<byte[]> bytes = Generate.byteArrays(integers().between(0, 300),
                Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0));
        qt().withExamples(1000).forAll(bytes).checkAssert(b -> {
            FrameReader reader = new FrameReader(new ByteArrayInputStream(b), 64);
            try {
                String frame;
                while ((frame = reader.readFrame()) != null) {
                    decodeBoth(frame);
                }
            } catch (ProtocolException expected) {
                // fine
            } catch (IOException e) {
                throw new AssertionError("only ProtocolException may come out of an in-memory stream", e);
            }
        });
    }

    /** A call that must succeed on valid input. */
    private interface Decode<T> {
        T get() throws IOException;
    }

    private static <T> T decodeOrFail(Decode<T> decode) {
        try {
            return decode.get();
        } catch (IOException e) {
            throw new AssertionError("a valid message was refused: " + e.getMessage(), e);
        }
    }

    private static FrameReader inMemory(Object message, ByteArrayOutputStream out, int maxFrame) {
        try {
            if (message instanceof Request r) {
                new FrameWriter(out).write(r);
            } else {
                new FrameWriter(out).write((Reply) message);
            }
        } catch (IOException e) {
            throw new AssertionError("writing to memory failed", e);
        }
        return new FrameReader(new ByteArrayInputStream(out.toByteArray()), maxFrame);
    }

    private static void decodeBoth(String line) {
        try {
            Codec.decodeRequest(line);
        } catch (ProtocolException expected) {
            // fine
        }
        try {
            Codec.decodeReply(line);
        } catch (ProtocolException expected) {
            // fine
        }
    }

    // ---------------------------------------------------------------- generators

    /** One edit of a valid message: where (mod length + 1), which of MUTATION_CHARS, and insert/delete/replace. */
    record Mutation(int at, int ch, int op) {
    }

    /** {@code valid} with the edits applied, each a character of MUTATION_CHARS inserted, deleted or replaced. */
    static String mutate(String valid, List<Mutation> mutations) {
        StringBuilder sb = new StringBuilder(valid);
        for (Mutation m : mutations) {
            int at = Math.floorMod(m.at(), sb.length() + 1);
            char c = MUTATION_CHARS.charAt(Math.floorMod(m.ch(), MUTATION_CHARS.length()));
            switch (Math.floorMod(m.op(), 3)) {
                case 0 -> sb.insert(at, c);
                case 1 -> { if (at < sb.length()) sb.deleteCharAt(at); }
                default -> { if (at < sb.length()) sb.setCharAt(at, c); }
            }
        }
        return sb.toString();
    }

    static Gen<List<Mutation>> mutations() {
        return lists().of(integers().all().zip(integers().all(), integers().all(), Mutation::new)).ofSizeBetween(1, 6);
    }

    /** Strings of {@code min..max} chars drawn from {@code chars}. */
    static Gen<String> from(String chars, int min, int max) {
        List<Character> pool = chars.chars().mapToObj(c -> (char) c).toList();
        return lists().of(Generate.pick(pool)).ofSizeBetween(min, max)
                .map(cs -> cs.stream().map(String::valueOf).collect(Collectors.joining()));
    }

    /** Any Unicode code point but the surrogate range, so every string is valid text. */
    static Gen<String> unicode(int min, int max) {
        Gen<Integer> codePoint = integers().between(0, 0x10FFFF - 0x800).map(cp -> cp >= 0xD800 ? cp + 0x800 : cp);
        return lists().of(codePoint).ofSizeBetween(min, max)
                .map(cps -> cps.stream().collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
                        .toString());
    }

    /** Any string, including non-ASCII and JSON-special characters, bounded like the protocol. */
    static Gen<String> text() {
        // a string at the length limit, of any BMP chars but surrogates: drawn from one seed, since what matters
        // is the length, and shrinking 1024 separate draws would be slow
        Gen<String> longest = longs().all().map(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            StringBuilder sb = new StringBuilder(Request.MAX_STRING_CHARS);
            while (sb.length() < Request.MAX_STRING_CHARS) {
                int c = r.nextInt(0xFFFF - 0x800 + 1);
                sb.append((char) (c >= 0xD800 ? c + 0x800 : c));
            }
            return sb.toString();
        });
        return Generate.oneOf(
                from("abcdefghijklmnopqrstuvwxyz0123456789-_/.:\"\\\n\t", 1, 40),
                unicode(1, 20),
                longest);
    }

    static Gen<String> optionalText() {
        return Generate.frequency(Pair.of(3, Generate.constant((String) null)), Pair.of(7, text()));
    }

    static Gen<Integer> nat() {
        return integers().between(0, Integer.MAX_VALUE).mix(Generate.pick(List.of(0, 1, Integer.MAX_VALUE)), 10);
    }

    static <T> Gen<List<T>> upTo(Gen<T> element, int max) {
        return lists().of(element).ofSizeBetween(0, max);
    }

    static Gen<Request> requests() {
        Gen<Request> add = text().zip(text(), text(), text(), (n, c, i, ns) -> new String[]{n, c, i, ns})
                .zip(optionalText(), optionalText(), (a, pn, pns) -> Request.add(a[0], a[1], a[2], a[3], pn, pns));
        Gen<String[]> key = text().zip(text(), text(), (n, c, i) -> new String[]{n, c, i});
        Gen<Request> del = key.zip(optionalText(), optionalText(), optionalText(),
                (k, ns, pn, pns) -> Request.del(k[0], k[1], k[2], ns, pn, pns));
        Gen<Request> check = key.zip(optionalText(), optionalText(), optionalText(),
                (k, ns, pn, pns) -> Request.check(k[0], k[1], k[2], ns, pn, pns));
        Gen<Attachment> attachment = text().zip(text(), text(), Attachment::new);
        Gen<Request> gc = text().zip(upTo(attachment, 5), Request::gc);
        return Generate.oneOf(add, del, check, gc, Generate.constant(Request.status()));
    }

    // QuickTheories combines at most five generators at once: wider records are built from these parts.
    private record Four(String a, String b, String c, String d) {
    }

    private record LeaseHead(String address, int prefixLength, String interfaceId, String mac) {
    }

    private record InterfaceHead(String id, int deviceIndex, String subnetId, String primaryAddress) {
    }

    private record StatusHead(Four names, boolean prefixMode, StatusInfo.PoolCounts pool, int maxAddresses) {
    }

    static Gen<Reply> replies() {
        Gen<LeaseInfo> lease = text().zip(integers().between(0, 128), optionalText(), optionalText(), LeaseHead::new)
                .zip(nat(), nat(), optionalText(), upTo(text(), 3), (h, device, table, gateway, cidrs) ->
                        (IntFunction<LeaseInfo>) mtu -> new LeaseInfo(h.address(), h.prefixLength(), h.interfaceId(),
                                h.mac(), device, table, gateway, cidrs, mtu))
                .zip(nat(), IntFunction::apply);
        Gen<ErrorInfo> error = Generate.pick(List.copyOf(ErrorCodes.ALL)).zip(
                Generate.frequency(Pair.of(1, Generate.constant((String) null)), Pair.of(9, text())),
                Generate.booleans(), ErrorInfo::new);
        Gen<StatusInfo.PoolCounts> pool = nat().zip(nat(), nat(), nat(), (t, f, a, c) -> new int[]{t, f, a, c})
                .zip(nat(), nat(), (tfac, p, r) -> new StatusInfo.PoolCounts(tfac[0], tfac[1], tfac[2], tfac[3], p, r));
        Gen<StatusInfo.InterfaceStatus> iface = optionalText().zip(nat(), optionalText(), optionalText(),
                        InterfaceHead::new)
                .zip(upTo(text(), 3), upTo(text(), 2), nat(), nat(), (h, addresses, prefixes, free, assigned) ->
                        new StatusInfo.InterfaceStatus(h.id(), h.deviceIndex(), h.subnetId(), h.primaryAddress(),
                                addresses, prefixes, free, assigned));
        Gen<Four> four = optionalText().zip(optionalText(), optionalText(), optionalText(), Four::new);
        Gen<StatusInfo.LeaseStatus> leaseStatus = four.zip(four, (a, b) ->
                new StatusInfo.LeaseStatus(a.a(), a.b(), a.c(), a.d(), b.a(), b.b(), b.c(), b.d()));
        Gen<StatusInfo> status = four.zip(Generate.booleans(), pool, nat(), StatusHead::new)
                .zip(upTo(iface, 3), upTo(leaseStatus, 3), (h, ifs, ls) -> new StatusInfo(h.names().a(),
                        h.names().b(), h.names().c(), h.names().d(), h.prefixMode(), h.pool(), h.maxAddresses(), ifs, ls));
        return Generate.oneOf(
                Generate.constant(Reply.success()),
                lease.map(l -> Reply.ok(l)),
                nat().map(n -> Reply.released(n)),
                status.map(st -> Reply.status(st)),
                error.map(e -> Reply.error(e)));
    }
}
