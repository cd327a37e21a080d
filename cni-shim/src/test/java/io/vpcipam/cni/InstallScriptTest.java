package io.vpcipam.cni;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code src/package/install.sh} as the chart's conflist container and a hand install run it, over a stand-in
 * plugin in a temp dir: the conflist name, its validation, the warning when another config sorts first, and the AOT
 * cache made on the node when the package carries none (the container image). The stand-in launcher trains a
 * "cache" of random bytes (as a JDK training run never gives the same bytes twice) and, like the JVM, complains on
 * stderr about a cache it cannot use (here: one that says "stale").
 */
class InstallScriptTest {

    @TempDir
    Path dir;
    Path pkg;
    Path bin;
    Path conf;

    record Run(int exit, String out, String err) {
    }

    @BeforeEach
    void standInPackage() throws IOException {
        pkg = Files.createDirectories(dir.resolve("pkg"));
        Files.copy(Path.of("src/package/install.sh"), pkg.resolve("install.sh"));
        Files.writeString(pkg.resolve("vpc-ipam"), """
                #!/bin/sh
                d=${0%/*}/vpc-ipam.d
                if [ "${1:-}" = --aot-train ]; then
                  [ -f "$d/fail-training" ] && { echo "training failed: no memory" >&2; exit 1; }
                  mkdir -p "$3" && od -An -N16 -tx8 /dev/urandom > "$2"
                  exit 0
                fi
                [ "$(cat "$d/vpc-ipam.aot" 2>/dev/null)" = stale ] && echo "[warning][aot] cannot use the cache" >&2
                cat >/dev/null
                echo '{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}'
                """);
        pkg.resolve("vpc-ipam").toFile().setExecutable(true);
        Files.createDirectories(pkg.resolve("vpc-ipam.d/runtime"));
        Files.createDirectories(pkg.resolve("vpc-ipam.d/lib"));
        Files.writeString(pkg.resolve("vpc-ipam.d/runtime/release"), "JAVA_VERSION=\"25\"\n");
        Files.writeString(pkg.resolve("vpc-ipam.d/lib/cni-shim.jar"), "v1");
        Files.writeString(pkg.resolve("vpc-ipam.d/vpc-ipam.aot"), "built with the package");
        bin = dir.resolve("bin");
        conf = dir.resolve("net.d");
    }

