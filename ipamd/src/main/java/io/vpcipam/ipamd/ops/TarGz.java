package io.vpcipam.ipamd.ops;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.zip.GZIPOutputStream;

/**
 * A minimal POSIX ustar writer behind gzip, for the support bundle: regular files and directories, names up to 100
 * bytes (the bundle's own short names), everything owned by root with the given time. The JDK has no tar and the
 * bundle must not need one on the node (ipamd's image is small); {@code tar -xzf} reads what this writes.
 */
final class TarGz implements AutoCloseable {

    private static final int BLOCK = 512;

    private final GZIPOutputStream out;
    private final long mtime;

    TarGz(OutputStream sink, Instant time) throws IOException {
        this.out = new GZIPOutputStream(sink, 64 * 1024);
        this.mtime = time.getEpochSecond();
    }

    /** A directory entry ({@code name} without a trailing slash). */
    void directory(String name) throws IOException {
        out.write(header(name + "/", 0, '5', 0700));
    }

    /** A regular file, mode 0600: a bundle is for the operator and the support engineer only. */
    void file(String name, byte[] content) throws IOException {
        out.write(header(name, content.length, '0', 0600));
        out.write(content);
        int pad = (BLOCK - content.length % BLOCK) % BLOCK;
        out.write(new byte[pad]);
    }

    private byte[] header(String name, long size, char type, int mode) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 100) {
            throw new IllegalArgumentException("tar entry name longer than 100 bytes: " + name);
        }
        byte[] h = new byte[BLOCK];
        System.arraycopy(n, 0, h, 0, n.length);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, 0); // uid
        octal(h, 116, 8, 0); // gid
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        h[156] = (byte) type;
        ascii(h, 257, "ustar\0");
        ascii(h, 263, "00");
        ascii(h, 265, "root");
        ascii(h, 297, "root");
        for (int i = 148; i < 156; i++) {
            h[i] = ' '; // the checksum is computed with its own field as spaces
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        String chk = String.format("%06o", sum);
        ascii(h, 148, chk);
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void octal(byte[] h, int at, int width, long value) {
        String s = Long.toOctalString(value);
        if (s.length() > width - 1) {
            throw new IllegalArgumentException("tar field overflow: " + value);
        }
        ascii(h, at, "0".repeat(width - 1 - s.length()) + s); // width-1 digits, then NUL (already 0)
    }

    private static void ascii(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    /** Writes the two zero blocks that end an archive and finishes the gzip stream (the sink stays open). */
    @Override
    public void close() throws IOException {
        out.write(new byte[2 * BLOCK]);
        out.finish();
        out.flush();
    }
}
