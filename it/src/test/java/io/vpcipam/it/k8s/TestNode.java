package io.vpcipam.it.k8s;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vpcipam.it.cni.BusyboxImage;
import io.vpcipam.it.host.Cgroup;
import io.vpcipam.it.host.Containerd;
import io.vpcipam.it.host.Host;
import io.vpcipam.it.host.Netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real node of a {@link TestCluster}: Debian's containerd 1.6 with its CRI plugin and the kubelet 1.20 built by
 * bin/k8s-build.sh, in a network namespace of their own, so the pods' host sides (and whatever ipamd programs there)
 * never touch the machine's network.
 *
 * <ul>
 *   <li>Network: a fresh namespace ({@link #netns()}), loopback up, forwarding on. The API server listens on the
 *       machine's loopback only, so a small forwarder (busybox {@code nc}) listens on the same port of the node's
 *       loopback: the cluster's kubeconfigs work unchanged on the node, for the kubelet and for ipamd.</li>
 *   <li>Files: containerd and the kubelet share a private mount namespace where {@code /run} is a tmpfs and
 *       {@code /var/lib} and {@code /var/log} are the work dir's (the kubelet's device-plugin socket and
 *       {@code /var/log/pods}, libcni's cache are fixed paths); root, state, sockets, CNI dirs, the kubelet's root
 *       dir and the pods' network namespaces are under the work dir. Nothing is mounted on the machine.</li>
 *   <li>Runtime: {@code restrict_oom_score_adj = true} (this kind of machine refuses a lower oom_score_adj, and
 *       every sandbox would fail in runc), cgroupfs, a busybox sandbox image imported offline.</li>
 *   <li>Kubelet: cgroupfs, {@code cgroupsPerQOS: false}, {@code makeIPTablesUtilChains: false}, serving on the
 *       node's 127.0.0.1, eviction thresholds near zero (a full disk of the machine must not taint the node), a
 *       client certificate for {@code system:node:NAME} (the API server's Node authorizer).</li>
 *   <li>Processes: the forwarder, containerd, the kubelet and everything they start (shims, CNI plugins) are in a
 *       cgroup of their own, the containers in {@code k8s.io/<id>}; {@link #close()} stops them by PID from those
 *       lists (the kubelet first, so nothing is restarted), which also ends the private mount namespace and with it
 *       every mount and pod network namespace, then deletes the node's namespace and the work dir.</li>
 * </ul>
 *
 * <p>Why one class: a node is one lifetime. Everything it starts shares its network namespace, mount namespace,
 * cgroup and work dir, and {@link #close()} must undo them in one order (kubelet, containers, containerd, the rest of
 * the cgroup, then the namespace and the dir) that only the owner of all of them knows, after a full start or a
 * partial one. The parts that are not particular to a kubelet node live apart and are shared with the cni fixtures:
 * {@link Netns} (the namespace), {@link Containerd} (the runtime's start and stop), {@link Cgroup} (stop by PID),
 * {@link Pki} (the node's certificate and kubeconfig), {@code BusyboxImage} (its images). What stays here is the
 * kubelet's configuration, the API server forwarder, and the few pod helpers the ITs use over the same processes.
 */
public final class TestNode implements AutoCloseable {

    /** The image the pods run (busybox-static; no registry: pods must say imagePullPolicy Never). */
    public static final String POD_IMAGE = "docker.io/library/vit-busybox:1";
    /** The sandbox ("pause") image: busybox sleeping forever. */
    public static final String SANDBOX_IMAGE = "docker.io/library/vit-pause:1";

    private final TestCluster cluster;
    private final String name;
    private final String netns;
    private final Path w;
    private final String suffix;
    private Cgroup cgroup;
    private Process proxy;
    private Containerd containerd;
    private Process kubelet;
    private long kubeletStarted;
    private Duration registered;
    private final Netns namespaces = new Netns();
    private boolean closed;
    private final Thread onExit = new Thread(this::close, "vit-knode-stop");

    private TestNode(TestCluster cluster, String name, Path w) {
        this.cluster = cluster;
        this.name = name;
        this.w = w;
        this.suffix = Host.suffix();
        this.netns = "vit-kn-" + suffix;
    }

    /** Skips the calling test, saying why, unless root with containerd, runc and the cluster's kubelet. */
    public static void assumeReady() throws IOException {
        String status = Files.readString(Path.of("/proc/self/status"));
        assumeTrue(status.lines().anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0")),
                "a real node (containerd, kubelet, network namespaces) needs root: run as root (CI does)");
        for (String tool : List.of("/usr/bin/containerd", "/usr/bin/ctr", "/usr/sbin/runc", "/usr/bin/nsenter",
                "/usr/bin/unshare", "/bin/busybox", "/usr/sbin/ip")) {
            assumeTrue(Files.isExecutable(Path.of(tool)), tool + " is missing: bin/ci-packages.sh installs it");
        }
        Path bin = TestCluster.binaries();
        if (!Files.isExecutable(bin.resolve("kubelet"))) {
            String hint = "no kubelet in " + bin + ": run bin/k8s-build.sh (it builds the kubelet too)";
            if ("1".equals(System.getenv("IPAMD_TEST_K8S_REQUIRED"))) {
                throw new IllegalStateException(hint + " (IPAMD_TEST_K8S_REQUIRED=1)");
            }
            assumeTrue(false, hint);
        }
        assumeTrue(Files.isDirectory(Cgroup.pidsHierarchy()), "no cgroup pids hierarchy at " + Cgroup.pidsHierarchy());
    }

    /**
     * Starts a node named {@code name} for {@code cluster}, registering itself with {@code labels} and
     * {@code providerId} (null: none); returns once its Node object exists. It is Ready only once a CNI config is in
     * {@link #cniConfDir()} (see {@link #awaitReady}).
     */
    public static TestNode start(TestCluster cluster, String name, Map<String, String> labels, String providerId)
            throws IOException, InterruptedException {
        assumeReady();
        Path w = Files.createTempDirectory(Path.of("/tmp"), "vit-knode");
        TestNode n = new TestNode(cluster, name, w);
        Runtime.getRuntime().addShutdownHook(n.onExit); // a test JVM that ends early still stops the node
        try {
            n.boot(labels, providerId);
            return n;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            n.close();
            throw e;
        }
    }

    private void boot(Map<String, String> labels, String providerId) throws IOException, InterruptedException {
        for (String d : List.of("cni-bin", "cni-conf", "kubelet", "var-lib", "var-log", "images/pause",
                "images/pod", "pki")) {
            Files.createDirectories(w.resolve(d));
        }
        namespaces.add(netns);
        Netns.sysctl(netns, "net.ipv4.ip_forward=1");
        cgroup = Cgroup.create("vit-knode-" + suffix);

        // the API server's port on the node's loopback, forwarded to the machine's (one nc pair per connection)
        int port = Integer.parseInt(cluster.url().substring(cluster.url().lastIndexOf(':') + 1));
        proxy = spawn("proxy", "nsenter", "--net=/run/netns/" + netns, "sh", "-c", cgroup.join()
                + "exec busybox nc -ll -p " + port + " -e nsenter --net=/proc/" + ProcessHandle.current().pid()
                + "/ns/net busybox nc 127.0.0.1 " + port);
        await(Duration.ofSeconds(30), proxy, "proxy", () -> listening(proxy.pid(), port));

        writeCredentials();
        linkDebianPlugins("loopback"); // the CRI brings up every sandbox's lo with it
        long t0 = System.nanoTime();
        containerd = Containerd.start(w.resolve("ctrd"), w.resolve("containerd.toml"), criTable(),
                List.of("nsenter", "--net=/run/netns/" + netns, "unshare", "--mount", "--propagation", "private"),
                cgroup.join() + "mount -t tmpfs -o mode=755 vit-run /run && mount --bind " + w.resolve("var-lib")
                        + " /var/lib && mount --bind " + w.resolve("var-log") + " /var/log && ",
                w.resolve("containerd.log"), Duration.ofSeconds(120));
        System.out.println("containerd (CRI) on " + name + " ready " + (System.nanoTime() - t0) / 1_000_000 + " ms after start");
        ctr("images", "import", BusyboxImage.write(w.resolve("images/pause"), SANDBOX_IMAGE,
                List.of("/bin/busybox", "sleep", "2147483647")).toString());
        ctr("images", "import", BusyboxImage.write(w.resolve("images/pod"), POD_IMAGE, List.of("/bin/sh")).toString());

        writeKubeletConfig(providerId);
        List<String> cmd = new ArrayList<>(List.of(cluster.bin().resolve("kubelet").toString(),
                "--config", w.resolve("kubelet.yaml").toString(),
                "--kubeconfig", w.resolve("kubelet.kubeconfig").toString(),
                "--container-runtime", "remote",
                "--container-runtime-endpoint", "unix://" + socket(),
                "--pod-infra-container-image", SANDBOX_IMAGE,
                "--root-dir", w.resolve("kubelet").toString(),
                "--cert-dir", w.resolve("kubelet/pki").toString(),
                "--hostname-override", name,
                "--v", "1"));
        if (!labels.isEmpty()) {
            cmd.add("--node-labels");
            cmd.add(labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(",")));
        }
        kubeletStarted = System.nanoTime();
        kubelet = spawn("kubelet", "nsenter", "-t", Long.toString(containerd.pid()), "-m", "-n", "sh", "-c",
                cgroup.join() + "exec " + cmd.stream().map(TestNode::quote).collect(Collectors.joining(" ")));
        try (KubernetesClient admin = cluster.adminClient()) {
            await(Duration.ofSeconds(180), kubelet, "kubelet", () -> admin.nodes().withName(name).get() != null);
        }
        registered = Duration.ofNanos(System.nanoTime() - kubeletStarted);
    }

    private void writeCredentials() throws IOException, InterruptedException {
        Path pki = w.resolve("pki");
        // the Node authorizer's identity: user system:node:NAME in group system:nodes
        Pki.sign(pki, cluster.caFile().getParent(), "node", "/O=system:nodes/CN=system:node:" + name,
                "extendedKeyUsage=clientAuth\n");
        Pki.kubeconfig(w.resolve("kubelet.kubeconfig"), cluster.url(), cluster.caFile(), name,
                "{client-certificate: \"" + pki.resolve("node.crt") + "\", client-key: \"" + pki.resolve("node.key")
                        + "\"}");
    }

    /** The CRI plugin's part of containerd's config: the kubelet's runtime, CNI dirs private to the node. */
    private String criTable() {
        return """
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "%1$s"
                  restrict_oom_score_adj = true
                  netns_mounts_under_state_dir = true
                  disable_apparmor = true
                  stream_server_address = "127.0.0.1"
                  stream_server_port = "0"
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "%2$s"
                    conf_dir = "%3$s"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                    runtime_type = "io.containerd.runc.v2"
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                      SystemdCgroup = false
                """.formatted(SANDBOX_IMAGE, cniBinDir(), cniConfDir());
    }

    private void writeKubeletConfig(String providerId) throws IOException {
        Files.writeString(w.resolve("kubelet.yaml"), """
                apiVersion: kubelet.config.k8s.io/v1beta1
                kind: KubeletConfiguration
                address: 127.0.0.1
                port: 10250
                readOnlyPort: 0
                healthzBindAddress: 127.0.0.1
                healthzPort: 10248
                cgroupDriver: cgroupfs
                cgroupsPerQOS: false
                enforceNodeAllocatable: []
                makeIPTablesUtilChains: false
                failSwapOn: false
                authentication:
                  anonymous: {enabled: false}
                  webhook: {enabled: false}
                authorization: {mode: AlwaysAllow}
                evictionHard: {memory.available: "1Mi", nodefs.available: "1%%", imagefs.available: "1%%", nodefs.inodesFree: "1%%"}
                imageGCHighThresholdPercent: 100
                imageGCLowThresholdPercent: 99
                resolvConf: ""
                volumeStatsAggPeriod: 0s
                syncFrequency: 5s
                fileCheckFrequency: 5s
                nodeStatusUpdateFrequency: 5s
                serializeImagePulls: false
                %s
                """.formatted(providerId == null ? "" : "providerID: \"" + providerId + "\""));
    }

    /** The node's name (its Node object's). */
    public String name() {
        return name;
    }

    /** The node's network namespace (under /run/netns): run ipamd there, and look at the pods' host side. */
    public String netns() {
        return netns;
    }

    /** The CRI's CNI plugin dir. */
    public Path cniBinDir() {
        return w.resolve("cni-bin");
    }

    /** The CRI's CNI config dir: the node is Ready once a config is here. */
    public Path cniConfDir() {
        return w.resolve("cni-conf");
    }

    /** The work dir (removed on close). */
    public Path dir() {
        return w;
    }

    /** containerd's socket. */
    public Path socket() {
        return w.resolve("ctrd/containerd.sock");
    }

    /** containerd's process id. */
    public long containerdPid() {
        return containerd.pid();
    }

    /** From the kubelet's start until its Node object existed. */
    public Duration registered() {
        return registered;
    }

    /** Links Debian's CNI plugins (from /usr/lib/cni) into the node's CNI bin dir, e.g. portmap for a chain. */
    public void linkDebianPlugins(String... plugins) throws IOException {
        for (String p : plugins) {
            Path target = Path.of("/usr/lib/cni", p);
            if (!Files.isExecutable(target)) {
                throw new IOException(target + " is missing: bin/ci-packages.sh installs containernetworking-plugins");
            }
            Files.createSymbolicLink(cniBinDir().resolve(p), target);
        }
    }

    /**
     * A pod for this node (bound to it: no scheduler runs here) running {@code command} in the busybox image; it
     * stops within 2 s of a delete (busybox sh ignores SIGTERM as PID 1 unless the command traps it).
     */
    public Pod pod(String namespace, String podName, String... command) {
        return new PodBuilder().withNewMetadata().withName(podName).withNamespace(namespace).endMetadata()
                .withNewSpec().withNodeName(name).withTerminationGracePeriodSeconds(2L).addNewContainer().withName("c")
                .withImage(POD_IMAGE).withImagePullPolicy("Never").withCommand(command).endContainer().endSpec().build();
    }

    /** Waits until pod {@code namespace/podName} is Running; fails with the node's logs when it is not in time. */
    public Pod awaitRunning(KubernetesClient admin, String namespace, String podName, Duration timeout)
            throws IOException, InterruptedException {
        Pod[] last = new Pod[1];
        await(timeout, kubelet, "pod " + namespace + "/" + podName + " Running", () -> {
            last[0] = admin.pods().inNamespace(namespace).withName(podName).get();
            return last[0] != null && last[0].getStatus() != null && "Running".equals(last[0].getStatus().getPhase());
        });
        return last[0];
    }

    /** A command that runs until the pod is deleted (and exits on SIGTERM). */
    public static String[] sleeper() {
        return new String[] {"/bin/busybox", "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"};
    }

    /** Waits until the Node is Ready; returns the time from the kubelet's start. */
    public Duration awaitReady(Duration timeout) throws IOException, InterruptedException {
        try (KubernetesClient admin = cluster.adminClient()) {
            await(timeout, kubelet, "kubelet (Ready)", () -> ready(admin.nodes().withName(name).get()));
        }
        return Duration.ofNanos(System.nanoTime() - kubeletStarted);
    }

    static boolean ready(Node n) {
        if (n == null || n.getStatus() == null || n.getStatus().getConditions() == null) {
            return false;
        }
        for (NodeCondition c : n.getStatus().getConditions()) {
            if ("Ready".equals(c.getType())) {
                return "True".equals(c.getStatus());
            }
        }
        return false;
    }

    /** {@code ctr -n k8s.io ARGS} against this node's containerd; its output, or an exception with it. */
    public String ctr(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("-n", "k8s.io"));
        cmd.addAll(List.of(args));
        return TestCluster.run(w, containerd.ctr(cmd.toArray(String[]::new)).toArray(String[]::new));
    }

    /** The ids of pod {@code namespace/pod}'s sandboxes (CNI_CONTAINERID of its ADD and DEL), running or not. */
    public Set<String> sandboxIds(String namespace, String pod) throws IOException, InterruptedException {
        return ctr("containers", "ls", "-q", "labels.\"io.kubernetes.pod.name\"==" + pod
                + ",labels.\"io.kubernetes.pod.namespace\"==" + namespace + ",labels.\"io.cri-containerd.kind\"==sandbox")
                .lines().map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.toSet());
    }

    /** The host pid of pod {@code namespace/pod}'s running sandbox (its network namespace is the pod's). */
    public long sandboxPid(String namespace, String pod) throws IOException, InterruptedException {
        Set<String> ids = sandboxIds(namespace, pod);
        for (String line : ctr("tasks", "ls").lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && ids.contains(f[0]) && f[2].equals("RUNNING")) {
                return Long.parseLong(f[1]);
            }
        }
        throw new IOException("no running sandbox for pod " + namespace + "/" + pod + " on " + name);
    }

    /** Runs {@code cmd} (a machine binary, e.g. busybox) in pod {@code namespace/pod}'s network namespace. */
    public int inPod(String namespace, String pod, String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("nsenter", "-t", Long.toString(sandboxPid(namespace, pod)), "-n"));
        c.addAll(List.of(cmd));
        return status(w, c.toArray(String[]::new));
    }

    /** {@code ip ARGS} in the node's network namespace; its output. */
    public String ip(String... args) throws IOException, InterruptedException {
        return Netns.ip(netns, args);
    }

    /** The tail of a component's log (proxy, containerd, kubelet), for failure messages. */
    public String logTail(String component) {
        return Host.tail(w.resolve(component + ".log"), 60);
    }

    /** Everything the node logged so far (for a failure message). */
    public String logs() {
        return "--- kubelet\n" + logTail("kubelet") + "\n--- containerd\n" + logTail("containerd");
    }

    /** Runs a command; its exit status (output discarded; -1 when it hangs for 2 minutes). */
    static int status(Path cwd, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private Process spawn(String log, String... cmd) throws IOException {
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(w.resolve(log + ".log").toFile())).start();
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** True when {@code pid}'s network namespace has a TCP socket (v4 or v6) listening on {@code port}. */
    private static boolean listening(long pid, int port) {
        String local = String.format(":%04X", port);
        for (String table : List.of("tcp", "tcp6")) {
            try {
                for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/net/" + table))) {
                    String[] f = l.trim().split("\\s+");
                    if (f.length > 3 && f[1].endsWith(local) && f[3].equals("0A")) {
                        return true;
                    }
                }
            } catch (IOException e) {
                return false;
            }
        }
        return false;
    }

    private void await(Duration timeout, Process p, String what, Host.Check ok)
            throws IOException, InterruptedException {
        Host.await(timeout, p, what + " on " + name, ok, () -> logs() + "\n--- proxy\n" + logTail("proxy"));
    }

    /** The containers this node's containerd ran (live tasks by their state dirs, plus what ctr lists). */
    private Set<String> containerIds() {
        Set<String> ids = new LinkedHashSet<>();
        Path tasks = w.resolve("ctrd/state/io.containerd.runtime.v2.task/k8s.io");
        if (Files.isDirectory(tasks)) {
            try (Stream<Path> s = Files.list(tasks)) {
                s.forEach(p -> ids.add(p.getFileName().toString()));
            } catch (IOException ignored) {
                // none listed
            }
        }
        if (containerd != null && containerd.alive()) {
            try {
                ctr("containers", "ls", "-q").lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(ids::add);
            } catch (IOException | InterruptedException ignored) {
                // containerd not answering: the state dirs are what we know
            }
        }
        return ids;
    }

    /**
     * Stops the node by PID: the kubelet (so it restarts nothing), every container (its cgroup's processes),
     * containerd, then whatever is left in the node's cgroup (shims, the forwarder); their private mount namespace
     * goes with its last process, taking the mounts and the pods' network namespaces with it. Then the node's
     * network namespace, the cgroups and the work dir.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (Thread.currentThread() != onExit) {
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException e) {
                // the JVM is exiting: the hook runs close() and finds it done
            }
        }
        try {
            Host.stop(kubelet);
            Set<String> ids = containerIds();
            List<Path> containers = ids.stream().map(id -> Cgroup.pidsHierarchy().resolve("k8s.io").resolve(id))
                    .toList();
            Cgroup.killAll(containers);
            if (containerd != null) {
                containerd.close();
            }
            List<Path> all = new ArrayList<>(containers);
            if (cgroup != null) {
                all.add(cgroup.path());
            }
            Cgroup.killAll(all);
            if (proxy != null) {
                proxy.waitFor(10, TimeUnit.SECONDS);
            }
            for (String id : ids) {
                Cgroup.remove("k8s.io/" + id, true);
            }
            if (!ids.isEmpty()) {
                Cgroup.remove("k8s.io", false); // the runtimes' parent group, unless another runtime's child is in it
            }
            if (cgroup != null) {
                cgroup.remove();
            }
            IOException netnsLeft = null;
            try {
                namespaces.close();
            } catch (IOException e) {
                netnsLeft = e;
            }
            // nothing of the node is mounted on the machine; this catches a mount that leaked all the same
            Host.unmountBelow(w);
            if (netnsLeft != null) {
                throw netnsLeft;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            if (!"1".equals(System.getenv("IPAMD_TEST_K8S_KEEP"))) {
                TestCluster.deleteTree(w);
            }
        }
    }
}
