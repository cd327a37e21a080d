package io.vpcipam.cni.netns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessIpRunnerTest {

    @TempDir
    Path dir;

    @Test
    void run_ipAlwaysSpeaksTheCLocale_becauseItsErrorsAreMatched() throws Exception {
        Path ip = dir.resolve("ip");
        Files.writeString(ip, "#!/bin/sh\necho \"LC_ALL=$LC_ALL\" >&2\nexit 1\n");
        Files.setPosixFilePermissions(ip, PosixFilePermissions.fromString("rwx------"));

        IpRunner.Outcome out = new ProcessIpRunner(ip.toString(), "nsenter").run(null, false, false,
                List.of("link show"));

        assertTrue(out.stderr().contains("LC_ALL=C\n"), out.stderr());
    }
}
