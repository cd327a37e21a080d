package io.vpcipam.ipamd.ops;

import io.vpcipam.protocol.Layout;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The disk's part of a support bundle: the checkpoint, the release spool and a listing of both directories (modes
 * and owners: a wrong one is a common finding), aws-node's checkpoint, the plugin's conflist and log. Files are read
 * without following symbolic links and cut to their last {@link SupportBundle#MAX_FILE_BYTES}.
 */
final class BundleFiles {

    /** Release spool files read at most (each is tiny; a spool with thousands is itself the finding). */
    static final int MAX_SPOOL_FILES = 200;

    private BundleFiles() {
    }

    /** Adds the checkpoint, the release spool (with a listing), aws-node's checkpoint and the plugin's files. */
    static void collect(SupportBundle.Sources s, SupportBundle b) {
        state(s, b);
        cni(s, b);
    }

    private static void state(SupportBundle.Sources s, SupportBundle b) {
        if (s.stateDir() == null) {
            b.missing("state/", "no state dir given");
        } else {
            Path dir = s.stateDir();
            file(b, "state/checkpoint.json", dir.resolve(Layout.CHECKPOINT));
            StringBuilder listing = new StringBuilder();
            list(b, dir, listing);
            Path spool = dir.resolve("release-spool");
            if (Files.isDirectory(spool, LinkOption.NOFOLLOW_LINKS)) {
                list(b, spool, listing);
                int n = 0;
                try (DirectoryStream<Path> files = Files.newDirectoryStream(spool)) {
                    for (Path f : files) {
                        if (n++ >= MAX_SPOOL_FILES) {
                            b.missing("state/release-spool/", "more than " + MAX_SPOOL_FILES
                                    + " files; the first " + MAX_SPOOL_FILES + " are kept, all are listed");
                            break;
                        }
                        if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                            file(b, "state/release-spool/" + f.getFileName(), f);
                        }
                    }
                } catch (IOException e) {
                    b.missing("state/release-spool/", "cannot read " + spool + " (" + SupportBundle.reason(e) + ")");
                }
            }
            b.add("state/listing.txt", listing.toString());
        }
        if (s.awsNodeCheckpoint() != null && Files.exists(s.awsNodeCheckpoint(), LinkOption.NOFOLLOW_LINKS)) {
            file(b, "state/aws-node-ipam.json", s.awsNodeCheckpoint());
        }
    }

    private static void list(SupportBundle b, Path dir, StringBuilder out) {
        out.append(dir).append(":\n");
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            List<String> lines = new ArrayList<>();
            for (Path f : files) {
                PosixFileAttributes a = Files.readAttributes(f, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                lines.add(String.format(Locale.ROOT, "  %s %s:%s %10d %s %s%s", PosixFilePermissions.toString(
                                a.permissions()), a.owner().getName(), a.group().getName(), a.size(),
                        a.lastModifiedTime(), f.getFileName(), a.isSymbolicLink() ? " (symbolic link)"
                                : a.isDirectory() ? "/" : ""));
            }
            lines.stream().sorted().forEach(l -> out.append(l).append('\n'));
        } catch (IOException e) {
            out.append("  (cannot list: ").append(SupportBundle.reason(e)).append(")\n");
            b.missing("state/listing.txt", "cannot list " + dir + " (" + SupportBundle.reason(e) + ")");
        }
    }

    private static void cni(SupportBundle.Sources s, SupportBundle b) {
        if (s.conflist() != null) {
            file(b, "cni/" + s.conflist().getFileName(), s.conflist());
        }
        if (s.pluginLog() != null) {
            file(b, "cni/plugin.log", s.pluginLog());
        }
    }

    /** A file's content (its last {@link SupportBundle#MAX_FILE_BYTES} when larger), never through a symbolic link. */
    private static void file(SupportBundle b, String name, Path p) {
        try (SeekableByteChannel ch = Files.newByteChannel(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            long from = Math.max(0, size - SupportBundle.MAX_FILE_BYTES);
            ch.position(from);
            ByteBuffer buf = ByteBuffer.allocate((int) (size - from));
            while (buf.hasRemaining() && ch.read(buf) > 0) {
                // read it all
            }
            String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
            b.add(name, from > 0 ? "(the first " + from + " bytes are cut)\n" + text : text);
        } catch (NoSuchFileException e) {
            b.missing(name, p + " does not exist");
        } catch (IOException e) {
            b.missing(name, "cannot read " + p + " (" + SupportBundle.reason(e) + ")");
        }
    }
}
