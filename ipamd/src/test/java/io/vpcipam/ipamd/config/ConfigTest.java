package io.vpcipam.ipamd.config;

import io.vpcipam.ipamd.host.HostSettings;
import io.vpcipam.provider.Cidr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigTest {

    @Test
    void fromEnv_empty_givesTheDocumentedDefaults() throws Exception {
        Config c = Config.fromEnv(Map.of());
        assertEquals("sim", c.provider());
        assertEquals(Path.of("/run/vpc-ipam/ipamd.sock"), c.socket());
        assertEquals(Path.of("/var/lib/vpc-ipam"), c.stateDir());
        assertEquals(1, c.targets().warmEni());
        assertEquals(0, c.targets().warmIp());
        assertFalse(c.targets().prefixMode());
        assertEquals(Duration.ofSeconds(30), c.cooldown());
        assertEquals(Duration.ofSeconds(10), c.addTimeout());
        assertTrue(c.leakCleanup());
    }

    @Test
    void fromEnv_awsNames_areHonoured() throws Exception {
        Config c = Config.fromEnv(Map.of("WARM_IP_TARGET", "5", "MINIMUM_IP_TARGET", "10", "MAX_ENI", "3",
                "IP_COOLDOWN_PERIOD", "60", "ENABLE_PREFIX_DELEGATION", "true", "ADDITIONAL_ENI_TAGS", "{\"team\":\"net\"}",
                "IPAMD_ADD_TIMEOUT", "1500ms", "CLUSTER_NAME", "prod"));
        assertEquals(5, c.targets().warmIp());
        assertEquals(10, c.targets().minimumIp());
        assertEquals(3, c.targets().maxInterfaces());
        assertTrue(c.targets().prefixMode());
        assertEquals(Duration.ofSeconds(60), c.cooldown());
        assertEquals(Duration.ofMillis(1500), c.addTimeout());
        assertEquals(Map.of("team", "net"), c.extraTags());
        assertEquals("prod", c.clusterName());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "WARM_IP_TARGET|abc",
            "MINIMUM_IP_TARGET|1.5",
            "WARM_ENI_TARGET|x",
            "ENABLE_PREFIX_DELEGATION|maybe",
            "IP_COOLDOWN_PERIOD|30 seconds",
            "IPAMD_ADD_TIMEOUT|0",
            "POD_MTU|100000",
            "IPAMD_ALLOWED_UID|root",
            "ADDITIONAL_ENI_TAGS|not-json",
            "ADDITIONAL_ENI_TAGS|{\"vpc-ipam.io/instance-id\":\"x\"}",
            "IPAMD_PROVIDER|../etc",
            "AWS_VPC_K8S_CNI_EXTERNALSNAT|yesplease",
            "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS|10.9.0.0/16,not-a-cidr",
            "AWS_VPC_K8S_CNI_RANDOMIZESNAT|fully",
            "AWS_VPC_CNI_NODE_PORT_SUPPORT|2",
            "IPAMD_HOST_NETWORK|sometimes",
            "IPAMD_HOST_LINK_WAIT|soon",
    })
    void fromEnv_badValue_namesTheVariableAndTheValue(String name, String value) {
        ConfigException e = assertThrows(ConfigException.class, () -> Config.fromEnv(Map.of(name, value)));
        assertTrue(e.getMessage().contains(name + "='" + value + "'"), e.getMessage());
    }

    @Test
    void fromEnv_hostDataPath_defaultsFollowTheAwsCni_andTheSimulatedCloudOnlyWithAFabric() throws Exception {
        HostSettings aws = Config.fromEnv(Map.of("IPAMD_PROVIDER", "aws")).host();
        assertTrue(aws.enabled());
        assertFalse(aws.externalSnat());
        assertEquals(List.of(), aws.excludeSnatCidrs());
        assertEquals(HostSettings.SnatPorts.PRNG, aws.snatPorts());
        assertTrue(aws.nodePortSupport());
        assertEquals(9001, aws.interfaceMtu());
        assertEquals(Duration.ofSeconds(10), aws.linkWait());
        assertEquals(1500, Config.fromEnv(Map.of("IPAMD_PROVIDER", "azure")).host().interfaceMtu());
        assertFalse(Config.fromEnv(Map.of()).host().enabled(), "the sim has no links to set up");
        assertTrue(Config.fromEnv(Map.of("IPAMD_SIM_FABRIC_NETNS", "fab")).host().enabled());
        assertFalse(Config.fromEnv(Map.of("IPAMD_PROVIDER", "aws", "IPAMD_HOST_NETWORK", "false")).host().enabled());

        HostSettings set = Config.fromEnv(Map.of("AWS_VPC_K8S_CNI_EXTERNALSNAT", "true",
                "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS", "192.168.0.0/16, 172.16.0.0/12",
                "AWS_VPC_K8S_CNI_RANDOMIZESNAT", "hashrandom", "AWS_VPC_CNI_NODE_PORT_SUPPORT", "false",
                "AWS_VPC_ENI_MTU", "1500", "IPAMD_HOST_LINK_WAIT", "3s")).host();
        assertTrue(set.externalSnat());
        assertEquals(List.of(Cidr.parse("192.168.0.0/16"), Cidr.parse("172.16.0.0/12")), set.excludeSnatCidrs());
        assertEquals(HostSettings.SnatPorts.HASHRANDOM, set.snatPorts());
        assertFalse(set.nodePortSupport());
        assertEquals(1500, set.interfaceMtu());
        assertEquals(Duration.ofSeconds(3), set.linkWait());
    }

    @Test
    void fromEnv_badEniMtu_isReportedOnce() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.fromEnv(Map.of("AWS_VPC_ENI_MTU", "jumbo")));
        assertEquals(1, e.problems().size(), e.getMessage());
        e = assertThrows(ConfigException.class,
                () -> Config.fromEnv(Map.of("AWS_VPC_ENI_MTU", "20000", "POD_MTU", "1500")));
        assertEquals(List.of("AWS_VPC_ENI_MTU='20000': must be between 576 and 9001"), e.problems());
    }

    @Test
    void fromEnv_severalBadValues_reportsThemAllAtOnce() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.fromEnv(Map.of("WARM_IP_TARGET", "x", "MAX_ENI", "five")));
        assertEquals(2, e.problems().size(), e.getMessage());
    }

    @Test
    void fromEnv_prefixDelegationWithoutAnyTarget_isRefused() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> Config.fromEnv(Map.of("ENABLE_PREFIX_DELEGATION", "true", "WARM_ENI_TARGET", "1")));
        assertTrue(e.getMessage().contains("WARM_PREFIX_TARGET"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            // name               | value | read as (aws-node's getMaxENI / getWarm*Target)
            "MAX_ENI              | 0     | -1",
            "MAX_ENI              | -5    | -1",
            "WARM_IP_TARGET       | -1    | 0",
            "MINIMUM_IP_TARGET    | -3    | 0",
            "WARM_ENI_TARGET      | -1    | 1",
            "WARM_PREFIX_TARGET   | -2    | 0",
    })
    void fromEnv_valueAwsNodeReadsAsUnset_isReadTheSameWay_withAWarning(String name, String value, int readAs)
            throws Exception {
        Config c = Config.fromEnv(Map.of(name, value));
        var view = io.vpcipam.ipamd.ops.ConfigView.of(c, null);
        assertEquals(readAs, view.get(name));
        assertEquals(1, c.warnings().size(), c.warnings().toString());
        assertTrue(c.warnings().getFirst().startsWith(name + "='" + value + "' is read as " + readAs),
                c.warnings().toString());
        assertEquals(c.warnings(), view.get("warnings"));
    }
}
