package io.vpcipam.ipamd.ops;

import com.fasterxml.jackson.jr.ob.JSON;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogSetupTest {

    private static final String AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE";
    private static final String AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static final String SESSION = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD";
    private static final String AZURE_SECRET = "Zx8Q~abcDEFghiJKLmnoPQRstuVWXyz0123456789";
    private static final String JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJl";

    private final Logger log = Logger.getLogger("io.vpcipam.ipamd.ops.LogSetupTest");

    @Test
    void debug_opensIpamdsLoggersOnly_librariesStayAtInfo() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LogSetup.configure(OpsConfig.LogFormat.PLAIN, OpsConfig.LogLevel.DEBUG, out);
        log.fine("ours at debug");
        Logger.getLogger("javax.net.ssl").fine("trust store entry");
        Logger.getLogger("io.fabric8.kubernetes.client.Config").fine("fabric8 debug");
        Logger.getLogger("jdk.internal.httpclient.debug").fine("http debug");
        Logger.getLogger("io.fabric8.kubernetes.client.Config").info("fabric8 info");
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("ours at debug"), text);
        assertTrue(text.contains("fabric8 info"), text);
        assertFalse(text.contains("trust store entry") || text.contains("fabric8 debug") || text.contains("http debug"),
                text);
    }

    @Test
    void warn_appliesToLibrariesToo() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LogSetup.configure(OpsConfig.LogFormat.PLAIN, OpsConfig.LogLevel.WARN, out);
        log.info("ours at info");
        Logger.getLogger("io.fabric8.kubernetes.client.Config").info("fabric8 info");
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @AfterEach
    void reset() {
        LogSetup.configure(OpsConfig.LogFormat.PLAIN, OpsConfig.LogLevel.INFO, System.err);
    }

    private static Map<String, String> envWithSecrets() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("IPAMD_PROVIDER", "aws");
        env.put("AWS_ACCESS_KEY_ID", AWS_KEY_ID);
        env.put("AWS_SECRET_ACCESS_KEY", AWS_SECRET);
        env.put("AWS_SESSION_TOKEN", SESSION);
        env.put("AZURE_CLIENT_SECRET", AZURE_SECRET);
        env.put("KUBE_TOKEN", JWT);
        return env;
    }

    private static void assertNoSecret(String out) {
        for (String secret : new String[]{AWS_KEY_ID, AWS_SECRET, SESSION, AZURE_SECRET, JWT, "wJalrXUtnFEMI"}) {
            assertFalse(out.contains(secret), "leaked " + secret + " in:\n" + out);
        }
    }

    @Test
    void plain_loggingAnEnvironmentWithCredentials_printsNoneOfThem() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LogSetup.configure(OpsConfig.LogFormat.PLAIN, OpsConfig.LogLevel.INFO, out);
        log.info("environment: " + envWithSecrets());
        log.log(Level.WARNING, "call failed", new IllegalStateException("header Authorization: Bearer " + JWT
                + " key " + AWS_KEY_ID));
        log.info("bare secret " + AWS_SECRET + " in a sentence");
        String text = out.toString(StandardCharsets.UTF_8);
        assertNoSecret(text);
        assertTrue(text.contains("IPAMD_PROVIDER=aws"), "non-secrets stay readable: " + text);
        assertTrue(text.contains("AWS_SECRET_ACCESS_KEY=<redacted>"), text);
        assertTrue(text.contains("IllegalStateException"), "stack traces are kept: " + text);
    }

    @Test
    void json_eachRecordIsOneJsonObjectWithoutCredentials() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LogSetup.configure(OpsConfig.LogFormat.JSON, OpsConfig.LogLevel.INFO, out);
        log.info("environment: " + envWithSecrets());
        log.log(Level.SEVERE, "boom", new RuntimeException("client_secret=" + AZURE_SECRET));
        String text = out.toString(StandardCharsets.UTF_8);
        assertNoSecret(text);
        String[] lines = text.split("\n");
        assertEquals(2, lines.length, text);
        Map<String, Object> first = JSON.std.mapFrom(lines[0]);
        assertEquals("INFO", first.get("level"));
        assertEquals(LogSetupTest.class.getName(), first.get("logger"));
        assertTrue(first.get("msg").toString().startsWith("environment: "));
        assertTrue(first.containsKey("ts") && first.containsKey("thread"));
        Map<String, Object> second = JSON.std.mapFrom(lines[1]);
        assertEquals("ERROR", second.get("level"));
        assertTrue(second.get("error").toString().contains("RuntimeException"));
    }

    @Test
    void level_warn_dropsInfoAndDebug() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LogSetup.configure(OpsConfig.LogFormat.PLAIN, OpsConfig.LogLevel.WARN, out);
        log.fine("debug line");
        log.info("info line");
        log.warning("warn line");
        String text = out.toString(StandardCharsets.UTF_8);
        assertFalse(text.contains("debug line") || text.contains("info line"), text);
        assertTrue(text.contains("WARN  LogSetupTest: warn line"), text);
    }
}
