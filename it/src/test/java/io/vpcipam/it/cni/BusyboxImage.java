package io.vpcipam.it.cni;

import io.vpcipam.it.host.Host;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An OCI image layout tarball holding Debian's busybox-static as {@code /bin/busybox} (and {@code /bin/sh}), made by
 * hand with no registry and no tool: what {@code ctr images import} loads offline, for containerd with and without
 * its CRI plugin (the kubelet's sandbox image is one of these with a command that never exits).
 */
public final class BusyboxImage {

    private BusyboxImage() {
    }

    /**
     * Writes the image {@code ref} (e.g. {@code docker.io/library/vit-busybox:1}) with default command {@code cmd}
     * under {@code dir}; returns the tarball's path.
     */
    public static Path write(Path dir, String ref, List<String> cmd) throws IOException, InterruptedException {
        Path rootfs = dir.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        Files.createSymbolicLink(rootfs.resolve("bin/sh"), Path.of("busybox"));
        Path layer = dir.resolve("layer.tar");
        Host.sh("tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C",
                rootfs.toString(), "-cf", layer.toString(), ".");
        Path oci = dir.resolve("oci");
        Path blobs = oci.resolve("blobs/sha256");
        Files.createDirectories(blobs);
        byte[] layerBytes = Files.readAllBytes(layer);
        String l = blob(blobs, layerBytes);
        String cmdJson = cmd.stream().map(c -> "\"" + c.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
                .collect(Collectors.joining(",", "[", "]"));
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],"
                + "\"Cmd\":" + cmdJson + "},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + l + "\"]}}")
                .getBytes(StandardCharsets.UTF_8);
        String c = blob(blobs, config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" + c
                + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                + "\"digest\":\"sha256:" + l + "\",\"size\":" + layerBytes.length + "}]}").getBytes(StandardCharsets.UTF_8);
        String m = blob(blobs, manifest);
        Files.writeString(oci.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" + m + "\",\"size\":"
                + manifest.length + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + ref + "\"},"
                + "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}");
        Files.writeString(oci.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Path tar = dir.resolve("image.tar");
        Host.sh("tar", "-C", oci.toString(), "-cf", tar.toString(), "oci-layout", "index.json", "blobs");
        return tar;
    }

    private static String blob(Path blobs, byte[] bytes) throws IOException {
        try {
            String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            Files.write(blobs.resolve(digest), bytes);
            return digest;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
