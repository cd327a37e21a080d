package io.vpcipam.it.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's digest does not depend on the machine or the directory that built it: the build's image is built
 * again by the same script into another directory with an empty cache (no jlink'ed runtime, no compressed layers,
 * as on a clean machine), and must come out with the same digest. Only the pinned Debian packages are taken from
 * the build's cache, where it has them (they are checked against the lock's sha256 either way; a clean machine
 * downloads the same bytes).
 */
class ImageReproducibleIT {

    @TempDir
    Path tmp;

    @Test
    void imageBuiltAgainInAnotherDirectoryWithAnEmptyCache_hasTheSameDigest() throws Exception {
        Path root = Path.of(System.getProperty("vpcipam.root", "..")).toAbsolutePath().normalize();
        Path built = root.resolve("image/target");
        assumeTrue(Files.isRegularFile(built.resolve("image-digest")), "the image is not built: " + built
                + " (the image module builds it)");
        String timestamp = System.getProperty("vpcipam.outputTimestamp");
        assertTrue(timestamp != null && !timestamp.isBlank(), "the it module passes project.build.outputTimestamp");

        Path cache = tmp.resolve("cache");
        Path debs = Files.createDirectories(cache.resolve("image/debs"));
        Path sharedDebs = sharedCache().resolve("image/debs");
        if (Files.isDirectory(sharedDebs)) {
            try (Stream<Path> s = Files.list(sharedDebs)) {
                for (Path deb : s.filter(p -> p.toString().endsWith(".deb")).toList()) {
                    Files.copy(deb, debs.resolve(deb.getFileName()));
                }
            }
        }
        Path target = Files.createDirectories(tmp.resolve("elsewhere/target"));
        List<String> cmd = new ArrayList<>(List.of("sh", root.resolve("image/src/build-image.sh").toString(),
                target.toString(), System.getProperty("java.home"), root.toString(), timestamp));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("build.log").toFile());
        pb.environment().put("VPC_IPAM_CACHE", cache.toString());
        Process p = pb.start();
        if (!p.waitFor(20, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        String log = Files.readString(tmp.resolve("build.log"), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "build-image.sh failed:\n" + log);
        try (Stream<Path> s = Files.list(cache.resolve("image"))) {
            assertTrue(s.anyMatch(d -> d.getFileName().toString().startsWith("jre-")),
                    "the runtime was jlink'ed again into the empty cache:\n" + log);
        }

        assertEquals(Files.readString(built.resolve("image-layers.txt")), Files.readString(
                target.resolve("image-layers.txt")), "every layer is the same");
        assertEquals(Files.readString(built.resolve("image-digest")).strip(),
                Files.readString(target.resolve("image-digest")).strip(), "the same digest:\n" + log);
        assertFalse(Files.readString(target.resolve("image-layers.txt")).contains("aot"),
                "no AOT cache in the image (install.sh makes it on the node)");
    }

    /** The build's cache: VPC_IPAM_CACHE, else $XDG_CACHE_HOME/vpc-ipam, else ~/.cache/vpc-ipam (as build-image.sh). */
    private static Path sharedCache() throws IOException {
        String env = System.getenv("VPC_IPAM_CACHE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("vpc-ipam");
    }
}
