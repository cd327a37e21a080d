package io.vpcipam.ipamd.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IgnoredSettingsTest {

    @Test
    void of_awsNodeVariablesIpamdDoesNotHonour_areEachNamedWithTheirValueAndWhy() {
        List<String> ignored = IgnoredSettings.of(Map.of("ENABLE_POD_ENI", "true", "CLUSTER_ENDPOINT", "https://k",
                "AWS_VPC_K8S_CNI_CONNMARK", "0x40"));
        assertEquals(List.of(
                "AWS_VPC_K8S_CNI_CONNMARK='0x40' is not supported: the NodePort connmark bit is fixed at 0x80",
                "CLUSTER_ENDPOINT='https://k' is not supported: use IPAMD_KUBERNETES_ENDPOINT (chart kubernetes.endpoint)",
                "ENABLE_POD_ENI='true' is not supported: no security groups per pod"), ignored);
    }

    @Test
    void of_unknownNameUnderAnAwsNodePrefix_isNamed() {
        assertEquals(List.of("AWS_VPC_K8S_CNI_WARM_TYPO='1' is not supported: not an aws-node setting ipamd knows"),
                IgnoredSettings.of(Map.of("AWS_VPC_K8S_CNI_WARM_TYPO", "1")));
    }

    @Test
    void of_valuesThatDescribeWhatIpamdDoesAnyway_andHonouredAliases_areNotNamed() {
        // aws-node's manifest sets these; a copied environment must not drown the real problems in warnings
        assertEquals(List.of(), IgnoredSettings.of(Map.of("ENABLE_IPv4", "true", "ENABLE_IPv6", "false",
                "ENABLE_POD_ENI", "false", "AWS_VPC_ENI_MTU", "1500", "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "false",
                "ENI_CONFIG_LABEL_DEF", "k8s.amazonaws.com/eniConfig", "WARM_ENI_TARGET", "1", "PATH", "/bin",
                "DISABLE_METRICS", "FALSE")));
    }

    @Test
    void of_settingsNowHonoured_areNotNamed() {
        assertEquals(List.of(), IgnoredSettings.of(Map.of("ENABLE_SUBNET_DISCOVERY", "true",
                "DISABLE_NETWORK_RESOURCE_PROVISIONING", "true", "AWS_VPC_K8S_CNI_VETHPREFIX", "eni")));
    }

    @Test
    void configFromEnv_vethPrefixTheConflistCannotTake_isRefusedNamingIt() {
        for (String bad : List.of("eth", "toolong", "ENI", "e-1")) {
            ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                    () -> Config.fromEnv(Map.of("AWS_VPC_K8S_CNI_VETHPREFIX", bad)));
            assertTrue(e.getMessage().contains("AWS_VPC_K8S_CNI_VETHPREFIX") && e.getMessage().contains(bad),
                    e.getMessage());
        }
    }

    @Test
    void configFromEnv_carriesTheIgnoredList_forTheStartUpWarningsAndV1Config() throws Exception {
        Config c = Config.fromEnv(Map.of("ENABLE_IPv6", "true", "WARM_IP_TARGET", "3"));
        assertEquals(1, c.warnings().size());
        assertTrue(c.warnings().getFirst().startsWith("ENABLE_IPv6='true' is not supported"), c.warnings().toString());
        assertEquals(c.warnings(), io.vpcipam.ipamd.ops.ConfigView.of(c, null).get("warnings"));
    }
}
