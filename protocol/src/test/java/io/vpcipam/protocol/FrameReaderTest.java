package io.vpcipam.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FrameReaderTest {

    private static FrameReader reader(String s) {
        return new FrameReader(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)));
    }

    /** Hands out at most {@code chunk} bytes per read, like a socket delivering a frame in pieces. */
    private static InputStream trickle(byte[] data, int chunk) {
        return new InputStream() {
            int pos;

            @Override
            public int read() {
                return pos < data.length ? data[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= data.length) {
                    return -1;
                }
                int n = Math.min(Math.min(len, chunk), data.length - pos);
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    @Test
    void readFrame_emptyStream_returnsNull() throws IOException {
        assertNull(reader("").readFrame());
    }

    @Test
    void readFrame_twoFramesInOneBuffer_returnsBothThenNull() throws IOException {
        FrameReader r = reader("{\"a\":1}\n{\"b\":2}\n");
        assertEquals("{\"a\":1}", r.readFrame());
        assertEquals("{\"b\":2}", r.readFrame());
        assertNull(r.readFrame());
    }

    @Test
    void readFrame_frameSplitAcrossReads_isReassembled() throws IOException {
        String a = "{\"version\":1,\"op\":\"status\",\"podName\":\"h\u00e9llo \u4e16\u754c \ud83d\ude00\"}";
        String b = "x".repeat(20_000);
        byte[] data = (a + "\n" + b + "\n").getBytes(StandardCharsets.UTF_8);
        for (int chunk : new int[] {1, 2, 3, 7, 100, 8192, 100_000}) {
            FrameReader r = new FrameReader(trickle(data, chunk));
            assertEquals(a, r.readFrame(), "chunk " + chunk);
            assertEquals(b, r.readFrame(), "chunk " + chunk);
            assertNull(r.readFrame());
        }
    }

    @Test
    void readFrame_exactlyAtLimit_isAccepted() throws IOException {
        String max = "y".repeat(FrameReader.MAX_FRAME_BYTES);
        FrameReader r = new FrameReader(trickle((max + "\n").getBytes(StandardCharsets.US_ASCII), 5000));
        assertEquals(max, r.readFrame());
    }

    @Test
    void readFrame_oversized_throwsFrameTooLargeWithoutReadingTheRest() {
        byte[] data = new byte[10 * FrameReader.MAX_FRAME_BYTES];
        Arrays.fill(data, (byte) 'z');
        int[] consumed = {0};
        InputStream in = new InputStream() {
            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = Math.min(len, data.length - consumed[0]);
                consumed[0] += n;
                return n;
            }
        };
        FrameReader r = new FrameReader(in);
        ProtocolException e = assertThrows(ProtocolException.class, r::readFrame);
        assertEquals(ErrorCodes.FRAME_TOO_LARGE, e.code());
        assertTrue(e.getMessage().contains(String.valueOf(FrameReader.MAX_FRAME_BYTES)), e.getMessage());
        assertTrue(consumed[0] <= FrameReader.MAX_FRAME_BYTES + 16 * 1024, "read " + consumed[0]);
        assertEquals(ErrorCodes.FRAME_TOO_LARGE, assertThrows(ProtocolException.class, r::readFrame).code());
    }

    @Test
    void readFrame_oneByteOverLimit_throwsFrameTooLarge() {
        FrameReader r = new FrameReader(new ByteArrayInputStream("12345\n".getBytes(StandardCharsets.US_ASCII)), 4);
        assertEquals(ErrorCodes.FRAME_TOO_LARGE, assertThrows(ProtocolException.class, r::readFrame).code());
    }

    @Test
    void readFrame_halfSent_throwsBadRequest() throws IOException {
        FrameReader r = reader("{\"ok\":true}\n{\"ok\":tr");
        assertEquals("{\"ok\":true}", r.readFrame());
        ProtocolException e = assertThrows(ProtocolException.class, r::readFrame);
        assertEquals(ErrorCodes.BAD_REQUEST, e.code());
        assertTrue(e.getMessage().contains("half-sent frame"), e.getMessage());
    }

    @Test
    void readFrame_invalidUtf8_throwsBadRequestAndStaysInStep() throws IOException {
        byte[] bad = {'{', (byte) 0xC3, (byte) 0x28, '}', '\n', 'o', 'k', '\n'};
        FrameReader r = new FrameReader(new ByteArrayInputStream(bad));
        ProtocolException e = assertThrows(ProtocolException.class, r::readFrame);
        assertEquals(ErrorCodes.BAD_REQUEST, e.code());
        assertTrue(e.getMessage().contains("UTF-8"));
        assertEquals("ok", r.readFrame());
    }

    @Test
    void maxFrameBytes_isOneMebibyte_andTheReadmeSaysSo() throws IOException {
        // a GC of a node at ~740 pods must fit, and a client in another language reads the limit from the README
        assertEquals(1024 * 1024, FrameReader.MAX_FRAME_BYTES);
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        assertTrue(readme.contains("at most **1,048,576 bytes** (1 MiB, `FrameReader.MAX_FRAME_BYTES`)"), readme);
        assertTrue(readme.contains("the frame is over 1 MiB"), readme);
        assertTrue(!readme.contains("64 KiB") && !readme.contains("65,536"), "a second, stale limit in the README");
    }

    @Test
    void readFrame_emptyLine_isAnEmptyFrame() throws IOException {
        FrameReader r = reader("\n");
        assertEquals("", r.readFrame());
        assertNull(r.readFrame());
    }

    @Test
    void writer_thenReader_carriesSeveralRequestReplyPairsOnOneConnection() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(out);
        w.write(Request.add("n", "c", "eth0", "/ns", null, null));
        w.write(Request.del("n", "c", "eth0"));
        w.write(Reply.error(ErrorCodes.SHUTTING_DOWN, "bye", true));
        byte[] bytes = out.toByteArray();
        assertEquals('\n', bytes[bytes.length - 1]);
        FrameReader r = new FrameReader(new ByteArrayInputStream(bytes));
        assertEquals(Op.ADD, r.readRequest().op());
        assertEquals(Op.DEL, r.readRequest().op());
        assertEquals(ErrorCodes.SHUTTING_DOWN, r.readReply().error().code());
        assertNull(r.readRequest());
    }

    @Test
    void writer_writesUtf8AndOneNewline() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out).writeFrame("\u00e9");
        assertArrayEquals(new byte[] {(byte) 0xC3, (byte) 0xA9, '\n'}, out.toByteArray());
        assertThrows(IllegalArgumentException.class, () -> new FrameWriter(out).writeFrame("a\nb"));
    }
}
