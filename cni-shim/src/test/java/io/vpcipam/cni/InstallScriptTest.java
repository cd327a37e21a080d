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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code src/package/install.sh} as the chart's conflist container and a hand install run it, over a stand-in
 * plugin in a temp dir: the conflist name, its validation, and the warning when another config sorts first.
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
        Files.writeString(pkg.resolve("vpc-ipam"), "#!/bin/sh\n");
        Files.createDirectories(pkg.resolve("vpc-ipam.d"));
        Files.writeString(pkg.resolve("vpc-ipam.d/stand-in"), "");
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
    void install_badConfFile_exits2AndWritesNothing() throws Exception {
        for (String bad : List.of("05-vpc-ipam.json", "../05-vpc-ipam.conflist", ".hidden.conflist")) {
            Run r = install("--conf-file", bad);

            assertEquals(2, r.exit(), bad + ": " + r.err());
            assertTrue(r.err().contains("--conf-file"), r.err());
        }
        assertFalse(Files.exists(bin.resolve("vpc-ipam")), "nothing is installed after a refused argument");
    }
}
