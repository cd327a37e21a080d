package io.vpcipam.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads '\n'-terminated frames (protocol v1: one JSON object per line, UTF-8) from a stream.
 *
 * <p>Design: one read buffer per connection, scanned for '\n' without locks or regex; a frame that
 * fits in what was read is decoded straight out of the buffer, a longer one is gathered in a
 * second array that grows up to the frame limit and no further. An over-long frame fails as
 * soon as the limit is passed, without reading the rest (the server replies FRAME_TOO_LARGE and
 * closes). After such a framing failure the stream is out of step and the reader keeps failing; a
 * frame that ended cleanly at its newline but is not valid UTF-8 fails alone and leaves the stream
 * in step ({@link #inStep()}). Not thread-safe: one reader per connection.
 */
public final class FrameReader {

    /**
     * The largest request frame, in bytes, not counting the '\n': what the server accepts, and the one definition
     * of it (README "Limits"). 1 MiB lets a GC list every attachment of a node at its pod limit (about 740 on the
     * largest instances, ~130 bytes each) with room to spare, while one connection still cannot make ipamd buffer
     * much.
     */
    public static final int MAX_FRAME_BYTES = 1024 * 1024;
    /** The largest reply frame a client should accept (a STATUS reply on a full node is large). */
    public static final int MAX_REPLY_FRAME_BYTES = 16 * 1024 * 1024;

    private static final int BUFFER_BYTES = 8 * 1024;

    private final InputStream in;
    private final int maxFrameBytes;
    private final byte[] buf = new byte[BUFFER_BYTES];
    private int pos;
    private int limit;
    private byte[] frame = new byte[0];
    private CharsetDecoder utf8;
    private ProtocolException failure;

    /** A reader with the request limit {@link #MAX_FRAME_BYTES}. */
    public FrameReader(InputStream in) {
        this(in, MAX_FRAME_BYTES);
    }

    /** A reader that rejects frames longer than {@code maxFrameBytes} (not counting the '\n'). */
    public FrameReader(InputStream in, int maxFrameBytes) {
        this.in = Objects.requireNonNull(in, "in");
        if (maxFrameBytes < 1) {
            throw new IllegalArgumentException("maxFrameBytes must be positive, was " + maxFrameBytes);
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    /**
     * The next frame, without its '\n'; null when the stream ends cleanly between frames.
     *
     * @throws ProtocolException FRAME_TOO_LARGE over the limit; BAD_REQUEST for a frame cut off by
     *                           the end of the stream or not valid UTF-8
     * @throws IOException       when reading fails
     */
    public String readFrame() throws IOException {
        if (failure != null) {
            throw new ProtocolException(failure.code(), failure.getMessage());
        }
        int length = 0;
        while (true) {
            if (pos == limit) {
                int n = in.read(buf, 0, buf.length);
                if (n < 0) {
                    if (length == 0) {
                        return null;
                    }
                    throw fail(ErrorCodes.BAD_REQUEST, "half-sent frame: the stream ended after " + length
                            + " bytes without the terminating newline");
                }
                pos = 0;
                limit = n;
                continue;
            }
            int start = pos;
            int nl = indexOfNewline(buf, start, limit);
            int end = nl < 0 ? limit : nl;
            int chunk = end - start;
            if (length + chunk > maxFrameBytes) {
                pos = end;
                throw fail(ErrorCodes.FRAME_TOO_LARGE, "frame is longer than the limit of "
                        + maxFrameBytes + " bytes");
            }
            if (nl >= 0) {
                pos = nl + 1;
                if (length == 0) {
                    return decode(buf, start, chunk);
                }
                append(start, chunk, length);
                return decode(frame, 0, length + chunk);
            }
            append(start, chunk, length);
            length += chunk;
            pos = limit;
        }
    }

    /**
     * Whether the next {@link #readFrame()} starts at a frame boundary: false once a frame was too large or cut
     * off (the rest of the stream cannot be framed), still true after a frame that was only bad UTF-8.
     */
    public boolean inStep() {
        return failure == null;
    }

    /** The next request, or null when the stream ends cleanly between frames. */
    public Request readRequest() throws IOException {
        String line = readFrame();
        return line == null ? null : Codec.decodeRequest(line);
    }

    /** The next reply, or null when the stream ends cleanly between frames. */
    public Reply readReply() throws IOException {
        String line = readFrame();
        return line == null ? null : Codec.decodeReply(line);
    }

    private void append(int start, int chunk, int length) {
        int needed = length + chunk;
        if (needed > frame.length) {
            int grown = Math.max(needed, Math.min(maxFrameBytes, Math.max(frame.length * 2, 1024)));
            frame = Arrays.copyOf(frame, grown);
        }
        System.arraycopy(buf, start, frame, length, chunk);
    }

    private static int indexOfNewline(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private String decode(byte[] b, int off, int len) throws ProtocolException {
        boolean ascii = true;
        for (int i = off, end = off + len; i < end; i++) {
            if (b[i] < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(b, off, len, StandardCharsets.ISO_8859_1);
        }
        if (utf8 == null) {
            utf8 = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
        }
        try {
            return utf8.reset().decode(ByteBuffer.wrap(b, off, len)).toString();
        } catch (CharacterCodingException e) {
            // The frame ended cleanly at its newline: the stream is still in step.
            throw new ProtocolException(ErrorCodes.BAD_REQUEST, "frame is not valid UTF-8");
        }
    }

    private ProtocolException fail(String code, String message) {
        failure = new ProtocolException(code, message);
        return failure;
    }
}
