package io.vpcipam.ipamd.lease;

import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.provider.Ipv4Address;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checkpoint file: leases and cooling addresses as one JSON document.
 *
 * <p>Written atomically (write a temp file beside it, fsync it, rename it over the old one with ATOMIC_MOVE, fsync
 * the directory), so a crash at any instant leaves either the old or the new file, never a torn one. The temp file
 * is made new each time, never opened through a link someone planted there (root would write through it), and is
 * mode 0600 whatever the umask ({@link OwnerOnly}). Read at start;
 * a file that exists but cannot be understood stops ipamd with a message naming it, because starting empty would
 * hand out addresses that pods are using.
 *
 * <pre>{"version":"vpc-ipam/1",
 *  "leases":[{"network":"..","containerId":"..","ifName":"eth0","address":"10.0.1.5","interfaceId":"eni-..",
 *             "podNamespace":"..","podName":"..","netns":"..","assignedAt":"2026-11-26T10:00:00Z",
 *             "lastAddAt":"2026-11-26T10:05:00Z"}],
 *  "cooling":[{"address":"10.0.1.9","until":"2026-11-26T10:00:30Z"}],
 *  "unproven":["10.0.1.20"]}</pre>
 * {@code unproven} (addresses found at a takeover, not yet proven free) may be absent: an older file has none.
 */
public final class Checkpoint {

    /** The format tag in the file. */
    public static final String VERSION = "vpc-ipam/1";

    private final Path file;
    private final Path temp;
    private volatile boolean dirReady;

    /** A checkpoint at {@code file}; its directory is created on first write. */
    public Checkpoint(Path file) {
        this.file = file.toAbsolutePath();
        this.temp = this.file.resolveSibling(this.file.getFileName() + ".tmp");
    }

    /** The file's path. */
    public Path file() {
        return file;
    }

