package io.vpcipam.cni.urandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StderrLoggerFinderTest {

    @Test
    void logger_printsInfoAndAbove_asTheJdksConsoleLoggerDoes_andIsOffForDebugAndTrace() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.Logger log = new StderrLoggerFinder.StderrLogger("java.lang.ProcessBuilder",
                new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertFalse(log.isLoggable(System.Logger.Level.TRACE));
        assertFalse(log.isLoggable(System.Logger.Level.DEBUG)); // ProcessBuilder then logs nothing
        assertFalse(log.isLoggable(System.Logger.Level.OFF));
        assertTrue(log.isLoggable(System.Logger.Level.INFO));
        assertTrue(log.isLoggable(System.Logger.Level.ERROR));
        log.log(System.Logger.Level.DEBUG, "not shown");
        log.log(System.Logger.Level.WARNING, "disk {0} is {1}% full", "/var", 97);
        log.log(System.Logger.Level.ERROR, "failed", new IllegalStateException("boom"));
        assertEquals("java.lang.ProcessBuilder WARNING: disk /var is 97% full\n"
                + "java.lang.ProcessBuilder ERROR: failed java.lang.IllegalStateException: boom\n",
                buf.toString(StandardCharsets.UTF_8));
        assertEquals("x", new StderrLoggerFinder().getLogger("x", Object.class.getModule()).getName());
    }
}
