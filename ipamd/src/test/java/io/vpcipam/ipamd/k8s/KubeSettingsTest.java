package io.vpcipam.ipamd.k8s;

import io.vpcipam.ipamd.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KubeSettingsTest {

    @Test
    void auto_outsideAPod_isOff_andNeedsNoNodeName() throws Exception {
        assertFalse(KubeSettings.fromEnv(Map.of()).enabled());
    }

    @Test
    void auto_inAPod_isOn_withTheDefaults() throws Exception {
        KubeSettings s = KubeSettings.fromEnv(Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "NODE_NAME", "n1"));
        assertTrue(s.enabled());
        assertEquals("n1", s.nodeName());
        assertNull(s.endpoint());
        assertEquals(Duration.ofSeconds(10), s.startupTimeout());
        assertEquals(Duration.ofMinutes(5), s.podGcGrace());
        assertEquals(Duration.ofSeconds(60), s.podGcInterval());
        assertFalse(s.customNetworking());
        assertEquals(KubeSettings.DEFAULT_NETWORK_CONFIG_LABEL, s.networkConfigLabel());
        assertTrue(s.podWatch());
        assertEquals(KubeSettings.DEFAULT_NETWORK_CONFIG_LABEL, s.networkConfigAnnotation(), "the label's key");
        assertFalse(s.manageWhenCordoned(), "aws-node's default: no interface changes on a cordoned node");
    }

    @Test
    void awsNodeNames_annotationKey_andManagingInterfacesOnACordonedNode() throws Exception {
        KubeSettings s = KubeSettings.fromEnv(Map.of("IPAMD_KUBERNETES", "true", "NODE_NAME", "n1",
                "ENI_CONFIG_ANNOTATION_DEF", "k8s.amazonaws.com/eniConfig", "AWS_MANAGE_ENIS_NON_SCHEDULABLE", "true"));
        assertEquals("k8s.amazonaws.com/eniConfig", s.networkConfigAnnotation());
        assertEquals(KubeSettings.DEFAULT_NETWORK_CONFIG_LABEL, s.networkConfigLabel(), "the label is another key");
        assertTrue(s.manageWhenCordoned());
        ConfigException e = assertThrows(ConfigException.class, () -> KubeSettings.fromEnv(Map.of(
                "IPAMD_KUBERNETES", "true", "NODE_NAME", "n1", "ENI_CONFIG_ANNOTATION_DEF", "not a key!",
                "AWS_MANAGE_ENIS_NON_SCHEDULABLE", "sometimes")));
        assertEquals(2, e.problems().size(), e.getMessage());
        assertTrue(e.problems().getFirst().startsWith("ENI_CONFIG_ANNOTATION_DEF='not a key!'"), e.getMessage());
        assertTrue(e.problems().get(1).startsWith("AWS_MANAGE_ENIS_NON_SCHEDULABLE='sometimes'"), e.getMessage());
    }

    @Test
    void awsNames_turnOnCustomNetworking_andPickTheLabel() throws Exception {
        KubeSettings s = KubeSettings.fromEnv(Map.of("IPAMD_KUBERNETES", "true", "NODE_NAME", "n1",
                "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "true", "ENI_CONFIG_LABEL_DEF", "topology.kubernetes.io/zone"));
        assertTrue(s.customNetworking());
        assertEquals("topology.kubernetes.io/zone", s.networkConfigLabel());
    }

    @Test
    void badValues_areAllReported_eachNamingItsVariable() {
        ConfigException e = assertThrows(ConfigException.class, () -> KubeSettings.fromEnv(Map.of(
                "IPAMD_KUBERNETES", "true", "IPAMD_POD_GC_GRACE", "soon", "IPAMD_POD_GC_INTERVAL", "0",
                "IPAMD_KUBERNETES_ENDPOINT", "not a url", "IPAMD_CUSTOM_NETWORKING", "maybe",
                "IPAMD_NETWORK_CONFIG_LABEL", "bad label!", "IPAMD_POD_WATCH", "sometimes")));
        assertEquals(7, e.problems().size(), e.getMessage());
        for (String name : new String[] {"NODE_NAME=", "IPAMD_POD_GC_GRACE=", "IPAMD_POD_GC_INTERVAL=",
                "IPAMD_KUBERNETES_ENDPOINT=", "IPAMD_CUSTOM_NETWORKING=", "IPAMD_NETWORK_CONFIG_LABEL=",
                "IPAMD_POD_WATCH="}) {
            assertTrue(e.problems().stream().anyMatch(p -> p.startsWith(name)), name + " in " + e.problems());
        }
    }

    @Test
    void networkConfigName_annotationThenLabelThenZone() {
        String key = KubeSettings.DEFAULT_NETWORK_CONFIG_LABEL;
        NodeIdentity both = new NodeIdentity("n", "", "us-east-1a", "", Map.of(key, "from-label"),
                Map.of(key, "from-annotation"));
        assertEquals("from-annotation", NetworkConfigs.nameFor(both, key, key));
        NodeIdentity label = new NodeIdentity("n", "", "us-east-1a", "", Map.of(key, "from-label"), Map.of());
        assertEquals("from-label", NetworkConfigs.nameFor(label, key, key));
        NodeIdentity zone = new NodeIdentity("n", "", "us-east-1a", "", Map.of(), Map.of());
        assertEquals("us-east-1a", NetworkConfigs.nameFor(zone, key, key));
        assertNull(NetworkConfigs.nameFor(new NodeIdentity("n", "", "", "", Map.of(), Map.of()), key, key));
        // ENI_CONFIG_ANNOTATION_DEF: another annotation key; the label key's annotation no longer counts
        String eni = "k8s.amazonaws.com/eniConfig";
        NodeIdentity awsNode = new NodeIdentity("n", "", "us-east-1a", "", Map.of(key, "from-label"),
                Map.of(eni, "from-eni-annotation", key, "ignored"));
        assertEquals("from-eni-annotation", NetworkConfigs.nameFor(awsNode, key, eni));
        assertEquals("from-label", NetworkConfigs.nameFor(both, key, eni));
    }

    @Test
    void networkConfigSpec_withoutSubnetOrWithBadGroups_isInvalid() {
        assertTrue(NetworkConfigs.parse("x", Map.of("securityGroups", java.util.List.of("sg-1")), "z")
                instanceof NetworkConfigs.Resolution.Invalid);
        assertTrue(NetworkConfigs.parse("x", Map.of("subnet", "subnet-1", "securityGroups", "sg-1"), "z")
                instanceof NetworkConfigs.Resolution.Invalid);
        assertTrue(NetworkConfigs.parse("x", Map.of("subnet", "subnet-1"), "z")
                instanceof NetworkConfigs.Resolution.Found);
    }

    @Test
    void azureProviderId_givesTheVmName() {
        NodeIdentity n = new NodeIdentity("n", "azure:///subscriptions/s/resourceGroups/rg/providers/"
                + "Microsoft.Compute/virtualMachineScaleSets/pool/virtualMachines/3", "", "", Map.of(), Map.of());
        assertEquals("3", n.instanceId());
        assertFalse(n.providerEnv(Map.of()).containsKey("AWS_REGION"));
    }
}
