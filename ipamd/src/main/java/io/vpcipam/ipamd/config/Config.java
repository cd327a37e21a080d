package io.vpcipam.ipamd.config;

import io.vpcipam.protocol.Layout;
import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.ipamd.host.HostSettings;
import io.vpcipam.ipamd.pool.Targets;
import io.vpcipam.provider.EnvReader;
import io.vpcipam.provider.Cidr;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * ipamd's whole configuration, read once at start-up from environment variables (the AWS VPC CNI's names where one
 * exists, so operators carry their knowledge over) and validated there: every bad value is reported at once, each
 * message naming the variable and the value, before any pod is served.
 *
 * @param provider          IPAMD_PROVIDER / --provider: sim, aws or azure
 * @param socket            IPAMD_SOCKET / --socket
 * @param stateDir          IPAMD_STATE_DIR / --state-dir
 * @param targets           WARM_IP_TARGET, MINIMUM_IP_TARGET, WARM_ENI_TARGET, WARM_PREFIX_TARGET,
 *                          ENABLE_PREFIX_DELEGATION, MAX_ENI
 * @param cooldown          IP_COOLDOWN_PERIOD (seconds, or a duration such as 30s)
 * @param addTimeout        IPAMD_ADD_TIMEOUT: how long an ADD waits on an empty pool
 * @param interval          IPAMD_RECONCILE_INTERVAL: the pool check timer
 * @param resyncInterval    IPAMD_RESYNC_INTERVAL: how often the node is re-read from the cloud
 * @param shrinkDelay       IPAMD_SHRINK_DELAY: quiet time before the pool shrinks
 * @param subnetBackoff     IPAMD_SUBNET_BACKOFF: growth pause after the subnet ran out
 * @param mtu               POD_MTU (or AWS_VPC_ENI_MTU); 0 = the provider's default
 * @param allowedUids       IPAMD_ALLOWED_UID: uids besides root that may use the socket
 * @param clusterName       CLUSTER_NAME
 * @param extraTags         ADDITIONAL_ENI_TAGS: a JSON object of tags for new interfaces
 * @param podSubnet         IPAMD_POD_SUBNET: subnet for new interfaces (default: the primary interface's)
 * @param securityGroups    IPAMD_SECURITY_GROUPS: comma-separated security groups for new interfaces
 * @param leakCleanup       !DISABLE_LEAKED_ENI_CLEANUP
 * @param awsNodeCheckpoint IPAMD_AWS_NODE_CHECKPOINT: aws-node's checkpoint, read as evidence when taking a node over
 *                          (default /var/run/aws-node/ipam.json); null when {@code off}
 * @param warnings          settings not honoured as written, one line each: aws-node variables ipamd ignores
 *                          ({@link IgnoredSettings}) and values read as aws-node reads them (MAX_ENI=0, negative
 *                          targets); logged at start-up and shown in /v1/config
 * @param provisioning      !DISABLE_NETWORK_RESOURCE_PROVISIONING: false = no interface or address is created,
 *                          assigned, released or deleted; pods get what is already on the node (as aws-node)
 * @param vethPrefix        AWS_VPC_K8S_CNI_VETHPREFIX: the plugin's host veth prefix as the chart writes it into the
 *                          conflist (checked here, at start-up, with aws-node's rules; "" = unset)
 * @param host              the node data path: IPAMD_HOST_NETWORK (auto|true|false; auto = on, except on the
 *                          simulated cloud without IPAMD_SIM_FABRIC_NETNS), AWS_VPC_K8S_CNI_EXTERNALSNAT,
 *                          AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS, AWS_VPC_K8S_CNI_RANDOMIZESNAT (prng|hashrandom|none),
 *                          AWS_VPC_CNI_NODE_PORT_SUPPORT, AWS_VPC_ENI_MTU (default 9001, Azure 1500),
 *                          IPAMD_HOST_LINK_WAIT
 */
public record Config(String provider, Path socket, Path stateDir, Targets targets, Duration cooldown,
                     Duration addTimeout, Duration interval, Duration resyncInterval, Duration shrinkDelay,
                     Duration subnetBackoff, int mtu, Set<Integer> allowedUids, String clusterName,
                     Map<String, String> extraTags, String podSubnet, List<String> securityGroups,
                     boolean leakCleanup, Path awsNodeCheckpoint, List<String> warnings, HostSettings host,
                     boolean provisioning, String vethPrefix) {


    public Config {
        allowedUids = Set.copyOf(allowedUids);
        extraTags = Map.copyOf(extraTags);
        securityGroups = List.copyOf(securityGroups);
        warnings = List.copyOf(warnings);
    }

    /** Reads and validates the configuration; throws with every problem found, one per line. */
    public static Config fromEnv(Map<String, String> env) throws ConfigException {
        Reader r = new Reader(env);
        String provider = r.string("IPAMD_PROVIDER", "sim").toLowerCase(Locale.ROOT);
        if (!provider.matches("[a-z0-9-]+")) {
            r.problem("IPAMD_PROVIDER", provider, "must be a provider name such as sim, aws or azure");
        }
        Path socket = r.path("IPAMD_SOCKET", Layout.DEFAULT_SOCKET);
        Path stateDir = r.path("IPAMD_STATE_DIR", Layout.DEFAULT_STATE_DIR);
        // aws-node reads a negative target as unset (its default) and a MAX_ENI below 1 as the instance's limit:
        // a copied environment means the same here, with a warning; only a value that is not an integer is refused
        int warmIp = r.count("WARM_IP_TARGET", 0, "unset");
        int minIp = r.count("MINIMUM_IP_TARGET", 0, "unset");
        int warmEni = r.count("WARM_ENI_TARGET", 1, "the default");
        int warmPrefix = r.count("WARM_PREFIX_TARGET", 0, "unset");
        boolean prefixMode = r.bool("ENABLE_PREFIX_DELEGATION", false);
        int maxEni = r.integer("MAX_ENI", -1);
        if (maxEni == 0 || maxEni < -1) {
            r.warning("MAX_ENI", env.get("MAX_ENI"), "is read as -1 (the instance's limit), as aws-node reads a value"
                    + " below 1");
            maxEni = -1;
        }
        if (prefixMode && warmIp == 0 && minIp == 0 && warmPrefix == 0) {
            r.problem("WARM_PREFIX_TARGET", env.getOrDefault("WARM_PREFIX_TARGET", "0"),
                    "with ENABLE_PREFIX_DELEGATION=true, set WARM_PREFIX_TARGET, WARM_IP_TARGET or MINIMUM_IP_TARGET"
                            + " above 0 (a pool with no target never grows before a pod waits)");
        }
        Duration cooldown = r.duration("IP_COOLDOWN_PERIOD", Duration.ofSeconds(30), true);
        Duration addTimeout = r.duration("IPAMD_ADD_TIMEOUT", Duration.ofSeconds(10), false);
        Duration interval = r.duration("IPAMD_RECONCILE_INTERVAL", Duration.ofSeconds(5), false);
        Duration resync = r.duration("IPAMD_RESYNC_INTERVAL", Duration.ofSeconds(60), false);
        Duration shrink = r.duration("IPAMD_SHRINK_DELAY", Duration.ofSeconds(60), true);
        Duration subnetBackoff = r.duration("IPAMD_SUBNET_BACKOFF", Duration.ofSeconds(120), true);
        int mtu = r.integer("POD_MTU", r.integer("AWS_VPC_ENI_MTU", 0));
        if (mtu != 0 && (mtu < 576 || mtu > 9001)) {
            r.problem(env.containsKey("POD_MTU") ? "POD_MTU" : "AWS_VPC_ENI_MTU", String.valueOf(mtu),
                    "must be between 576 and 9001");
        }
        Set<Integer> uids = new LinkedHashSet<>();
        for (String part : r.list("IPAMD_ALLOWED_UID")) {
            try {
                int uid = Integer.parseInt(part);
                if (uid < 0) {
                    throw new NumberFormatException();
                }
                uids.add(uid);
            } catch (NumberFormatException e) {
                r.problem("IPAMD_ALLOWED_UID", env.get("IPAMD_ALLOWED_UID"), "must be comma-separated numeric uids");
                break;
            }
        }
        String cluster = r.string("CLUSTER_NAME", "");
        Map<String, String> tags = r.tags("ADDITIONAL_ENI_TAGS");
        String podSubnet = r.string("IPAMD_POD_SUBNET", "");
        List<String> sgs = r.list("IPAMD_SECURITY_GROUPS");
        boolean leakCleanup = !r.bool("DISABLE_LEAKED_ENI_CLEANUP", false);
        boolean provisioning = !r.bool("DISABLE_NETWORK_RESOURCE_PROVISIONING", false);
        String vethPrefix = r.string("AWS_VPC_K8S_CNI_VETHPREFIX", "");
        if (!vethPrefix.isEmpty() && (!vethPrefix.matches("[a-z0-9]{1,4}") || List.of("eth", "vlan", "lo")
                .contains(vethPrefix))) {
            r.problem("AWS_VPC_K8S_CNI_VETHPREFIX", vethPrefix, "must be 1 to 4 lower-case letters or digits, not eth,"
                    + " vlan or lo (the chart writes it into the plugin's conflist as vethPrefix)");
        }
        Path awsNode = "off".equalsIgnoreCase(r.string("IPAMD_AWS_NODE_CHECKPOINT", ""))
                ? null : r.path("IPAMD_AWS_NODE_CHECKPOINT", io.vpcipam.ipamd.takeover.AwsNodeCheckpoint.DEFAULT_PATH);
        List<String> warnings = new ArrayList<>(r.warnings());
        warnings.addAll(IgnoredSettings.of(env));
        HostSettings host = host(r, env, provider);
        r.throwIfAny();
        return new Config(provider, socket, stateDir,
                new Targets(warmIp, minIp, warmEni, warmPrefix, prefixMode, Math.max(0, maxEni)),
                cooldown, addTimeout, interval, resync, shrink, subnetBackoff, mtu, uids, cluster, tags,
                podSubnet.isEmpty() ? null : podSubnet, sgs, leakCleanup, awsNode, warnings, host, provisioning,
                vethPrefix);
    }

    /** The path setting {@code name} made absolute ({@code fallback} when unset or blank); null if not a path. */
    public static Path pathSetting(Map<String, String> env, String name, String fallback) {
        String v = env.get(name);
        v = v == null || v.isBlank() ? fallback : v.trim();
        try {
            return Path.of(v).toAbsolutePath();
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private static HostSettings host(Reader r, Map<String, String> env, String provider) {
        String mode = r.string("IPAMD_HOST_NETWORK", "auto").toLowerCase(Locale.ROOT);
        boolean enabled = switch (mode) {
            case "auto" -> !"sim".equals(provider) || r.raw("IPAMD_SIM_FABRIC_NETNS") != null;
            case "true" -> true;
            case "false" -> false;
            default -> {
                r.problem("IPAMD_HOST_NETWORK", mode, "must be auto, true or false");
                yield false;
            }
        };
        boolean externalSnat = r.bool("AWS_VPC_K8S_CNI_EXTERNALSNAT", false);
        List<Cidr> exclude = new ArrayList<>();
        for (String part : r.list("AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS")) {
            try {
                exclude.add(Cidr.parse(part));
            } catch (IllegalArgumentException e) {
                r.problem("AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS", env.get("AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS"),
                        "must be comma-separated IPv4 CIDRs such as 192.168.0.0/16 ('" + part + "': "
                                + e.getMessage() + ")");
                break;
            }
        }
        String ports = r.string("AWS_VPC_K8S_CNI_RANDOMIZESNAT", "prng").toLowerCase(Locale.ROOT);
        HostSettings.SnatPorts snatPorts = switch (ports) {
            case "prng" -> HostSettings.SnatPorts.PRNG;
            case "hashrandom" -> HostSettings.SnatPorts.HASHRANDOM;
            case "none" -> HostSettings.SnatPorts.NONE;
            default -> {
                r.problem("AWS_VPC_K8S_CNI_RANDOMIZESNAT", ports, "must be prng, hashrandom or none");
                yield HostSettings.SnatPorts.PRNG;
            }
        };
        boolean nodePort = r.bool("AWS_VPC_CNI_NODE_PORT_SUPPORT", true);
        int eniMtu = "azure".equals(provider) ? 1500 : 9001;
        String rawEniMtu = r.raw("AWS_VPC_ENI_MTU");
        if (rawEniMtu != null) {
            try {
                int v = Integer.parseInt(rawEniMtu);
                if (v >= 576 && v <= 9001) {
                    eniMtu = v;
                } else if (r.raw("POD_MTU") != null) { // without POD_MTU the pod MTU check above reported it
                    r.problem("AWS_VPC_ENI_MTU", rawEniMtu, "must be between 576 and 9001");
                }
            } catch (NumberFormatException e) {
                // reported by the pod MTU check above, which falls back to AWS_VPC_ENI_MTU
            }
        }
        Duration linkWait = r.duration("IPAMD_HOST_LINK_WAIT", Duration.ofSeconds(10), false);
        return new HostSettings(enabled, externalSnat, exclude, snatPorts, nodePort, eniMtu, linkWait);
    }

    /**
     * Collects problems so the operator sees all of them in one start: the shared {@link EnvReader} (one grammar
     * for every module's settings) with what only ipamd's configuration reads (paths, aws-node's counts, tags).
     */
    private static final class Reader {
        private final Map<String, String> env;
        private final EnvReader r;

        Reader(Map<String, String> env) {
            this.env = env;
            this.r = new EnvReader(env);
        }

        void problem(String name, String value, String why) {
            r.problem(name, value, why);
        }

        void warning(String name, String value, String what) {
            r.warning(name, value, what);
        }

        List<String> warnings() {
            return r.warnings();
        }

        void throwIfAny() throws ConfigException {
            if (!r.problems().isEmpty()) {
                throw new ConfigException(r.problems());
            }
        }

        String raw(String name) {
            return r.raw(name);
        }

        String string(String name, String fallback) {
            return r.string(name, fallback);
        }

        Path path(String name, String fallback) {
            Path p = pathSetting(env, name, fallback);
            if (p == null) {
                problem(name, string(name, fallback), "is not a valid path");
                return Path.of(fallback);
            }
            return p;
        }

        int integer(String name, int fallback) {
            return r.integer(name, fallback);
        }

        /** A count; a negative one is read as {@code fallback} with a warning, as aws-node does. */
        int count(String name, int fallback, String meaning) {
            int n = integer(name, fallback);
            if (n < 0) {
                warning(name, raw(name), "is read as " + fallback + " (" + meaning + "), as aws-node reads a negative"
                        + " target");
                return fallback;
            }
            return n;
        }

        boolean bool(String name, boolean fallback) {
            return r.bool(name, fallback);
        }

        Duration duration(String name, Duration fallback, boolean zeroAllowed) {
            return r.duration(name, fallback, zeroAllowed);
        }

        List<String> list(String name) {
            return r.list(name);
        }

        Map<String, String> tags(String name) {
            String v = raw(name);
            if (v == null) {
                return Map.of();
            }
            try {
                Object parsed = JSON.std.anyFrom(v);
                if (!(parsed instanceof Map<?, ?> m)) {
                    throw new IOException("not an object");
                }
                Map<String, String> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!(e.getValue() instanceof String s)) {
                        throw new IOException("tag values must be strings");
                    }
                    String key = String.valueOf(e.getKey());
                    if (key.startsWith("vpc-ipam.io/")) {
                        problem(name, v, "tag keys starting with vpc-ipam.io/ are reserved for ipamd");
                        return Map.of();
                    }
                    out.put(key, s);
                }
                return out;
            } catch (IOException | RuntimeException e) {
                problem(name, v, "must be a JSON object of string tags, e.g. {\"team\":\"net\"}");
                return Map.of();
            }
        }
    }
}
