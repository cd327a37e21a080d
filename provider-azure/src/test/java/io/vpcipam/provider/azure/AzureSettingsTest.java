package io.vpcipam.provider.azure;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AzureSettingsTest {

    @Test
    void fromEnv_empty_usesAzurePublicCloudAndTheRealImds() {
        AzureSettings s = AzureSettings.fromEnv(Map.of());

        assertEquals("https://management.azure.com/", s.armEndpoint().toString());
        assertEquals("http://169.254.169.254/", s.metadataEndpoint().toString());
        assertFalse(s.plainHttpArm());
        assertEquals(Duration.ofSeconds(30), s.maxRetryAfter());
    }

    @Test
    void fromEnv_plainHttpToLoopback_isAllowedForBoth() {
        AzureSettings s = AzureSettings.fromEnv(Map.of("AZURE_RESOURCE_MANAGER_ENDPOINT", "http://127.0.0.1:8443",
                "AZURE_METADATA_ENDPOINT", "http://localhost:9000/"));

        assertEquals("http://127.0.0.1:8443/", s.armEndpoint().toString());
        assertTrue(s.plainHttpArm());
    }

    @Test
    void fromEnv_plainHttpArmToAnotherHost_isRefusedNamingTheVariable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AzureSettings.fromEnv(
                Map.of("AZURE_RESOURCE_MANAGER_ENDPOINT", "http://10.1.2.3:8080/")));

        assertTrue(e.getMessage().contains("AZURE_RESOURCE_MANAGER_ENDPOINT='http://10.1.2.3:8080/'"), e.getMessage());
        assertTrue(e.getMessage().contains("loopback"), e.getMessage());
    }

    @Test
    void fromEnv_plainHttpArmToTheImdsAddress_isRefused() {
        assertThrows(IllegalArgumentException.class, () -> AzureSettings.fromEnv(
                Map.of("AZURE_RESOURCE_MANAGER_ENDPOINT", "http://169.254.169.254/")));
    }

    @Test
    void fromEnv_plainHttpMetadataToAnotherHost_isRefused_andNamesAreNeverResolved() {
        assertThrows(IllegalArgumentException.class, () -> AzureSettings.fromEnv(
                Map.of("AZURE_METADATA_ENDPOINT", "http://metadata.example.com/")));
        assertFalse(AzureSettings.loopback("localhost.example.com"));
        assertTrue(AzureSettings.loopback("127.0.0.5"));
        assertTrue(AzureSettings.loopback("[::1]"));
    }

    @Test
    void fromEnv_severalBadValues_reportsAllOfThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AzureSettings.fromEnv(
                Map.of("AZURE_RESOURCE_MANAGER_ENDPOINT", "ftp://x/", "AZURE_API_QPS", "fast",
                        "AZURE_API_BACKOFF", "soon", "AZURE_LRO_POLL_INTERVAL", "-2s")));

        assertTrue(e.getMessage().contains("AZURE_RESOURCE_MANAGER_ENDPOINT"), e.getMessage());
        assertTrue(e.getMessage().contains("AZURE_API_QPS='fast'"), e.getMessage());
        assertTrue(e.getMessage().contains("AZURE_API_BACKOFF='soon'"), e.getMessage());
        assertTrue(e.getMessage().contains("AZURE_LRO_POLL_INTERVAL='-2s'"), e.getMessage());
    }

    @Test
    void fromEnv_zeroPollIntervalOrBackoff_isRefusedAtStartUpNamingTheVariable() {
        // a zero poll interval is refused by the SDK only when the first NIC PUT starts polling, so every assign
        // would fail (ARM 400 InvalidRequest) long after start-up; a zero backoff retries with no pause at all
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AzureSettings.fromEnv(
                Map.of("AZURE_LRO_POLL_INTERVAL", "0", "AZURE_API_BACKOFF", "0ms")));

        assertTrue(e.getMessage().contains("AZURE_LRO_POLL_INTERVAL='0'"), e.getMessage());
        assertTrue(e.getMessage().contains("AZURE_API_BACKOFF='0ms'"), e.getMessage());
    }

    @Test
    void fromEnv_zeroMaxRetryAfter_isAllowed() {
        // zero means "hand every Retry-After to the pool engine": a meaningful choice, not a mistake
        assertEquals(Duration.ZERO, AzureSettings.fromEnv(Map.of("AZURE_API_MAX_RETRY_AFTER", "0")).maxRetryAfter());
    }

    @Test
    void fromEnv_minutesAndHours_areDurations_asForEveryOtherSetting() {
        // the Azure settings had a grammar of their own that refused 1m, which IPAMD_SHRINK_DELAY accepts
        AzureSettings s = AzureSettings.fromEnv(Map.of("AZURE_API_MAX_RETRY_AFTER", "1m", "AZURE_API_BACKOFF", "2S"));

        assertEquals(Duration.ofMinutes(1), s.maxRetryAfter());
        assertEquals(Duration.ofSeconds(2), s.backoff());
    }

    @Test
    void validate_badValues_listsEveryProblemWithoutCreatingAnything() {
        var problems = new AzureProviderFactory().validate(Map.of("AZURE_API_QPS", "fast",
                "AZURE_LRO_POLL_INTERVAL", "0"));

        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("AZURE_API_QPS='fast'"), problems.toString());
        assertTrue(new AzureProviderFactory().validate(Map.of()).isEmpty());
    }
}
