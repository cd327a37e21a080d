package io.vpcipam.cni;

import io.vpcipam.protocol.Layout;
import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.Request;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Writes a DEL that ipamd could not take into {@code <stateDir>/release-spool/}, where ipamd
 * applies it when it starts (ipamd's ReleaseSpool): one protocol v1 del request line per file.
 * Atomic like every state change here: temp file, fsync, rename, fsync the directory, so ipamd
 * never reads half a file and a crash never loses an acknowledged release.
 */
final class Spool {

    private Spool() {
    }

    /** Records {@code del}; the file name sorts by time, then by the veth hash of the key. */
    static Path write(Path stateDir, Request del, Instant now, String keyHash) throws IOException {
        Path dir = Layout.releaseSpool(stateDir);
        Files.createDirectories(dir);
        String name = Layout.spoolFileName(now, keyHash);
        Path tmp = dir.resolve(Layout.SPOOL_TEMP_PREFIX + name + "-" + ProcessHandle.current().pid());
        byte[] line = (Codec.encode(del) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel fc = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            fc.write(ByteBuffer.wrap(line));
            fc.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Path target = dir.resolve(name);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
        return target;
    }
}
