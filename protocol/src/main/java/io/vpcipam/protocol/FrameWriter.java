package io.vpcipam.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Writes '\n'-terminated UTF-8 frames. Each frame goes out in one {@code write} call followed by
 * a flush, so a frame is never split across writes by this side. Not thread-safe: one writer per
 * connection.
 */
public final class FrameWriter {

    private final OutputStream out;

    /** A writer over {@code out} (which it flushes after every frame but never closes). */
    public FrameWriter(OutputStream out) {
        this.out = Objects.requireNonNull(out, "out");
    }

    /**
     * Writes {@code frame} and its terminating '\n', then flushes.
     *
     * @throws IllegalArgumentException if the frame contains a '\n' (the Codec never produces one)
     */
    public void writeFrame(String frame) throws IOException {
        if (frame.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("a frame must not contain a newline");
        }
        byte[] bytes = frame.getBytes(StandardCharsets.UTF_8);
        byte[] line = Arrays.copyOf(bytes, bytes.length + 1);
        line[bytes.length] = '\n';
        out.write(line);
        out.flush();
    }

    /** Encodes and writes one request. */
    public void write(Request request) throws IOException {
        writeFrame(Codec.encode(request));
    }

    /** Encodes and writes one reply. */
    public void write(Reply reply) throws IOException {
        writeFrame(Codec.encode(reply));
    }
}
