package io.vpcipam.ipamd.lease;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * ipamd's state is root's alone: a local user who could write the checkpoint or the release spool could free any
 * pod's address. Directories ipamd creates are 0700 and its files 0600, set explicitly, since a process umask of 000
 * would otherwise leave them world-writable.
 */
public final class OwnerOnly {

    /** rwx------ */
    public static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    /** rw------- */
    public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    /** {@link #FILE} as a creation attribute (the umask can only take bits away from it). */
    public static final FileAttribute<Set<PosixFilePermission>> FILE_ATTRIBUTE =
            PosixFilePermissions.asFileAttribute(FILE);

    private OwnerOnly() {
    }

    /**
     * Creates {@code dir} and whichever of its ancestors are missing, each 0700; existing ones are left as they are.
     *
     * @throws FileSystemException naming the ancestor that exists but is not a directory
     */
    public static void createDirectories(Path dir) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            missing.push(p);
            p = p.getParent();
        }
        if (p != null && !Files.isDirectory(p)) {
            throw new FileSystemException(p.toString(), null, "exists and is not a directory");
        }
        for (Path q : missing) {
            try {
                Files.createDirectory(q, PosixFilePermissions.asFileAttribute(DIR));
            } catch (FileAlreadyExistsException raced) {
                if (!Files.isDirectory(q)) {
                    throw new FileSystemException(q.toString(), null, "exists and is not a directory");
                }
                continue; // made by someone else meanwhile: theirs to set
            }
            Files.setPosixFilePermissions(q, DIR);
        }
    }
}
