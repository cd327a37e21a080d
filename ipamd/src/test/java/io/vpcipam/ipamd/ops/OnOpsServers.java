package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.Daemon;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * What the tests of the ops servers against a real daemon share: a temp dir, the servers and the daemon (each test
 * starts them its own way), both closed after the test, the daemon first (as Main stops them).
 */
abstract class OnOpsServers {

    @TempDir
    Path dir;
    OpsServers ops;
    Daemon daemon;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.close();
        }
        if (ops != null) {
            ops.close();
        }
    }
}
