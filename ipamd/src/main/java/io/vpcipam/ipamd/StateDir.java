package io.vpcipam.ipamd;

import io.vpcipam.ipamd.lease.OwnerOnly;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * The state dir (checkpoint, release spool, the simulated cloud's file), made ready before anything reads it: created
 * 0700 if missing, refused if another local user could write it (they could replace the checkpoint and free any pod's
 * address), and shown to be writable now rather than at the first pod's ADD.
 */
final class StateDir {

    /** The setting that names it. */
    static final String SETTING = "IPAMD_STATE_DIR";

    private StateDir() {
    }

    /** Creates and checks {@code dir} and its release spool. */
    static void prepare(Path dir) throws StartupException {
        try {
            OwnerOnly.createDirectories(dir);
        } catch (FileSystemException e) {
            throw new StartupException(SETTING, dir, "cannot create it: " + reason(e), e);
        } catch (IOException e) {
            throw new StartupException(SETTING, dir, "cannot create it: " + e.getMessage(), e);
        }
        if (!Files.isDirectory(dir)) {
            throw new StartupException(SETTING, dir, "is not a directory");
        }
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir);
            if (mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new StartupException(SETTING, dir, "is writable by other users (" + mode(mode) + "); any of"
                        + " them could replace the checkpoint or spool a release: chmod 700 it");
            }
        } catch (IOException e) {
            throw new StartupException(SETTING, dir, "cannot read its mode: " + e.getMessage(), e);
        }
        Path probe = dir.resolve(".write-probe-" + ProcessHandle.current().pid());
        try {
            Files.deleteIfExists(probe);
            try (FileChannel ch = FileChannel.open(probe, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), OwnerOnly.FILE_ATTRIBUTE)) {
                ch.force(true);
            }
            Files.delete(probe);
        } catch (FileSystemException e) {
            throw new StartupException(SETTING, dir, "cannot write there: " + reason(e), e);
        } catch (IOException e) {
            throw new StartupException(SETTING, dir, "cannot write there: " + e.getMessage(), e);
        }
        try {
            ReleaseSpool.prepare(dir);
        } catch (IOException e) {
            throw new StartupException(SETTING, dir, e.getMessage(), e);
        }
    }

    /** "Permission denied" rather than the whole "path: Permission denied" (the setting names the path). */
    static String reason(FileSystemException e) {
        String why = e.getReason() != null ? e.getReason()
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                : e instanceof java.nio.file.FileAlreadyExistsException ? "already exists"
                : e.getClass().getSimpleName();
        return e.getFile() == null ? why : e.getFile() + ": " + why;
    }

    private static String mode(Set<PosixFilePermission> mode) {
        return java.nio.file.attribute.PosixFilePermissions.toString(mode);
    }
}
