package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoScriptsTest {

    @TempDir
    Path tmp;

    private static boolean root() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("id", "-u").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        p.waitFor(30, TimeUnit.SECONDS);
        return out.equals("0");
    }

    /** A PATH with only the basics: no busybox, iptables, nsenter, dpkg-query or apt-get (a fresh machine, offline). */
    private Path barePath() throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        for (String t : new String[] {"dirname", "id", "grep"}) {
            for (String dir : new String[] {"/usr/bin", "/bin"}) {
                if (Files.isExecutable(Path.of(dir, t))) {
                    Files.createSymbolicLink(bin.resolve(t), Path.of(dir, t));
                    break;
                }
            }
        }
        return bin;
    }

    @Test
    void demoDatapath_onAMachineWithoutItsToolsThatCannotInstallThem_skipsWithAMessage_andExits0() throws Exception {
        assumeTrue(root(), "the demo only checks its tools as root (it skips at once otherwise)");
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", "demo-datapath.sh", tmp.resolve("no-ipamd.jar").toString())
                .redirectErrorStream(true);
        pb.environment().put("PATH", barePath().toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("demo-datapath: skipped the data-path demo: busybox is missing"), out);
    }
}
