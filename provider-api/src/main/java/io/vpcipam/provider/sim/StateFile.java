package io.vpcipam.provider.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The simulated cloud's own file. Written the way ipamd writes its checkpoint (temp file, fsync, ATOMIC_MOVE,
 * fsync of the directory), so a kill -9 at any moment leaves either the old state or the new one, never half. The
 * temp file is created new (never opened through a link planted at its path) and, like the file, is mode 0600.
 * Read strictly: an unreadable or corrupt file is an IllegalStateException naming it, never an empty cloud,
 * because silently starting empty would make a "crashed node" lose interfaces a real cloud still holds.
 */
final class StateFile {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path path;

    StateFile(Path path) {
        this.path = path.toAbsolutePath();
    }

    Path path() {
        return path;
    }

    /** The stored state, or empty when there is no file yet. */
    Optional<SimState> load() {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read the simulated cloud's state file " + path + ": " + e
                    + "; delete it to start a new simulated node", e);
        }
        try {
            return Optional.of(SimState.parse(lines));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the simulated cloud's state file " + path + " is corrupt: "
                    + e.getMessage() + "; delete it to start a new simulated node", e);
        }
    }

    /** Replaces the file with {@code state}, durably, before returning. */
    void store(SimState state) {
        byte[] bytes = state.toText().getBytes(StandardCharsets.UTF_8);
        Path dir = path.getParent();
        Path tmp = dir.resolve(path.getFileName() + ".tmp");
        try {
            Files.createDirectories(dir);
            if (!Files.isDirectory(tmp, LinkOption.NOFOLLOW_LINKS)) { // a directory there is not ours: the open fails
                Files.deleteIfExists(tmp); // a crash's leftover, or a planted link: removed itself, never followed
            }
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(OWNER_ONLY))) {
                Files.setPosixFilePermissions(tmp, OWNER_ONLY); // exactly 0600, whatever the umask took away
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);  // makes the rename itself durable
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the simulated cloud's state file " + path, e);
        }
    }
}
