package io.vpcipam.ipamd;

import io.vpcipam.protocol.ErrorCode;
import io.vpcipam.protocol.Layout;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.ipamd.lease.OwnerOnly;
import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.Op;
import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Request;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * DELs the CNI plugin could not deliver because ipamd was down: the plugin tears the pod down from what it knows
 * and leaves the DEL request (protocol v1, one line) as a file in {@code <state-dir>/release-spool/}; ipamd
 * applies them when it starts, before it serves, then deletes the files. A file it cannot parse is renamed
 * {@code *.bad} and kept for a human, never applied and never silently lost.
 *
 * <p>Root reads and renames here, so nothing is done through a link: a spool dir that is a symbolic link is refused
 * (its target's files are neither read nor renamed), and an entry that is not a regular file is set aside unread. The
 * dir is 0700, made so by ipamd at start whatever the umask the plugin that may have created it ran with.
 */
public final class ReleaseSpool {

    private static final Logger LOG = Logger.getLogger(ReleaseSpool.class.getName());

    /** The spool directory under a state dir. */
    public static Path dir(Path stateDir) {
        return Layout.releaseSpool(stateDir);
    }

    private ReleaseSpool() {
    }

    /** A spooled DEL and the file it came from. */
    record Entry(Path file, LeaseKey key) {
    }

    /**
     * Makes the spool dir a real directory of mode 0700, creating it if missing.
     *
     * @throws IOException naming the problem when it is a link or not a directory
     */
    static void prepare(Path stateDir) throws IOException {
        Path dir = dir(stateDir);
        refuseLink(dir);
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " is not a directory; move it aside so the release spool can be made");
        }
        OwnerOnly.createDirectories(dir);
        Files.setPosixFilePermissions(dir, OwnerOnly.DIR); // ours: also tightens one the plugin made under its umask
    }

    private static void refuseLink(Path dir) throws IOException {
        if (Files.isSymbolicLink(dir)) {
            throw new IOException(dir + " is a symbolic link; ipamd neither reads nor renames files through it:"
                    + " remove the link (the plugin makes the directory again)");
        }
    }

    /** Reads every spooled DEL, oldest file name first; bad files are set aside as {@code .bad}. */
    static List<Entry> read(Path stateDir) throws IOException {
        Path dir = dir(stateDir);
        List<Entry> entries = new ArrayList<>();
        refuseLink(dir);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return entries;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> Layout.isSpoolEntry(p.getFileName().toString())).sorted().toList()) {
                if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    Path bad = f.resolveSibling(f.getFileName() + Layout.SPOOL_BAD_SUFFIX);
                    Files.move(f, bad, LinkOption.NOFOLLOW_LINKS); // moves the link itself, never its target
                    LOG.warning("release spool entry " + f + " is not a regular file; not read, kept as " + bad);
                    continue;
                }
                try {
                    Request r = Codec.decodeRequest(Files.readString(f, StandardCharsets.UTF_8).strip());
                    if (r.op() != Op.DEL) {
                        throw new ProtocolException(ErrorCode.BAD_REQUEST.wire(), "spooled request is " + r.op() + ", not del");
                    }
                    entries.add(new Entry(f, new LeaseKey(r.network(), r.containerId(), r.ifName())));
                } catch (ProtocolException | IllegalArgumentException e) {
                    Path bad = f.resolveSibling(f.getFileName() + Layout.SPOOL_BAD_SUFFIX);
                    Files.move(f, bad);
                    LOG.warning("release spool file " + f + " is unreadable (" + e.getMessage() + "); kept as " + bad);
                }
            }
        }
        return entries;
    }
}
