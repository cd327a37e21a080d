package io.vpcipam.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Round-trips over generated messages, and the decoder never throws anything but ProtocolException. */
class CodecPropertiesTest {

    private static final String MUTATION_CHARS = "{}[]\",:0123456789.-eEtfnul \\x\u00e9";

    @Property
    void anyRequest_roundTripsThroughCodecAndFrames(@ForAll("requests") Request request) throws IOException {
        String line = Codec.encode(request);
        assertEquals(request, Codec.decodeRequest(line));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out).write(request);
        FrameReader reader = new FrameReader(new ByteArrayInputStream(out.toByteArray()), Integer.MAX_VALUE);
        assertEquals(request, reader.readRequest());
        assertEquals(null, reader.readFrame());
    }

    @Property
    void anyReply_roundTripsThroughCodecAndFrames(@ForAll("replies") Reply reply) throws IOException {
        assertEquals(reply, Codec.decodeReply(Codec.encode(reply)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out).write(reply);
        FrameReader reader = new FrameReader(new ByteArrayInputStream(out.toByteArray()), FrameReader.MAX_REPLY_FRAME_BYTES);
        assertEquals(reply, reader.readReply());
    }

    @Property(tries = 2000)
    void arbitraryStrings_neverThrowAnythingButProtocolException(@ForAll String line) {
        decodeBoth(line);
    }

    @Property(tries = 2000)
    void mutatedValidMessages_neverThrowAnythingButProtocolException(
            @ForAll("requests") Request request, @ForAll("replies") Reply reply,
            @ForAll("mutations") List<int[]> mutations) {
        for (String valid : List.of(Codec.encode(request), Codec.encode(reply))) {
            StringBuilder sb = new StringBuilder(valid);
            for (int[] m : mutations) {
                int at = Math.floorMod(m[0], sb.length() + 1);
                char c = MUTATION_CHARS.charAt(Math.floorMod(m[1], MUTATION_CHARS.length()));
                switch (Math.floorMod(m[2], 3)) {
                    case 0 -> sb.insert(at, c);
                    case 1 -> { if (at < sb.length()) sb.deleteCharAt(at); }
                    default -> { if (at < sb.length()) sb.setCharAt(at, c); }
                }
            }
            decodeBoth(sb.toString());
        }
    }

    @Property(tries = 1000)
    void arbitraryBytes_neverMakeTheFrameReaderThrowAnythingButIoExceptions(
            @ForAll @Size(max = 300) byte[] bytes) {
        FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes), 64);
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

    @Provide
    Arbitrary<List<int[]>> mutations() {
        return Arbitraries.integers().array(int[].class).ofSize(3).list().ofMinSize(1).ofMaxSize(6);
    }

    /** Any string, including non-ASCII and JSON-special characters, bounded like the protocol. */
    static Arbitrary<String> text() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withCharRange('a', 'z').numeric().withChars("-_/.:\"\\\n\t").ofMinLength(1).ofMaxLength(40),
                Arbitraries.strings().all().ofMinLength(1).ofMaxLength(20)
                        .filter(s -> s.codePoints().noneMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF)),
                Arbitraries.strings().ofLength(Request.MAX_STRING_CHARS));
    }

    static Arbitrary<String> optionalText() {
        return text().injectNull(0.3);
    }

    @Provide
    Arbitrary<Request> requests() {
        Arbitrary<Request> add = Combinators.combine(text(), text(), text(), text(), optionalText(), optionalText())
                .as(Request::add);
        Arbitrary<Request> del = Combinators.combine(text(), text(), text(), optionalText(), optionalText(), optionalText())
                .as(Request::del);
        Arbitrary<Request> check = Combinators.combine(text(), text(), text(), optionalText(), optionalText(), optionalText())
                .as(Request::check);
        Arbitrary<Attachment> attachment = Combinators.combine(text(), text(), text()).as(Attachment::new);
        Arbitrary<Request> gc = Combinators.combine(text(), attachment.list().ofMaxSize(5)).as(Request::gc);
        return Arbitraries.oneOf(add, del, check, gc, Arbitraries.just(Request.status()));
    }

    @Provide
    Arbitrary<Reply> replies() {
        Arbitrary<Integer> nat = Arbitraries.integers().between(0, Integer.MAX_VALUE);
        // combine() takes at most 8 arbitraries: build a function of the ninth field.
        Arbitrary<java.util.function.IntFunction<LeaseInfo>> partialLease = Combinators.combine(text(),
                Arbitraries.integers().between(0, 128), optionalText(), optionalText(), nat, nat, optionalText(),
                text().list().ofMaxSize(3)).as((a, p, i, m, d, r, g, c) -> mtu -> new LeaseInfo(a, p, i, m, d, r, g, c, mtu));
        Arbitrary<LeaseInfo> lease = Combinators.combine(partialLease, nat).as((f, mtu) -> f.apply(mtu));
        Arbitrary<ErrorInfo> error = Combinators.combine(Arbitraries.of(ErrorCodes.ALL), text().injectNull(0.1),
                Arbitraries.of(true, false)).as((c, m, r) -> new ErrorInfo(c, m, r));
        Arbitrary<StatusInfo.PoolCounts> pool = Combinators.combine(nat, nat, nat, nat, nat, nat)
                .as(StatusInfo.PoolCounts::new);
        Arbitrary<StatusInfo.InterfaceStatus> iface = Combinators.combine(optionalText(), nat, optionalText(), optionalText(),
                text().list().ofMaxSize(3), text().list().ofMaxSize(2), nat, nat).as(StatusInfo.InterfaceStatus::new);
        Arbitrary<StatusInfo.LeaseStatus> leaseStatus = Combinators.combine(optionalText(), optionalText(), optionalText(),
                optionalText(), optionalText(), optionalText(), optionalText(), optionalText()).as(StatusInfo.LeaseStatus::new);
        Arbitrary<java.util.function.Function<List<StatusInfo.LeaseStatus>, StatusInfo>> partialStatus =
                Combinators.combine(optionalText(), optionalText(), optionalText(), optionalText(),
                        Arbitraries.of(true, false), pool, nat, iface.list().ofMaxSize(3))
                        .as((p, id, t, z, pm, pc, max, ifs) -> ls -> new StatusInfo(p, id, t, z, pm, pc, max, ifs, ls));
        Arbitrary<StatusInfo> status = Combinators.combine(partialStatus, leaseStatus.list().ofMaxSize(3))
                .as((f, ls) -> f.apply(ls));
        return Arbitraries.oneOf(
                Arbitraries.just(Reply.success()),
                lease.map(Reply::ok),
                nat.map(Reply::released),
                status.map(Reply::status),
                error.map(Reply::error));
    }
}