    Run install(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", pkg.resolve("install.sh").toString(), "--bin-dir",
                bin.toString(), "--conf-dir", conf.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "install.sh hung");
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void install_defaults_writesAConflistThatSortsBeforeAwsNodes() throws Exception {
        Files.createDirectories(conf);
        Files.writeString(conf.resolve("10-aws.conflist"), "{}");

        Run r = install();

        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.exists(conf.resolve("05-vpc-ipam.conflist")), r.out());
        assertTrue("05-vpc-ipam.conflist".compareTo("10-aws.conflist") < 0);
        assertFalse(r.err().contains("warning"), "ours sorts first, nothing to warn about: " + r.err());
    }

    @Test
    void install_anotherConfigSortsFirst_warnsNamingIt() throws Exception {
        Files.createDirectories(conf);
        Files.writeString(conf.resolve("00-multus.conf"), "{}");

        Run r = install("--conf-file", "10-vpc-ipam.conflist");

        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.exists(conf.resolve("10-vpc-ipam.conflist")));
        assertTrue(r.err().contains("warning") && r.err().contains("00-multus.conf"), r.err());
    }

    @Test
    void install_vethPrefix_reachesTheConflist_onlyWhenGiven() throws Exception {
        Run r = install("--veth-prefix", "eni");
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.readString(conf.resolve("05-vpc-ipam.conflist")).contains("\"vethPrefix\":\"eni\""));

        Files.delete(conf.resolve("05-vpc-ipam.conflist"));
        assertEquals(0, install().exit());
        assertFalse(Files.readString(conf.resolve("05-vpc-ipam.conflist")).contains("vethPrefix"));
    }

    @Test
    void install_badVethPrefix_exits2AndWritesNothing() throws Exception {
        for (String bad : List.of("eth", "vlan", "lo", "toolong", "ENI", "a\"b")) {
            Run r = install("--veth-prefix", bad);

            assertEquals(2, r.exit(), bad + ": " + r.err());
            assertTrue(r.err().contains("--veth-prefix"), r.err());
        }
        assertFalse(Files.exists(bin.resolve("vpc-ipam")), "nothing is installed after a refused argument");
    }

    @Test
    void install_badConfFile_exits2AndWritesNothing() throws Exception {
        for (String bad : List.of("05-vpc-ipam.json", "../05-vpc-ipam.conflist", ".hidden.conflist")) {
            Run r = install("--conf-file", bad);

            assertEquals(2, r.exit(), bad + ": " + r.err());
            assertTrue(r.err().contains("--conf-file"), r.err());
        }
        assertFalse(Files.exists(bin.resolve("vpc-ipam")), "nothing is installed after a refused argument");
    }

    @Test
    void install_packageWithACache_keepsIt() throws Exception {
        Run r = install("--no-conf");

        assertEquals(0, r.exit(), r.err());
        assertEquals("built with the package", Files.readString(bin.resolve("vpc-ipam.d/vpc-ipam.aot")));
        assertFalse(r.out().contains("training"), r.out());
    }

    @Test
    void install_packageWithoutACache_trainsOneOnTheNode_reinstallOfTheSamePluginKeepsIt() throws Exception {
        Files.delete(pkg.resolve("vpc-ipam.d/vpc-ipam.aot"));

        Run first = install("--no-conf");
        String trained = Files.readString(bin.resolve("vpc-ipam.d/vpc-ipam.aot"));
        Run again = install("--no-conf");

        assertEquals(0, first.exit(), first.err());
        assertTrue(first.out().contains("training the plugin's AOT cache"), first.out());
        assertEquals("", first.err());
        assertEquals(0, again.exit(), again.err());
        assertFalse(again.out().contains("training"), again.out());
        assertEquals(trained, Files.readString(bin.resolve("vpc-ipam.d/vpc-ipam.aot")), "kept, not trained again");
        try (var left = Files.list(bin)) {
            assertEquals(List.of("vpc-ipam", "vpc-ipam.d"), left.map(p -> p.getFileName().toString()).sorted()
                    .toList(), "no stage or training files left behind");
        }
    }

    @Test
    void install_anotherPlugin_trainsANewCache() throws Exception {
        Files.delete(pkg.resolve("vpc-ipam.d/vpc-ipam.aot"));
        install("--no-conf");
        String old = Files.readString(bin.resolve("vpc-ipam.d/vpc-ipam.aot"));
        Files.writeString(pkg.resolve("vpc-ipam.d/lib/cni-shim.jar"), "v2");

        Run r = install("--no-conf");

        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("training"), r.out());
        assertNotEquals(old, Files.readString(bin.resolve("vpc-ipam.d/vpc-ipam.aot")));
        assertEquals("v2", Files.readString(bin.resolve("vpc-ipam.d/lib/cni-shim.jar")));
    }

    @Test
    void install_cacheTheJvmRefuses_trainsANewOne() throws Exception {
        Files.writeString(pkg.resolve("vpc-ipam.d/vpc-ipam.aot"), "stale");

        Run r = install("--no-conf");

        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("training"), r.out());
        assertNotEquals("stale", Files.readString(bin.resolve("vpc-ipam.d/vpc-ipam.aot")));
    }

    @Test
    void install_trainingFails_installsThePluginWithoutACacheAndWarns() throws Exception {
        Files.delete(pkg.resolve("vpc-ipam.d/vpc-ipam.aot"));
        Files.writeString(pkg.resolve("vpc-ipam.d/fail-training"), "");

        Run r = install("--no-conf");

        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("warning: no AOT cache") && r.err().contains("no memory"), r.err());
        assertTrue(Files.isExecutable(bin.resolve("vpc-ipam")));
        assertFalse(Files.exists(bin.resolve("vpc-ipam.d/vpc-ipam.aot")));
        assertFalse(Files.exists(bin.resolve("vpc-ipam.d/vpc-ipam.aot.key")));
    }

    @Test
    void uninstall_removesThePluginAndAStageAKilledInstallLeft() throws Exception {
        install();
        Files.createDirectories(bin.resolve(".vpc-ipam.12345/vpc-ipam.d"));

        Run r = install("--uninstall");

        assertEquals(0, r.exit(), r.err());
        try (var left = Files.list(bin)) {
            assertEquals(List.of(), left.toList());
        }
        assertFalse(Files.exists(conf.resolve("05-vpc-ipam.conflist")));
    }
}
