package io.vpcipam.cni;

import io.vpcipam.protocol.Json;
import io.vpcipam.protocol.Layout;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The network configuration from stdin, validated: what this plugin reads of it. Unknown keys
 * are ignored (runtimes add {@code runtimeConfig}, {@code args}, capabilities); a known key with
 * a wrong type or value is INVALID_NETWORK_CONFIG naming the key and the value.
 *
 * @param cniVersion       a supported version (checked before anything else)
 * @param name             the network name: the first part of every lease key
 * @param ipamdSocket      {@code ipamdSocket}: ipamd's Unix socket
 * @param stateDir         {@code stateDir}: ipamd's state dir, where the release spool lives
 * @param vethPrefix       {@code vethPrefix}: 1-4 chars before the hash in host veth names
 * @param mtu              {@code mtu}: overrides ipamd's MTU when non-zero
 * @param logFile          {@code logFile}: where the plugin logs; empty means stderr
 * @param ipamdTimeoutMs   {@code ipamdTimeoutSeconds} in ms: the most one ipamd call may take
 * @param lockFile         {@code lockFile}: the host-wide lock around host route/rule changes; by
 *                         default {@code cni.lock} next to the ipamd socket (one ipamd per node)
 * @param dns              {@code dns}, passed through into the result (or null)
 * @param prevResult       {@code prevResult} (or null)
 * @param validAttachments GC: {@code cni.dev/valid-attachments} as (containerID, ifname) pairs (or null)
 */