    /** Reads the checkpoint; a missing file is {@link CheckpointState#none()} (a first start: nothing is proven). */
    public CheckpointState load() throws CheckpointException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return CheckpointState.none();
        } catch (IOException e) {
            throw new CheckpointException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
        try {
            return decode(new String(bytes, StandardCharsets.UTF_8));
        } catch (RuntimeException | IOException e) {
            throw new CheckpointException("checkpoint " + file + " is not a vpc-ipam checkpoint (" + e.getMessage()
                    + "); refusing to start, since starting empty could hand out addresses in use."
                    + " Move it aside only if no pod on this node holds a vpc-ipam address.", e);
        }
    }

    /** Replaces the checkpoint atomically and durably. */
    public void write(CheckpointState state) throws IOException {
        byte[] bytes = encode(state).getBytes(StandardCharsets.UTF_8);
        Path dir = file.getParent();
        if (!dirReady) {
            OwnerOnly.createDirectories(dir);
            dirReady = true;
        }
        if (!Files.isDirectory(temp, LinkOption.NOFOLLOW_LINKS)) { // a directory there is not ours: the open fails
            Files.deleteIfExists(temp); // a crash's leftover, or a planted link: removed itself, never followed
        }
        try (FileChannel ch = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS), OwnerOnly.FILE_ATTRIBUTE)) {
            Files.setPosixFilePermissions(temp, OwnerOnly.FILE); // exactly 0600, whatever the umask took away
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("state dir " + dir + " does not support atomic rename", e);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /**
     * Encodes by hand rather than through maps: the whole state is written on every lease change, so this is on
     * the ADD path (it was the largest cost under 64 concurrent ADDs). {@link #decode} reads it back with jackson-jr.
     */
    static String encode(CheckpointState state) {
        StringBuilder sb = new StringBuilder(128 + state.leases().size() * 256);
        sb.append("{\"version\":");
        string(sb, VERSION);
        sb.append(",\"leases\":[");
        boolean first = true;
        for (Lease l : state.leases()) {
            sb.append(first ? "{" : ",{");
            first = false;
            field(sb, "network", l.key().network()).append(',');
            field(sb, "containerId", l.key().containerId()).append(',');
            field(sb, "ifName", l.key().ifName()).append(',');
            field(sb, "address", l.address().toString()).append(',');
            field(sb, "interfaceId", l.interfaceId()).append(',');
            field(sb, "podNamespace", l.podNamespace()).append(',');
            field(sb, "podName", l.podName()).append(',');
            field(sb, "netns", l.netns()).append(',');
            field(sb, "assignedAt", l.assignedAt().toString()).append(',');
            field(sb, "lastAddAt", l.lastAddAt().toString()).append('}');
        }
        sb.append("],\"cooling\":[");
        first = true;
        for (var e : state.cooling().entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            sb.append(first ? "{" : ",{");
            first = false;
            field(sb, "address", e.getKey().toString()).append(',');
            field(sb, "until", e.getValue().toString()).append('}');
        }
        sb.append("],\"unproven\":[");
        first = true;
        for (Ipv4Address a : state.unproven().stream().sorted().toList()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            string(sb, a.toString());
        }
        return sb.append("]}").toString();
    }

    private static StringBuilder field(StringBuilder sb, String name, String value) {
        sb.append('"').append(name).append("\":");
        return string(sb, value);
    }

    /** A JSON string literal, escaped per RFC 8259 (quotes, backslash, control characters). */
    private static StringBuilder string(StringBuilder sb, String value) {
        sb.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }

    static CheckpointState decode(String text) throws IOException {
        Object parsed = JSON.std.anyFrom(text);
        if (!(parsed instanceof Map<?, ?> root)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        if (!VERSION.equals(root.get("version"))) {
            throw new IllegalArgumentException("version is " + root.get("version") + ", expected " + VERSION);
        }
        List<Lease> leases = new ArrayList<>();
        for (Object o : list(root.get("leases"), "leases")) {
            Map<?, ?> m = map(o, "lease");
            leases.add(new Lease(new LeaseKey(str(m, "network"), str(m, "containerId"), str(m, "ifName")),
                    Ipv4Address.parse(str(m, "address")), str(m, "interfaceId"), opt(m, "podNamespace"),
                    opt(m, "podName"), opt(m, "netns"), Instant.parse(str(m, "assignedAt")),
                    opt(m, "lastAddAt").isEmpty() ? null : Instant.parse(str(m, "lastAddAt")))); // absent: older file
        }
        Map<Ipv4Address, Instant> cooling = new LinkedHashMap<>();
        Object coolingList = root.get("cooling");
        if (coolingList != null) {
            for (Object o : list(coolingList, "cooling")) {
                Map<?, ?> m = map(o, "cooling entry");
                cooling.put(Ipv4Address.parse(str(m, "address")), Instant.parse(str(m, "until")));
            }
        }
        java.util.Set<Ipv4Address> unproven = new java.util.LinkedHashSet<>();
        Object unprovenList = root.get("unproven");
        if (unprovenList != null) {
            for (Object o : list(unprovenList, "unproven")) {
                if (!(o instanceof String a)) {
                    throw new IllegalArgumentException("unproven holds a non-string");
                }
                unproven.add(Ipv4Address.parse(a));
            }
        }
        return new CheckpointState(leases, cooling, unproven, false);
    }

    private static List<?> list(Object o, String what) {
        if (!(o instanceof List<?> l)) {
            throw new IllegalArgumentException(what + " is not a list");
        }
        return l;
    }

    private static Map<?, ?> map(Object o, String what) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(what + " is not an object");
        }
        return m;
    }

    private static String str(Map<?, ?> m, String field) {
        if (!(m.get(field) instanceof String s)) {
            throw new IllegalArgumentException(field + " is missing or not a string");
        }
        return s;
    }

    private static String opt(Map<?, ?> m, String field) {
        return m.get(field) instanceof String s ? s : "";
    }
}
