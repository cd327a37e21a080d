package io.vpcipam.ipamd.k8s;

import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.config.ConfigException;
import io.vpcipam.provider.EnvReader;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Kubernetes integration's configuration, read from the environment at start-up and validated there (every
 * problem at once, each naming its variable), like {@link Config}.
 *
 * @param enabled            IPAMD_KUBERNETES: true, false or auto (default: on when running in a pod, i.e.
 *                           KUBERNETES_SERVICE_HOST is set)
 * @param nodeName           NODE_NAME, from the downward API ({@code spec.nodeName}); required when enabled
 * @param endpoint           IPAMD_KUBERNETES_ENDPOINT: the API server's URL, for nodes where the service address does
 *                           not work before kube-proxy runs (the AWS CNI's CLUSTER_ENDPOINT); null = in-cluster config
 * @param startupTimeout     IPAMD_KUBERNETES_STARTUP_TIMEOUT: how long start-up waits for the Node object before
 *                           going on without it (the pool never waits for the API server after that)
 * @param podGcInterval      IPAMD_POD_GC_INTERVAL: how often leases are checked against the pods on this node
 * @param podGcGrace         IPAMD_POD_GC_GRACE: how long a lease's pod must be seen gone before the lease is released
 * @param annotateInterval   IPAMD_NODE_ANNOTATE_INTERVAL: at most one node annotation patch per interval; 0 = none
 * @param customNetworking   IPAMD_CUSTOM_NETWORKING (or AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG): new interfaces go where
 *                           this node's NetworkConfig says
 * @param networkConfigLabel IPAMD_NETWORK_CONFIG_LABEL (or ENI_CONFIG_LABEL_DEF): the node label (or annotation)
 *                           whose value names the NetworkConfig; without one, the config named as the node's zone
 * @param networkConfigAnnotation IPAMD_NETWORK_CONFIG_ANNOTATION (or aws-node's ENI_CONFIG_ANNOTATION_DEF): the node
 *                           annotation whose value names the NetworkConfig (it wins over the label); default: the
 *                           label's key
 * @param networkConfigInterval IPAMD_NETWORK_CONFIG_INTERVAL: how often the NetworkConfig is re-read
 * @param podWatch           IPAMD_POD_WATCH (default true): this node's pods come from a watch, and lease collection
 *                           lists only while it is down; false = list every IPAMD_POD_GC_INTERVAL (for an API server
 *                           behind a proxy that cuts long-lived connections)
 * @param manageWhenCordoned AWS_MANAGE_ENIS_NON_SCHEDULABLE (default false, as aws-node): whether interfaces are
 *                           created and deleted on a cordoned node (spec.unschedulable, from a watch of the Node);
 *                           false = none while it is cordoned (addresses on the interfaces it has still come and go)
 */
public record KubeSettings(boolean enabled, String nodeName, URI endpoint, Duration startupTimeout,
                           Duration podGcInterval, Duration podGcGrace, Duration annotateInterval,
                           boolean customNetworking, String networkConfigLabel, String networkConfigAnnotation,
                           Duration networkConfigInterval, boolean podWatch, boolean manageWhenCordoned) {

    /** The default label (and annotation) key naming a node's NetworkConfig. */
    public static final String DEFAULT_NETWORK_CONFIG_LABEL = "vpc-ipam.io/network-config";

    /** Reads and validates the settings; throws with every problem found. */
    public static KubeSettings fromEnv(Map<String, String> env) throws ConfigException {
        List<String> problems = new ArrayList<>();
        EnvReader r = new EnvReader(env); // the one duration grammar; its problems join the ones found here
        String mode = value(env, "IPAMD_KUBERNETES", "auto").toLowerCase(Locale.ROOT);
        boolean enabled = switch (mode) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            case "auto" -> !value(env, "KUBERNETES_SERVICE_HOST", "").isEmpty();
            default -> {
                problems.add("IPAMD_KUBERNETES='" + mode + "': must be true, false or auto");
                yield false;
            }
        };
        String nodeName = value(env, "NODE_NAME", "");
        if (enabled && nodeName.isEmpty()) {
            problems.add("NODE_NAME='': must name this node (downward API: fieldRef spec.nodeName) when the"
                    + " Kubernetes integration is on (IPAMD_KUBERNETES=" + mode + ")");
        }
        URI endpoint = null;
        String ep = value(env, "IPAMD_KUBERNETES_ENDPOINT", "");
        if (!ep.isEmpty()) {
            try {
                endpoint = new URI(ep);
                if (endpoint.getHost() == null || !List.of("http", "https").contains(endpoint.getScheme())) {
                    throw new URISyntaxException(ep, "needs http(s) and a host");
                }
            } catch (URISyntaxException e) {
                problems.add("IPAMD_KUBERNETES_ENDPOINT='" + ep + "': must be the API server's URL, e.g."
                        + " https://10.0.0.10:443");
                endpoint = null;
            }
        }
        Duration startup = r.duration("IPAMD_KUBERNETES_STARTUP_TIMEOUT", Duration.ofSeconds(10), true);
        Duration gcInterval = r.duration("IPAMD_POD_GC_INTERVAL", Duration.ofSeconds(60), false);
        Duration gcGrace = r.duration("IPAMD_POD_GC_GRACE", Duration.ofMinutes(5), true);
        Duration annotate = r.duration("IPAMD_NODE_ANNOTATE_INTERVAL", Duration.ofSeconds(60), true);
        String custom = value(env, "IPAMD_CUSTOM_NETWORKING", value(env, "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "false"))
                .toLowerCase(Locale.ROOT);
        boolean customNetworking = false;
        switch (custom) {
            case "true", "1", "yes" -> customNetworking = true;
            case "false", "0", "no" -> { }
            default -> problems.add("IPAMD_CUSTOM_NETWORKING='" + custom + "': must be true or false");
        }
        String label = value(env, "IPAMD_NETWORK_CONFIG_LABEL", value(env, "ENI_CONFIG_LABEL_DEF",
                DEFAULT_NETWORK_CONFIG_LABEL));
        if (!label.matches("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")) {
            problems.add("IPAMD_NETWORK_CONFIG_LABEL='" + label + "': must be a label key such as "
                    + DEFAULT_NETWORK_CONFIG_LABEL + " or topology.kubernetes.io/zone");
        }
        String annotation = value(env, "IPAMD_NETWORK_CONFIG_ANNOTATION", value(env, "ENI_CONFIG_ANNOTATION_DEF",
                label));
        if (!annotation.equals(label) // a bad label key is reported once, under its own name
                && !annotation.matches("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")) {
            problems.add((env.containsKey("IPAMD_NETWORK_CONFIG_ANNOTATION") ? "IPAMD_NETWORK_CONFIG_ANNOTATION"
                    : "ENI_CONFIG_ANNOTATION_DEF") + "='" + annotation + "': must be an annotation key such as"
                    + " k8s.amazonaws.com/eniConfig");
        }
        Duration configInterval = r.duration("IPAMD_NETWORK_CONFIG_INTERVAL", Duration.ofSeconds(60), false);
        String watch = value(env, "IPAMD_POD_WATCH", "true").toLowerCase(Locale.ROOT);
        boolean podWatch = true;
        switch (watch) {
            case "true", "1", "yes" -> { }
            case "false", "0", "no" -> podWatch = false;
            default -> problems.add("IPAMD_POD_WATCH='" + watch + "': must be true or false");
        }
        String cordoned = value(env, "AWS_MANAGE_ENIS_NON_SCHEDULABLE", "false").toLowerCase(Locale.ROOT);
        boolean manageWhenCordoned = false;
        switch (cordoned) {
            case "true", "1", "yes" -> manageWhenCordoned = true;
            case "false", "0", "no" -> { }
            default -> problems.add("AWS_MANAGE_ENIS_NON_SCHEDULABLE='" + cordoned + "': must be true or false");
        }
        problems.addAll(r.problems());
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new KubeSettings(enabled, nodeName, endpoint, startup, gcInterval, gcGrace, annotate,
                customNetworking, label, annotation, configInterval, podWatch, manageWhenCordoned);
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }
}
