package io.vpcipam.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.k8s.KubeSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chart through the real Helm library (helm-java, Helm 3.16 in-process): lint, render with value sets, parse
 * every rendered manifest into its typed fabric8 object and check what an operator relies on. Value sets come from
 * files, not set(), so that "3" stays a string and 3 an integer, as in a real values file.
 */
class ChartTest {

    static final Path CHART = Path.of(System.getProperty("chart.dir", "vpc-ipam"));
    static final Path VALUES = Path.of("src/test/resources/values");
    static final Path BAD = Path.of("src/test/resources/bad");

    static List<HasMetadata> render(Path... valuesFiles) {
        TemplateCommand t = new Helm(CHART).template().withName("vpc-ipam").withNamespace("kube-system");
        for (Path f : valuesFiles) {
            t = t.withValuesFile(f);
        }
        String yaml = t.call();
        List<HasMetadata> out = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            boolean content = doc.lines().anyMatch(l -> !l.isBlank() && !l.trim().startsWith("#"));
            if (content) {
                out.add(Serialization.unmarshal(doc));
            }
        }
        return out;
    }

    static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type) {
        List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
        assertEquals(1, found.size(), "one " + type.getSimpleName() + " in " + kinds(objects));
        return found.getFirst();
    }

    static List<String> kinds(List<HasMetadata> objects) {
        return objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList();
    }

    static Container container(DaemonSet ds, String name) {
        return ds.getSpec().getTemplate().getSpec().getContainers().stream().filter(c -> c.getName().equals(name))
                .findFirst().orElseThrow();
    }

    /** Plain name=value env of a container (entries with valueFrom map to null). */
    static Map<String, String> env(Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar e : c.getEnv()) {
            assertFalse(env.containsKey(e.getName()), "env " + e.getName() + " set twice");
            env.put(e.getName(), e.getValue());
        }
        return env;
    }

    static Map<String, String> hostPaths(DaemonSet ds) {
        return ds.getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getHostPath() != null)
                .collect(Collectors.toMap(Volume::getName, v -> v.getHostPath().getPath()));
    }

    @Test
    void lint_defaultValues_passesStrict() {
        LintResult result = new Helm(CHART).lint().strict().call();
        assertFalse(result.isFailed(), String.valueOf(result.getMessages()));
    }

    @Test
    void template_defaults_daemonSetOnEveryLinuxNode_hostNetwork_criticalPriority_rollingUpdate() {
        DaemonSet ds = one(render(), DaemonSet.class);
        var pod = ds.getSpec().getTemplate().getSpec();
        assertTrue(pod.getHostNetwork());
        assertEquals("system-node-critical", pod.getPriorityClassName());
        assertEquals(Map.of("kubernetes.io/os", "linux"), pod.getNodeSelector());
        assertEquals(1, pod.getTolerations().size());
        assertEquals("Exists", pod.getTolerations().getFirst().getOperator());
        assertNull(pod.getTolerations().getFirst().getKey(), "tolerates every taint");
        assertEquals("RollingUpdate", ds.getSpec().getUpdateStrategy().getType());
        assertEquals("10%", ds.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getStrVal());
        assertEquals("kube-system", ds.getMetadata().getNamespace());
    }

    @Test
    void template_defaults_everyContainerDropsAllCapabilities_readOnlyRoot_onlyIpamdAddsNetAdminAndNetRaw() {
        var pod = one(render(), DaemonSet.class).getSpec().getTemplate().getSpec();
        List<Container> all = new ArrayList<>(pod.getInitContainers());
        all.addAll(pod.getContainers());
        assertEquals(List.of("host-sysctl", "install-cni", "ipamd", "conflist"),
                all.stream().map(Container::getName).toList());
        // the one privileged step: /proc/sys is read-only otherwise; it writes one sysctl and exits
        Container sysctl = all.removeFirst();
        assertEquals(Boolean.TRUE, sysctl.getSecurityContext().getPrivileged());
        assertEquals(Boolean.TRUE, sysctl.getSecurityContext().getReadOnlyRootFilesystem());
        String script = String.join("\n", sysctl.getCommand());
        assertTrue(script.contains("rp_filter") && !script.contains("sysctl -w"), script);
        for (Container c : all) {
            var sc = c.getSecurityContext();
            assertEquals(List.of("ALL"), sc.getCapabilities().getDrop(), c.getName());
            assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), c.getName());
            assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), c.getName());
            assertNull(sc.getPrivileged(), c.getName() + " is not privileged");
            assertEquals(0L, sc.getRunAsUser(), c.getName() + " writes root-owned host paths");
            List<String> add = sc.getCapabilities().getAdd() == null ? List.of() : sc.getCapabilities().getAdd();
            assertEquals(c.getName().equals("ipamd") ? List.of("NET_ADMIN", "NET_RAW") : List.of(), add, c.getName());
        }
    }

    @Test
    void template_defaults_imageIsTheOneTheBuildMakes_repositoryAndAppVersion() throws Exception {
        String appVersion = java.nio.file.Files.readAllLines(CHART.resolve("Chart.yaml")).stream()
                .filter(l -> l.startsWith("appVersion:")).findFirst().orElseThrow()
                .substring("appVersion:".length()).trim().replace("\"", "");
        var pod = one(render(), DaemonSet.class).getSpec().getTemplate().getSpec();
        List<Container> all = new ArrayList<>(pod.getInitContainers());
        all.addAll(pod.getContainers());
        for (Container c : all) {
            assertEquals("ghcr.io/vpc-ipam/vpc-ipam:" + appVersion, c.getImage(), c.getName());
        }
    }

    @Test
    void template_defaults_ipamdEnvironment_comesFromTheValues() {
        DaemonSet ds = one(render(), DaemonSet.class);
        Container ipamd = container(ds, "ipamd");
        Map<String, String> env = env(ipamd);
        assertEquals("aws", env.get("IPAMD_PROVIDER"));
        assertEquals("true", env.get("IPAMD_KUBERNETES"));
        assertEquals("spec.nodeName", ipamd.getEnv().stream().filter(e -> e.getName().equals("NODE_NAME"))
                .findFirst().orElseThrow().getValueFrom().getFieldRef().getFieldPath());
        assertEquals("0", env.get("WARM_IP_TARGET"));
        assertEquals("1", env.get("WARM_ENI_TARGET"));
        assertEquals("false", env.get("ENABLE_PREFIX_DELEGATION"));
        assertEquals("-1", env.get("MAX_ENI"));
        assertEquals("30s", env.get("IP_COOLDOWN_PERIOD"));
        assertEquals("/run/vpc-ipam/ipamd.sock", env.get("IPAMD_SOCKET"));
        assertEquals("/var/lib/vpc-ipam", env.get("IPAMD_STATE_DIR"));
        assertEquals("0.0.0.0:61678", env.get("IPAMD_METRICS_ADDRESS"));
        assertEquals("127.0.0.1:61679", env.get("IPAMD_INTROSPECTION_ADDRESS"));
        assertEquals("5", env.get("IPAMD_AWS_API_RATE"));
        assertEquals("10", env.get("IPAMD_AWS_API_BURST"));
        assertEquals("info", env.get("IPAMD_LOG_LEVEL"));
        assertFalse(env.containsKey("ADDITIONAL_ENI_TAGS"), "no tags: left to ipamd's default");
        assertFalse(env.containsKey("AZURE_API_QPS"));
        assertEquals(List.of("NET_ADMIN", "NET_RAW"), ipamd.getSecurityContext().getCapabilities().getAdd());
        assertEquals("25m", ipamd.getResources().getRequests().get("cpu").toString());
        assertEquals("512Mi", ipamd.getResources().getLimits().get("memory").toString());
    }

    @Test
    void template_defaults_probesHitHealthAndReadinessOnTheNodesLoopback() {
        Container ipamd = container(one(render(), DaemonSet.class), "ipamd");
        var live = ipamd.getLivenessProbe().getHttpGet();
        var ready = ipamd.getReadinessProbe().getHttpGet();
        assertEquals("/healthz", live.getPath());
        assertEquals("/readyz", ready.getPath());
        assertEquals("127.0.0.1", live.getHost());
        assertEquals(61679, live.getPort().getIntVal());
        assertEquals(61679, ready.getPort().getIntVal());
        assertEquals(6, ipamd.getLivenessProbe().getFailureThreshold());
    }

    @Test
    void template_defaults_pluginInstalledByInit_conflistOnlyAfterReady() {
        List<HasMetadata> objects = render();
        DaemonSet ds = one(objects, DaemonSet.class);
        Container init = ds.getSpec().getTemplate().getSpec().getInitContainers().stream()
                .filter(c -> c.getName().equals("install-cni")).findFirst().orElseThrow();
        assertEquals(List.of("/opt/vpc-ipam/cni/install.sh", "--bin-dir", "/host/opt/cni/bin", "--no-conf"),
                init.getCommand());
        assertEquals(Map.of("cni-bin", "/opt/cni/bin", "cni-conf", "/etc/cni/net.d", "run-dir", "/run/vpc-ipam",
                "state-dir", "/var/lib/vpc-ipam", "log-dir", "/var/log/vpc-ipam", "xtables-lock", "/run/xtables.lock",
                "aws-node-run", "/var/run/aws-node"), hostPaths(ds));
        assertTrue(init.getVolumeMounts().stream().noneMatch(m -> m.getName().equals("cni-conf")),
                "the init step cannot write the conflist: ipamd is not ready yet");

        Container conflist = container(ds, "conflist");
        assertTrue(conflist.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/host/etc/cni/net.d")));
        String script = one(objects, ConfigMap.class).getData().get("write-conflist.sh");
        int wait = script.indexOf("until ready");
        int write = script.indexOf("/opt/vpc-ipam/cni/install.sh");
        assertTrue(script.contains("http://127.0.0.1:61679/readyz"), script);
        assertTrue(wait >= 0 && write > wait, "waits for /readyz before writing");
        assertTrue(script.contains("--conf-dir /host/etc/cni/net.d"), script);
        assertTrue(script.contains("--conf-file 05-vpc-ipam.conflist"), script);
        assertTrue(script.contains("--socket /run/vpc-ipam/ipamd.sock"), script);
        assertTrue(script.contains("--chain \"portmap\""), script);
    }

    @Test
    void template_defaults_minimalRbac_andTheCrd() {
        List<HasMetadata> objects = render();
        ClusterRole role = one(objects, ClusterRole.class);
        Map<String, List<String>> verbs = new LinkedHashMap<>();
        for (PolicyRule r : role.getRules()) {
            for (String resource : r.getResources()) {
                verbs.put(resource, r.getVerbs());
            }
        }
        assertEquals(Map.of("nodes", List.of("get", "list", "watch", "patch"), "pods", List.of("get", "list", "watch"),
                "networkconfigs", List.of("get"), "events", List.of("create", "patch")), verbs);
        assertTrue(role.getRules().stream().anyMatch(r -> r.getResources().contains("events")
                && r.getApiGroups().equals(List.of(""))), "core v1 Events, as ipamd writes them");
        ClusterRoleBinding binding = one(objects, ClusterRoleBinding.class);
        ServiceAccount sa = one(objects, ServiceAccount.class);
        DaemonSet ds = one(objects, DaemonSet.class);
        assertEquals(sa.getMetadata().getName(), binding.getSubjects().getFirst().getName());
        assertEquals("kube-system", binding.getSubjects().getFirst().getNamespace());
        assertEquals(sa.getMetadata().getName(), ds.getSpec().getTemplate().getSpec().getServiceAccountName());

        CustomResourceDefinition crd = one(objects, CustomResourceDefinition.class);
        assertEquals("networkconfigs.vpc-ipam.io", crd.getMetadata().getName());
        assertEquals("Cluster", crd.getSpec().getScope());
        assertEquals("NetworkConfig", crd.getSpec().getNames().getKind());
        var spec = crd.getSpec().getVersions().getFirst().getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        assertEquals(List.of("subnet"), spec.getRequired());
        assertEquals("v1alpha1", crd.getSpec().getVersions().getFirst().getName());
    }

    @Test
    void template_defaults_prometheusScrapeAnnotations() {
        var annotations = one(render(), DaemonSet.class).getSpec().getTemplate().getMetadata().getAnnotations();
        assertEquals("true", annotations.get("prometheus.io/scrape"));
        assertEquals("61678", annotations.get("prometheus.io/port"));
        assertEquals("/metrics", annotations.get("prometheus.io/path"));
    }

    @Test
    void template_tunedAzure_everyKnobReachesItsVariable() {
        List<HasMetadata> objects = render(VALUES.resolve("tuned-azure.yaml"));
        DaemonSet ds = one(objects, DaemonSet.class);
        Container ipamd = container(ds, "ipamd");
        Map<String, String> env = env(ipamd);
        assertEquals("azure", env.get("IPAMD_PROVIDER"));
        assertEquals("8", env.get("WARM_IP_TARGET"));
        assertEquals("20", env.get("MINIMUM_IP_TARGET"));
        assertEquals("0", env.get("WARM_ENI_TARGET"));
        assertEquals("3", env.get("MAX_ENI"));
        assertEquals("60s", env.get("IP_COOLDOWN_PERIOD"));
        assertEquals("20s", env.get("IPAMD_ADD_TIMEOUT"));
        assertEquals("2s", env.get("IPAMD_RECONCILE_INTERVAL"));
        assertEquals("1500", env.get("POD_MTU"));
        assertEquals("sg-1,sg-2", env.get("IPAMD_SECURITY_GROUPS"));
        assertTrue(env.get("IPAMD_POD_SUBNET").endsWith("/subnets/pods"));
        assertEquals("prod-east", env.get("CLUSTER_NAME"));
        assertEquals(Map.of("team", "net", "cost-center", "1234"), Serialization.unmarshal(env.get("ADDITIONAL_ENI_TAGS"),
                Map.class));
        assertEquals("2.5", env.get("AZURE_API_QPS"));
        assertEquals("7", env.get("AZURE_API_BURST"));
        assertEquals("11111111-2222-3333-4444-555555555555", env.get("AZURE_CLIENT_ID"));
        assertFalse(env.containsKey("IPAMD_AWS_API_RATE"), "AWS knobs only with the aws provider");
        assertEquals("debug", env.get("IPAMD_LOG_LEVEL"));
        assertEquals("json", env.get("IPAMD_LOG_FORMAT"));
        assertEquals("0.0.0.0:9100", env.get("IPAMD_METRICS_ADDRESS"));
        assertEquals("127.0.0.1:9101", env.get("IPAMD_INTROSPECTION_ADDRESS"));
        assertEquals("true", env.get("IPAMD_CUSTOM_NETWORKING"));
        assertEquals("topology.kubernetes.io/zone", env.get("IPAMD_NETWORK_CONFIG_LABEL"));
        assertEquals("https://10.0.0.10:443", env.get("IPAMD_KUBERNETES_ENDPOINT"));
        assertEquals("10m", env.get("IPAMD_POD_GC_GRACE"));
        assertEquals(9101, ipamd.getReadinessProbe().getHttpGet().getPort().getIntVal());
        assertEquals(9100, ipamd.getPorts().getFirst().getContainerPort());
        assertEquals("9100", ds.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/port"));
        assertEquals(1, ds.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getIntVal());
        String script = one(objects, ConfigMap.class).getData().get("write-conflist.sh");
        assertTrue(script.contains("http://127.0.0.1:9101/readyz"), script);
        assertTrue(script.contains("--mtu 1500"), script);
        assertTrue(script.contains("--chain \"portmap bandwidth\""), script);
    }

    @Test
    void template_conflistName_defaultSortsBeforeAwsNodes_andAnOverrideReachesTheScript() {
        String defaults = one(render(), ConfigMap.class).getData().get("write-conflist.sh");
        String name = defaults.replaceAll("(?s).*--conf-file (\\S+).*", "$1");
        // libcni (containerd, CRI-O) loads the first config of the conf dir in name order
        assertTrue(name.compareTo("10-aws.conflist") < 0, name + " must sort before aws-node's 10-aws.conflist");

        String custom = one(render(VALUES.resolve("conflist-name.yaml")), ConfigMap.class).getData()
                .get("write-conflist.sh");
        assertTrue(custom.contains("--conf-file 00-vpc-ipam.conflist"), custom);
    }

    @Test
    void template_vethPrefix_renderedOnlyWhenSet_andAwsNodesNameInExtraEnvWins() {
        String defaults = one(render(), ConfigMap.class).getData().get("write-conflist.sh");
        assertFalse(defaults.contains("--veth-prefix"), "unset: the plugin's default stays: " + defaults);

        String set = one(render(VALUES.resolve("veth-prefix.yaml")), ConfigMap.class).getData().get("write-conflist.sh");
        assertTrue(set.contains("--veth-prefix abc || exit 1"), set);

        String alias = one(render(VALUES.resolve("aws-node-env.yaml")), ConfigMap.class).getData()
                .get("write-conflist.sh");
        assertTrue(alias.contains("--veth-prefix eni || exit 1"), alias);
    }

    @Test
    void template_awsNodeCheckpoint_mountedReadOnlyForIpamdOnly_orOffWhenEmpty() {
        DaemonSet ds = one(render(), DaemonSet.class);
        Container ipamd = container(ds, "ipamd");
        assertEquals("/var/run/aws-node/ipam.json", env(ipamd).get("IPAMD_AWS_NODE_CHECKPOINT"));
        var mount = ipamd.getVolumeMounts().stream().filter(m -> m.getName().equals("aws-node-run")).findFirst()
                .orElseThrow();
        assertEquals("/var/run/aws-node", mount.getMountPath());
        assertTrue(mount.getReadOnly(), "aws-node's checkpoint is evidence, never written");
        assertTrue(container(ds, "conflist").getVolumeMounts().stream().noneMatch(m -> m.getName().equals("aws-node-run")));

        DaemonSet off = one(render(VALUES.resolve("no-aws-node.yaml")), DaemonSet.class);
        assertEquals("off", env(container(off, "ipamd")).get("IPAMD_AWS_NODE_CHECKPOINT"));
        assertFalse(hostPaths(off).containsKey("aws-node-run"));
    }

    @Test
    void template_simMinimal_noCrd_existingServiceAccount_exactIntegers_extraEnv() {
        List<HasMetadata> objects = render(VALUES.resolve("sim-minimal.yaml"));
        assertTrue(objects.stream().noneMatch(o -> o instanceof CustomResourceDefinition), kinds(objects).toString());
        assertTrue(objects.stream().noneMatch(o -> o instanceof ServiceAccount));
        DaemonSet ds = one(objects, DaemonSet.class);
        assertEquals("existing-sa", ds.getSpec().getTemplate().getSpec().getServiceAccountName());
        assertEquals("existing-sa", one(objects, ClusterRoleBinding.class).getSubjects().getFirst().getName());
        Map<String, String> env = env(container(ds, "ipamd"));
        assertEquals("sim", env.get("IPAMD_PROVIDER"));
        assertEquals("m5.large", env.get("IPAMD_SIM_INSTANCE_TYPE"));
        assertEquals("1000000", env.get("WARM_IP_TARGET"), "not 1e+06");
        assertEquals("true", env.get("ENABLE_PREFIX_DELEGATION"));
        assertEquals("50", env.get("IPAMD_SIM_LATENCY_MS"));
        assertNull(ds.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/scrape"));
    }

    @Test
    void template_awsNodeAliasesInExtraEnv_winOverTheChartsDefaults_asIpamdReadsThem() throws Exception {
        DaemonSet ds = one(render(VALUES.resolve("aws-node-env.yaml")), DaemonSet.class);
        Map<String, String> env = env(container(ds, "ipamd"));
        assertFalse(env.containsKey("POD_MTU"), "POD_MTU would shadow AWS_VPC_ENI_MTU: " + env);
        assertFalse(env.containsKey("IPAMD_CUSTOM_NETWORKING"), env.toString());
        assertFalse(env.containsKey("IPAMD_NETWORK_CONFIG_LABEL"), env.toString());
        assertEquals("2", env.get("WARM_ENI_TARGET"), "the extraEnv entry, rendered once");

        Map<String, String> onNode = new LinkedHashMap<>(env);
        onNode.put("NODE_NAME", "node-1"); // the downward API's value
        Config config = Config.fromEnv(onNode);
        assertEquals(1500, config.mtu());
        assertEquals(2, config.targets().warmEni());
        KubeSettings kube = KubeSettings.fromEnv(onNode);
        assertTrue(kube.customNetworking());
        assertEquals("k8s.amazonaws.com/eniConfig", kube.networkConfigLabel());
    }

    @Test
    void template_defaults_renderNoMtuAndNoCustomNetworking_leavingIpamdsDefaults() {
        Map<String, String> env = env(container(one(render(), DaemonSet.class), "ipamd"));
        assertFalse(env.containsKey("POD_MTU"), env.toString());
        assertFalse(env.containsKey("IPAMD_CUSTOM_NETWORKING"), env.toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "provider.yaml              | provider",
        "target-as-string.yaml      | warmPool.warmIpTarget",
        "negative-target.yaml       | warmPool.minimumIpTarget",
        "cooldown.yaml              | warmPool.cooldown",
        "mtu.yaml                   | network.podMtu",
        "max-eni-zero.yaml          | warmPool.maxEni",
        "prefix-without-target.yaml | warmPool",
        "reserved-tag.yaml          | additionalInterfaceTags",
        "typo.yaml                  | warmIPTarget",
        "log-level.yaml             | log.level",
        "rate.yaml                  | rateLimits.aws.apiRate",
        "max-unavailable.yaml       | update.maxUnavailable",
        "conflist-name.yaml         | host.conflistName",
        "aws-node-checkpoint.yaml   | host.awsNodeCheckpoint",
        "veth-prefix.yaml           | network.vethPrefix",
    })
    void template_badValue_isRejectedByTheSchema_namingTheField(String file, String field) {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> render(BAD.resolve(file)));
        assertTrue(e.getMessage().contains("values don't meet the specifications of the schema"), e.getMessage());
        assertTrue(e.getMessage().contains(field), file + ": " + e.getMessage());
    }
}
