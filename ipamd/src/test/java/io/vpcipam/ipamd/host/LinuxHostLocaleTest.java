package io.vpcipam.ipamd.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinuxHostLocaleTest {

    @TempDir
    Path dir;

    @Test
    void ip_alwaysRunsInTheCLocale_becauseItsOutputAndErrorsAreParsed() throws Exception {
        Path ip = dir.resolve("ip");
        Files.writeString(ip, "#!/bin/sh\necho \"LC_ALL=$LC_ALL\"\nexit 1\n");
        Files.setPosixFilePermissions(ip, PosixFilePermissions.fromString("rwx------"));

        HostException e = assertThrows(HostException.class,
                () -> new LinuxHost(ip.toString(), "iptables-save", "iptables-restore", dir).linksByMac());

        assertTrue(e.getMessage().contains("LC_ALL=C"), e.getMessage());
    }
}
