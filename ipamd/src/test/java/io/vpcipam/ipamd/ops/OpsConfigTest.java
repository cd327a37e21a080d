package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpsConfigTest {

    @Test
    void fromEnv_nothingSet_usesTheDesignDefaults() throws Exception {
        OpsConfig c = OpsConfig.fromEnv(Map.of());
        assertEquals(new OpsConfig.Endpoint("0.0.0.0", 61678), c.metrics());
        assertEquals(new OpsConfig.Endpoint("127.0.0.1", 61679), c.introspection());
        assertEquals(OpsConfig.LogFormat.PLAIN, c.logFormat());
        assertEquals(OpsConfig.LogLevel.INFO, c.logLevel());
    }

    @Test
    void fromEnv_offAndOtherForms_areRead() throws Exception {
        OpsConfig c = OpsConfig.fromEnv(Map.of("IPAMD_METRICS_ADDRESS", "OFF", "IPAMD_INTROSPECTION_ADDRESS", "[::1]:9",
                "IPAMD_LOG_FORMAT", "json", "IPAMD_LOG_LEVEL", "Warning"));
        assertNull(c.metrics());
        assertEquals("[::1]:9", c.introspection().toString());
        assertEquals(OpsConfig.LogFormat.JSON, c.logFormat());
        assertEquals(OpsConfig.LogLevel.WARN, c.logLevel());
        assertEquals(new OpsConfig.Endpoint("0.0.0.0", 8080), OpsConfig.Endpoint.parse(":8080"));
    }

    @Test
    void fromEnv_badValues_allReportedNamingTheVariable() {
        ConfigException e = assertThrows(ConfigException.class, () -> OpsConfig.fromEnv(Map.of(
                "IPAMD_METRICS_ADDRESS", "localhost", "IPAMD_INTROSPECTION_ADDRESS", "::1:80",
                "IPAMD_LOG_FORMAT", "xml", "IPAMD_LOG_LEVEL", "loud")));
        assertEquals(4, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("IPAMD_METRICS_ADDRESS='localhost'"));
        assertTrue(e.getMessage().contains("IPAMD_INTROSPECTION_ADDRESS='::1:80'"));
        assertTrue(e.getMessage().contains("IPAMD_LOG_FORMAT='xml'"));
        assertTrue(e.getMessage().contains("IPAMD_LOG_LEVEL='loud'"));
    }

    @Test
    void fromEnv_samePortForBoth_isRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> OpsConfig.fromEnv(Map.of(
                "IPAMD_METRICS_ADDRESS", "0.0.0.0:9000", "IPAMD_INTROSPECTION_ADDRESS", "127.0.0.1:9000")));
        assertTrue(e.getMessage().contains("same port"), e.getMessage());
    }
}
