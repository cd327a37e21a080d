package io.vpcipam.protocol;

import java.nio.file.Path;
import java.time.Instant;

/**
 * Where ipamd and the CNI plugin meet on the node: the default socket path and state dir (DESIGN.md's stable entry
 * points), and the release spool's layout, which the plugin writes and ipamd reads. One definition for both sides.
 *
 * <p>The spool: {@code <state-dir>/release-spool/}, one protocol v1 DEL request line per file named
 * {@code <epoch millis, 19 digits>-<key hash>.json}, so names sort by time; written as {@code .tmp-*} and renamed;
 * a file ipamd cannot read is kept as {@code *.bad}.
 */
public final class Layout {

    /** The socket ipamd serves when neither {@code IPAMD_SOCKET} nor the plugin's {@code ipamdSocket} says. */
    public static final String DEFAULT_SOCKET = "/run/vpc-ipam/ipamd.sock";
    /** The state dir (checkpoint, release spool) when neither {@code IPAMD_STATE_DIR} nor {@code stateDir} says. */
    public static final String DEFAULT_STATE_DIR = "/var/lib/vpc-ipam";
    /** ipamd's checkpoint (its leases) under the state dir; the plugin never reads it, support bundles copy it. */
    public static final String CHECKPOINT = "checkpoint.json";
    /** The release spool's directory name under the state dir. */
    public static final String RELEASE_SPOOL = "release-spool";
    /** The suffix of a spooled DEL. */
    public static final String SPOOL_SUFFIX = ".json";
    /** The prefix of a spool file being written (never read). */
    public static final String SPOOL_TEMP_PREFIX = ".tmp-";
    /** Appended to a spool file ipamd set aside unread. */
    public static final String SPOOL_BAD_SUFFIX = ".bad";

    private Layout() {
    }

    /** The release spool directory under {@code stateDir}. */
    public static Path releaseSpool(Path stateDir) {
        return stateDir.resolve(RELEASE_SPOOL);
    }

    /** The name of a DEL spooled at {@code at}: sorts by time, then by {@code keyHash}. */
    public static String spoolFileName(Instant at, String keyHash) {
        String millis = Long.toString(at.toEpochMilli());
        return "0".repeat(Math.max(0, 19 - millis.length())) + millis + "-" + keyHash + SPOOL_SUFFIX;
    }

    /** Whether {@code fileName} is a spooled DEL for ipamd to apply (not a temp file, not set aside). */
    public static boolean isSpoolEntry(String fileName) {
        return fileName.endsWith(SPOOL_SUFFIX) && !fileName.startsWith(SPOOL_TEMP_PREFIX);
    }
}