record NetConf(String cniVersion, String name, String ipamdSocket, String stateDir, String vethPrefix,
               int mtu, String logFile, long ipamdTimeoutMs, String lockFile, Map<String, Object> dns,
               Map<String, Object> prevResult, List<String[]> validAttachments) {

    static final String DEFAULT_VETH_PREFIX = "vpc";
    /** The lock file's name in the ipamd socket's directory: {@code /run/vpc-ipam/cni.lock} by default. */
    static final String DEFAULT_LOCK_NAME = "cni.lock";
    static final String DEFAULT_LOG_FILE = "/var/log/vpc-ipam/cni.log";
    /** ipamd waits 10 s by default for an empty pool (IPAMD_ADD_TIMEOUT); leave it room to answer. */
    static final int DEFAULT_IPAMD_TIMEOUT_SECONDS = 30;

    /**
     * The cniVersion of a config tree, or null when it has none we can read: used first, so even
     * an error about another key is printed in the caller's version.
     */
    static String versionOf(Object tree) {
        if (tree instanceof Map<?, ?> m && m.get("cniVersion") instanceof String v) {
            return v;
        }
        return null;
    }

    /** Validates a decoded config tree. */
    static NetConf parse(Object tree) throws CniException {
        if (!(tree instanceof Map<?, ?> raw)) {
            throw CniError.DECODING_FAILURE.error("network config must be a JSON object, was " + Json.type(tree));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) raw;
        Object v = m.get("cniVersion");
        if (v == null) {
            throw CniError.INCOMPATIBLE_CNI_VERSION.error("network config has no cniVersion",
                    "supported versions: " + CniVersion.SUPPORTED);
        }
        if (!(v instanceof String version) || !CniVersion.supported(version)) {
            throw CniError.INCOMPATIBLE_CNI_VERSION.error("incompatible CNI versions",
                    "config is " + abbreviate(String.valueOf(v)) + ", plugin supports " + CniVersion.SUPPORTED);
        }
        String name = string(m, "name", null);
        if (name == null || name.isEmpty()) {
            throw CniError.INVALID_NETWORK_CONFIG.error("network config has no name");
        }
        if (!Names.validNetworkName(name)) {
            throw CniError.INVALID_NETWORK_CONFIG.error("invalid network name \"" + abbreviate(name) + "\"",
                    "a name starts with a letter or digit, then letters, digits, '_', '.' or '-', at most "
                            + Names.MAX_KEY_CHARS + " characters");
        }
        String socket = absolutePath(m, "ipamdSocket", Layout.DEFAULT_SOCKET);
        String stateDir = absolutePath(m, "stateDir", Layout.DEFAULT_STATE_DIR);
        String prefix = string(m, "vethPrefix", DEFAULT_VETH_PREFIX);
        if (!Names.validVethPrefix(prefix)) {
            throw CniError.INVALID_NETWORK_CONFIG.error("vethPrefix \"" + abbreviate(prefix)
                    + "\" must be 1 to 4 lower-case letters or digits");
        }
        int mtu = integer(m, "mtu", 0);
        if (mtu != 0 && (mtu < 576 || mtu > 9001)) {
            throw CniError.INVALID_NETWORK_CONFIG.error("mtu " + mtu + " is outside 576..9001");
        }
        String logFile = string(m, "logFile", DEFAULT_LOG_FILE);
        if (!logFile.isEmpty()) {
            if (!logFile.startsWith("/")) {
                throw CniError.INVALID_NETWORK_CONFIG.error("logFile must be an absolute path or \"\", was \""
                        + abbreviate(logFile) + "\"");
            }
            encodable("logFile", logFile);
        }
        int timeout = integer(m, "ipamdTimeoutSeconds", DEFAULT_IPAMD_TIMEOUT_SECONDS);
        if (timeout < 1 || timeout > 600) {
            throw CniError.INVALID_NETWORK_CONFIG.error("ipamdTimeoutSeconds " + timeout + " is outside 1..600");
        }
        String lockFile = lockFile(m, socket.substring(0, socket.lastIndexOf('/') + 1) + DEFAULT_LOCK_NAME);
        Map<String, Object> dns = object(m, "dns");
        Map<String, Object> prev = object(m, "prevResult");
        List<String[]> valid = attachments(m.get("cni.dev/valid-attachments"));
        return new NetConf(version, name, socket, stateDir, prefix, mtu, logFile, timeout * 1000L, lockFile, dns, prev,
                valid);
    }

    private static List<String[]> attachments(Object v) throws CniException {
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> list)) {
            throw CniError.INVALID_NETWORK_CONFIG.error("cni.dev/valid-attachments must be an array, was "
                    + Json.type(v));
        }
        List<String[]> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> a)
                    || !(a.get("containerID") instanceof String id) || id.isEmpty()
                    || !(a.get("ifname") instanceof String ifName) || ifName.isEmpty()) {
                throw CniError.INVALID_NETWORK_CONFIG.error("cni.dev/valid-attachments[" + i
                        + "] needs string containerID and ifname");
            }
            if (id.length() > Names.MAX_KEY_CHARS || ifName.length() > Names.MAX_KEY_CHARS) {
                throw CniError.INVALID_NETWORK_CONFIG.error("cni.dev/valid-attachments[" + i + "] is too long");
            }
            out.add(new String[] {id, ifName});
        }
        return out;
    }

    private static String string(Map<String, Object> m, String key, String dflt) throws CniException {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof String s) {
            return s;
        }
        throw CniError.INVALID_NETWORK_CONFIG.error(key + " must be a string, was " + Json.type(v));
    }

    private static String absolutePath(Map<String, Object> m, String key, String dflt) throws CniException {
        String s = string(m, key, dflt);
        if (!s.startsWith("/") || s.indexOf('\0') >= 0 || s.length() > 4096) {
            throw CniError.INVALID_NETWORK_CONFIG.error(key + " must be an absolute path, was \""
                    + abbreviate(s) + "\"");
        }
        encodable(key, s);
        return s;
    }

    /**
     * {@code lockFile}: an absolute path naming a file (not "/", not ending in '/', not an existing
     * directory, whose lock would fail only once a pod is half wired). A missing parent directory is
     * created on first use, as {@code /run/vpc-ipam} after a reboot before ipamd starts.
     */
    private static String lockFile(Map<String, Object> m, String dflt) throws CniException {
        String s = absolutePath(m, "lockFile", dflt);
        if (s.endsWith("/")) {
            throw CniError.INVALID_NETWORK_CONFIG.error("lockFile must name a file, was \"" + abbreviate(s) + "\"");
        }
        if (Files.isDirectory(Path.of(s))) {
            throw CniError.INVALID_NETWORK_CONFIG.error("lockFile " + abbreviate(s) + " is a directory");
        }
        return s;
    }

    /**
     * A path the JVM can turn into bytes for the file system: with the POSIX locale runtimes often
     * give plugins, non-ASCII (and always an unpaired surrogate) cannot be encoded.
     */
    private static void encodable(String key, String path) throws CniException {
        try {
            Path.of(path);
        } catch (InvalidPathException e) {
            throw CniError.INVALID_NETWORK_CONFIG.error(key + " is not a path this system can encode: \""
                    + abbreviate(path) + "\"", "characters outside the file-name encoding "
                    + System.getProperty("sun.jnu.encoding"));
        }
    }

    private static int integer(Map<String, Object> m, String key, int dflt) throws CniException {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Integer i) {
            return i;
        }
        throw CniError.INVALID_NETWORK_CONFIG.error(key + " must be an integer, was "
                + (v instanceof Number ? abbreviate(v.toString()) : Json.type(v)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Map<String, Object> m, String key) throws CniException {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Map<?, ?> o) {
            return (Map<String, Object>) o;
        }
        throw CniError.INVALID_NETWORK_CONFIG.error(key + " must be an object, was " + Json.type(v));
    }

    static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
