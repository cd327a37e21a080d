package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.pool.Targets;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The effective configuration as operators set it: keyed by the environment variable that sets each value. Built
 * from an explicit list rather than by reflection over {@link Config}, so a field added later (say, a credential
 * for some provider) is never shown or logged by accident: it has to be added here on purpose.
 */
public final class ConfigView {

    private ConfigView() {
    }

    /** Variable name to effective value; durations as {@code 30s} / {@code 500ms}, {@code off} for disabled. */
    public static Map<String, Object> of(Config c, OpsConfig ops) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("IPAMD_PROVIDER", c.provider());
        m.put("IPAMD_SOCKET", c.socket().toString());
        m.put("IPAMD_STATE_DIR", c.stateDir().toString());
        Targets t = c.targets();
        m.put("WARM_IP_TARGET", t.warmIp());
        m.put("MINIMUM_IP_TARGET", t.minimumIp());
        m.put("WARM_ENI_TARGET", t.warmEni());
        m.put("WARM_PREFIX_TARGET", t.warmPrefix());
        m.put("ENABLE_PREFIX_DELEGATION", t.prefixMode());
        m.put("MAX_ENI", t.maxInterfaces() == 0 ? -1 : t.maxInterfaces());
        m.put("IP_COOLDOWN_PERIOD", duration(c.cooldown()));
        m.put("IPAMD_ADD_TIMEOUT", duration(c.addTimeout()));
        m.put("IPAMD_RECONCILE_INTERVAL", duration(c.interval()));
        m.put("IPAMD_RESYNC_INTERVAL", duration(c.resyncInterval()));
        m.put("IPAMD_SHRINK_DELAY", duration(c.shrinkDelay()));
        m.put("IPAMD_SUBNET_BACKOFF", duration(c.subnetBackoff()));
        m.put("POD_MTU", c.mtu());
        m.put("IPAMD_ALLOWED_UID", c.allowedUids().stream().sorted().toList());
        m.put("CLUSTER_NAME", c.clusterName());
        m.put("ADDITIONAL_ENI_TAGS", c.extraTags());
        m.put("IPAMD_POD_SUBNET", c.podSubnet() == null ? "" : c.podSubnet());
        m.put("IPAMD_SECURITY_GROUPS", c.securityGroups());
        m.put("DISABLE_LEAKED_ENI_CLEANUP", !c.leakCleanup());
        m.put("DISABLE_NETWORK_RESOURCE_PROVISIONING", !c.provisioning());
        m.put("AWS_VPC_K8S_CNI_VETHPREFIX", c.vethPrefix()); // the plugin's, from the conflist; "" = its default
        m.put("warnings", c.warnings()); // settings not honoured as written (aws-node variables ipamd ignores...)
        if (ops != null) {
            m.put("IPAMD_METRICS_ADDRESS", ops.metrics() == null ? "off" : ops.metrics().toString());
            m.put("IPAMD_INTROSPECTION_ADDRESS", ops.introspection() == null ? "off" : ops.introspection().toString());
            m.put("IPAMD_LOG_FORMAT", ops.logFormat().name().toLowerCase(java.util.Locale.ROOT));
            m.put("IPAMD_LOG_LEVEL", ops.logLevel().name().toLowerCase(java.util.Locale.ROOT));
        }
        return m;
    }

    static String duration(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
