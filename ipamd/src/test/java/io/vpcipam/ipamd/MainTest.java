package io.vpcipam.ipamd;

import io.vpcipam.ipamd.config.BuildInfo;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line's own flags (the commands are tested where they live). */
class MainTest {

    @Test
    void versionFlag_printsTheVersionAndCommit() {
        StringWriter out = new StringWriter();
        int code = Main.commandLine().setOut(new PrintWriter(out)).execute("--version");
        assertEquals(0, code);
        assertTrue(out.toString().startsWith("vpc-ipam ipamd " + System.getProperty("vpcipam.project.version")
                + " (" + BuildInfo.current().commit() + ")"), out.toString());
    }
}
