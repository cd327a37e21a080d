package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Configuration: defaults, overrides, and a clear error naming the variable and value for every bad one. */
class AwsSettingsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "AWS_REGION | US East",
            "AWS_EC2_ENDPOINT | ftp://ec2.local",
            "AWS_EC2_ENDPOINT | not a url",
            "IPAMD_INSTANCE_ID | vm-123",
            "IPAMD_AWS_PROVIDER_ID | gce://project/zone/vm",
            "AWS_EC2_METADATA_SERVICE_ENDPOINT | 169.254.169.254",
            "IPAMD_AWS_API_RATE | 0",
            "IPAMD_AWS_API_RATE | fast",
            "IPAMD_AWS_API_BURST | -1",
            "IPAMD_AWS_MAX_ATTEMPTS | 2.5",
            "IPAMD_AWS_BACKOFF_BASE | 10 seconds",
            "IPAMD_AWS_CALL_TIMEOUT | 0s",
            "IPAMD_AWS_DETACH_TIMEOUT | 2h",
            "IPAMD_AWS_PREFIX_DELEGATION | maybe",
            "IPAMD_AWS_MAX_ORPHANS | 0",
            "IPAMD_AWS_BACKOFF_MAX | 1ms",
    })
    void from_badValue_namesVariableAndValue(String variable, String value) {
        var e = assertThrows(IllegalArgumentException.class,
                () -> AwsSettings.from(Fixtures.context(Map.of(variable, value), null)));

        assertTrue(e.getMessage().startsWith(variable + "='" + value + "'"), e.getMessage());
    }

    @Test
    void from_nothingSet_usesDefaultsAndLeavesIdentityToMetadata() {
        AwsSettings s = AwsSettings.from(Fixtures.context(Map.of(), null));

        assertNull(s.region());
        assertNull(s.instanceId());
        assertNull(s.endpoint());
        assertEquals("http://169.254.169.254", s.imdsEndpoint().toString());
        assertEquals(5, s.apiRate());
        assertEquals(10, s.apiBurst());
        assertTrue(s.prefixDelegation());
    }

    @Test
    void from_providerId_givesInstanceAndZone_explicitInstanceIdWins() {
        AwsSettings fromNode = AwsSettings.from(Fixtures.context(Map.of(AwsSettings.PROVIDER_ID,
                "aws:///eu-west-1b/i-0123456789abcdef0"), null));
        AwsSettings both = AwsSettings.from(Fixtures.context(Map.of(AwsSettings.PROVIDER_ID,
                "aws:///eu-west-1b/i-0123456789abcdef0", AwsSettings.INSTANCE_ID, "i-0aaaaaaaaaaaaaaa1"), null));

        assertEquals("i-0123456789abcdef0", fromNode.instanceId());
        assertEquals("eu-west-1b", fromNode.zone());
        assertEquals("i-0aaaaaaaaaaaaaaa1", both.instanceId());
    }

    @Test
    void from_durations_acceptUnitsAndBareSeconds() {
        AwsSettings s = AwsSettings.from(Fixtures.context(Map.of(AwsSettings.BACKOFF_BASE, "150ms",
                AwsSettings.BACKOFF_MAX, "2m", AwsSettings.CALL_TIMEOUT, "7", AwsSettings.PREFIX_DELEGATION, "FALSE"), null));

        assertEquals(Duration.ofMillis(150), s.backoffBase());
        assertEquals(Duration.ofMinutes(2), s.backoffMax());
        assertEquals(Duration.ofSeconds(7), s.callTimeout());
        assertFalse(s.prefixDelegation());
    }

    @Test
    void factory_halfACredentialPair_isRefusedNamingIt() {
        var e = assertThrows(IllegalArgumentException.class, () -> new AwsProviderFactory().create(Fixtures.context(
                Map.of("AWS_REGION", "us-east-1", "IPAMD_INSTANCE_ID", "i-0123456789abcdef0",
                        "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"), null)));

        assertTrue(e.getMessage().startsWith("AWS_SECRET_ACCESS_KEY="), e.getMessage());
    }

    @Test
    void factory_regionAndInstanceGiven_neverReadsMetadata() throws CloudException {
        // the metadata endpoint is a closed port: any read would fail the create
        var p = new AwsProviderFactory().create(Fixtures.context(Map.of("AWS_REGION", "us-east-1",
                "IPAMD_INSTANCE_ID", "i-0123456789abcdef0", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9",
                "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test"), null));

        assertEquals("aws", p.name());
        assertTrue(p.capabilities().prefixDelegation());
        assertTrue(p.capabilities().hotAttachInterfaces());
        p.close();
    }

    @Test
    void from_severalBadValues_reportsAllOfThemInOnePass() {
        var e = assertThrows(IllegalArgumentException.class, () -> AwsSettings.from(Fixtures.context(Map.of(
                AwsSettings.API_RATE, "fast", AwsSettings.CALL_TIMEOUT, "soon", AwsSettings.INSTANCE_ID, "vm-1"), null)));

        assertTrue(e.getMessage().contains("IPAMD_AWS_API_RATE='fast'"), e.getMessage());
        assertTrue(e.getMessage().contains("IPAMD_AWS_CALL_TIMEOUT='soon'"), e.getMessage());
        assertTrue(e.getMessage().contains("IPAMD_INSTANCE_ID='vm-1'"), e.getMessage());
    }

    @Test
    void validate_isTheSameCheckWithoutCreatingAnything() {
        var problems = new AwsProviderFactory().validate(Map.of(AwsSettings.BACKOFF_BASE, "30s",
                AwsSettings.BACKOFF_MAX, "10s"));
        var outOfRange = new AwsProviderFactory().validate(Map.of(AwsSettings.BACKOFF_MAX, "2h"));

        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().startsWith("IPAMD_AWS_BACKOFF_MAX='10s': must be at least"), problems.toString());
        assertEquals(java.util.List.of("IPAMD_AWS_BACKOFF_MAX='2h': must be at most 1h"), outOfRange,
                "one problem per bad value, not a second one about the default that stands in for it");
        assertTrue(new AwsProviderFactory().validate(Map.of()).isEmpty());
    }
}
