package io.vpcipam.ipamd.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The aws-node variables an operator may copy into ipamd's environment that ipamd does not honour: each one set is
 * named at start-up (one warning line each) and in {@code /v1/config}, so nothing is silently ignored. A variable
 * set to the value that describes what ipamd does anyway (aws-node's manifest sets {@code ENABLE_IPv4=true},
 * {@code ENABLE_POD_ENI=false}...) is not reported. Names under aws-node's own prefixes that are not in the list
 * (a typo, or a setting of a newer aws-node) are reported too.
 */
public final class IgnoredSettings {

    /** One aws-node variable: the value that matches ipamd's behaviour (null: none does), and what to do instead. */
    private record Rule(String harmless, String hint) {
    }

    /** Prefixes only aws-node's variables use. */
    private static final List<String> AWS_NODE_PREFIXES =
            List.of("AWS_VPC_K8S_CNI_", "AWS_VPC_CNI_", "AWS_VPC_K8S_PLUGIN_", "AWS_VPC_ENI_");

    /** aws-node variables ipamd reads, under their aws-node name (see Config and KubeSettings). */
    private static final List<String> HONOURED = List.of("AWS_VPC_ENI_MTU", "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
            "ENI_CONFIG_LABEL_DEF", "AWS_VPC_K8S_CNI_EXTERNALSNAT", "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS",
            "AWS_VPC_K8S_CNI_RANDOMIZESNAT", "AWS_VPC_CNI_NODE_PORT_SUPPORT", "AWS_MANAGE_ENIS_NON_SCHEDULABLE",
            "ENI_CONFIG_ANNOTATION_DEF", "DISABLE_NETWORK_RESOURCE_PROVISIONING", "ENABLE_SUBNET_DISCOVERY",
            "AWS_VPC_K8S_CNI_VETHPREFIX");

    private static final Map<String, Rule> RULES = rules();

    private IgnoredSettings() {
    }

    private static Map<String, Rule> rules() {
        Map<String, Rule> m = new TreeMap<>();
        m.put("AWS_VPC_K8S_CNI_CONNMARK", new Rule("0x80", "the NodePort connmark bit is fixed at 0x80"));
        m.put("AWS_EXTERNAL_SERVICE_CIDRS", new Rule(null, "no 'to <cidr> lookup main' rules for external services"));
        m.put("AWS_VPC_K8S_CNI_LOGLEVEL", new Rule(null, "use IPAMD_LOG_LEVEL (chart log.level)"));
        m.put("AWS_VPC_K8S_CNI_LOG_FILE", new Rule(null, "ipamd logs to stderr only"));
        m.put("AWS_VPC_K8S_PLUGIN_LOG_FILE", new Rule(null, "use the conflist's logFile (install.sh --log-file)"));
        m.put("AWS_VPC_K8S_PLUGIN_LOG_LEVEL", new Rule(null, "the plugin has no log level"));
        m.put("AWS_VPC_K8S_CNI_BACKING_STORE", new Rule(null, "use IPAMD_STATE_DIR (chart host.stateDir)"));
        m.put("AWS_VPC_K8S_CNI_CONFIGURE_RPFILTER", new Rule(null, "a no-op in aws-node already"));
        m.put("ENABLE_NFTABLES", new Rule(null, "a no-op in aws-node already"));
        m.put("CLUSTER_ENDPOINT", new Rule(null, "use IPAMD_KUBERNETES_ENDPOINT (chart kubernetes.endpoint)"));
        m.put("INTROSPECTION_BIND_ADDRESS", new Rule(null, "use IPAMD_INTROSPECTION_ADDRESS (chart introspection.*)"));
        m.put("DISABLE_INTROSPECTION", new Rule("false", "use IPAMD_INTROSPECTION_ADDRESS=off"));
        m.put("DISABLE_METRICS", new Rule("false", "use IPAMD_METRICS_ADDRESS=off"));
        m.put("HTTP_TIMEOUT", new Rule(null, "use IPAMD_AWS_CALL_TIMEOUT"));
        m.put("HOST_CNI_BIN_PATH", new Rule(null, "use the chart's host.cniBinDir"));
        m.put("HOST_CNI_CONFDIR_PATH", new Rule(null, "use the chart's host.cniConfDir"));
        m.put("ENABLE_BANDWIDTH_PLUGIN", new Rule("false", "use the chart's network.chain: [portmap, bandwidth]"));
        m.put("ENABLE_POD_ENI", new Rule("false", "no security groups per pod"));
        m.put("POD_SECURITY_GROUP_ENFORCING_MODE", new Rule(null, "no security groups per pod"));
        m.put("ENABLE_IPv4", new Rule("true", "ipamd is IPv4 only"));
        m.put("ENABLE_IPv6", new Rule("false", "ipamd is IPv4 only"));
        m.put("ENABLE_V4_EGRESS", new Rule("true", "ipamd is IPv4 only"));
        m.put("ENABLE_V6_EGRESS", new Rule("false", "ipamd is IPv4 only"));
        m.put("DISABLE_POD_V6", new Rule(null, "ipamd is IPv4 only"));
        m.put("ENABLE_MULTI_NIC", new Rule("false", "only network card 0 is used"));
        m.put("ENABLE_IMDS_ONLY_MODE", new Rule("false", "ipamd always manages addresses through the cloud API"));
        m.put("MANAGE_UNTAGGED_ENI", new Rule("true", "every attached interface without a no-manage tag is used"));
        m.put("ANNOTATE_POD_IP", new Rule("false", "not written; the Node annotation vpc-ipam.io/pool shows the pool"));
        m.put("NETWORK_POLICY_ENFORCING_MODE", new Rule(null, "no network policy agent"));
        m.put("DISABLE_TCP_EARLY_DEMUX", new Rule(null, "only needed for aws-node's pod security groups"));
        return m;
    }

    /**
     * The variables of {@code env} ipamd ignores, in name order, each as {@code NAME='value' is not supported: why}.
     */
    public static List<String> of(Map<String, String> env) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String name = e.getKey();
            String value = e.getValue() == null ? "" : e.getValue().trim();
            if (HONOURED.contains(name)) {
                continue;
            }
            Rule rule = RULES.get(name);
            if (rule != null) {
                if (rule.harmless() == null || !rule.harmless().equals(value.toLowerCase(Locale.ROOT))) {
                    out.add(name + "='" + value + "' is not supported: " + rule.hint());
                }
            } else if (AWS_NODE_PREFIXES.stream().anyMatch(name::startsWith)) {
                out.add(name + "='" + value + "' is not supported: not an aws-node setting ipamd knows");
            }
        }
        return List.copyOf(out);
    }
}
