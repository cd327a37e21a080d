package io.vpcipam.ipamd.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BuildInfoTest {

    @Test
    void current_isTheMavenProjectVersion_notDev() {
        String expected = System.getProperty("vpcipam.project.version");
        assertNotNull(expected, "surefire passes the project version");
        assertEquals(expected, BuildInfo.current().version());
    }

    @Test
    void current_inAGitTree_namesTheCommit() {
        Path root = Path.of("").toAbsolutePath().getParent();
        if (!Files.exists(root.resolve(".git"))) {
            return; // a build from a source archive records "unknown", which is honest
        }
        String commit = BuildInfo.current().commit();
        assertTrue(commit.matches("\\S*[0-9a-f]{7,}(-dirty)?"), "git describe --always: " + commit);
    }
}
