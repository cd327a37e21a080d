package io.vpcipam.it.cni;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.vpcipam.it.host.Containerd;
import io.vpcipam.it.host.Host;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A node brought up from the container image as a kubelet would: a private containerd (own root, state, socket) that
 * imports the image tarball and runs the chart's rendered containers ({@code helm template} through helm-java) with
 * their command, environment, volumes, capabilities, read-only root, memory limit and host network.
 *
 * <p>The "host" is a network namespace plus a private mount namespace that containerd, its shims and every
 * {@code ctr} call live in: {@code /run}, {@code /opt} and {@code /var/lib} are fresh tmpfs there and {@code /etc} an
 * overlay whose writes land in the work dir, so the fixed paths ctr uses for CNI ({@code /opt/cni/bin},
 * {@code /etc/cni/net.d}, {@code /var/lib/cni}) and containerd's {@code /run/containerd} never touch the machine.
 * {@code /opt/cni/bin} is the work dir's {@code cni-bin}, so the test sees what install-cni put there.
 *
 * <p>Why one class (over 400 lines): most of it is {@link #run}, the kubelet's reading of a pod spec (security
 * context, capabilities, memory limit, environment, volumes) turned into {@code ctr run} flags, and that needs the
 * node itself: hostPath volumes are made inside the node's mount namespace, emptyDir and configMap volumes in its
 * work dir, and every container it runs is stopped by {@link #close()}. The parts every node fixture shares are
 * elsewhere: the namespace ({@link NodeNetns}), the runtime's start and stop ({@code host.Containerd}).
 */
public final class ImageNode implements AutoCloseable {

    /** containerd's (and the CRI's) default capability set; a pod's securityContext adds to and drops from it. */
    static final List<String> DEFAULT_CAPS = List.of("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW",
            "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE");
    /** The node name the downward API gives {@code spec.nodeName}. */
    public static final String NODE_NAME = "vit-image-node";

    private final Path w;
    private final NodeNetns netns;
    private final Containerd containerd;
    private final List<String> containers = new ArrayList<>();

    private ImageNode(Path w, NodeNetns netns, Containerd containerd) {
        this.w = w;
        this.netns = netns;
        this.containerd = containerd;
    }

    /** The image tarball the build made. */
    public static Path imageTar() {
        return Path.of(System.getProperty("vpcipam.image.tar", "../image/target/vpc-ipam-image.tar"))
                .toAbsolutePath().normalize();
    }

    /** The chart directory. */
    public static Path chart() {
        return Path.of(System.getProperty("vpcipam.chart.dir", "../helm/vpc-ipam")).toAbsolutePath().normalize();
    }

    /** Skips unless root with containerd, ctr, runc and the built image. */
    public static void assumeReady() throws IOException {
        NodeNetns.assumeRoot();
        for (String tool : List.of("/usr/bin/containerd", "/usr/bin/ctr", "/usr/sbin/runc", "/usr/bin/unshare")) {
            org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of(tool)),
                    tool + " is missing: bin/ci-packages.sh installs it");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(imageTar()),
                "the image is not built: " + imageTar() + " (the image module builds it)");
    }

    /** Starts containerd for a new node in a new network namespace, with its work dir {@code w}. */
    public static ImageNode start(Path w) throws IOException, InterruptedException {
        NodeNetns n = NodeNetns.create();
        try {
            for (String dir : List.of("etc-upper", "etc-work", "cni-bin", "fifo", "logs")) {
                Files.createDirectories(w.resolve(dir));
            }
            String setup = String.join(" && ",
                    "mount -t tmpfs -o mode=755 vit-run /run",
                    "mount -t tmpfs -o mode=755 vit-opt /opt",
                    "mkdir -p /opt/cni/bin",
                    "mount --bind " + w.resolve("cni-bin") + " /opt/cni/bin",
                    "mount -t tmpfs -o mode=755 vit-varlib /var/lib",
                    "mkdir -p /var/lib/cni",
                    "mount -t overlay vit-etc -o lowerdir=/etc,upperdir=" + w.resolve("etc-upper") + ",workdir="
                            + w.resolve("etc-work") + " /etc",
                    "mkdir -p /etc/cni/net.d") + " && ";
            return new ImageNode(w, n, Containerd.start(w.resolve("ctrd"), w.resolve("config.toml"), null,
                    List.of("nsenter", "--net=/run/netns/" + n.node, "unshare", "--mount", "--propagation", "private"),
                    setup, w.resolve("containerd.log"), Duration.ofSeconds(30)));
        } catch (IOException | InterruptedException | RuntimeException e) {
            Host.unmountBelow(w);
            n.close();
            throw e;
        }
    }

    /** The node's network namespace name (under /run/netns). */
    public String netns() {
        return netns.node;
    }

    /** The node's network namespace fixture, for pods wired by the plugin straight (without a runtime). */
    NodeNetns nodeNetns() {
        return netns;
    }

    /** A command on the node (its mount and network namespaces, as a host-network privileged step); its output. */
    public String onNode(String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("nsenter", "-t", Long.toString(containerd.pid()), "-m", "-n"));
        c.addAll(List.of(cmd));
        return Host.sh(c.toArray(String[]::new));
    }

    /** The host's CNI bin dir as seen from the test ({@code /opt/cni/bin} on the node). */
    public Path cniBinDir() {
        return w.resolve("cni-bin");
    }

    /** The host's CNI conf dir as seen from the test ({@code /etc/cni/net.d} on the node). */
    public Path cniConfDir() {
        return w.resolve("etc-upper/cni/net.d");
    }

    /** {@code ctr ARGS} on this node; its output, or an exception with it unless it exits 0. */
    public String ctr(String... args) throws IOException, InterruptedException {
        return Host.sh(ctrCommand(args).toArray(String[]::new));
    }

    private int ctrStatus(String... args) throws IOException, InterruptedException {
        return Host.status(ctrCommand(args).toArray(String[]::new));
    }

    /** The command line of {@code ctr ARGS} inside the node's mount and network namespaces. */
    public List<String> ctrCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(containerd.pid()), "-m", "-n"));
        cmd.addAll(containerd.ctr(args));
        return cmd;
    }

    /** A command in the node's network namespace (the host's loopback, as a host-network container sees it). */
    public int inHostNet(String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + netns.node));
        c.addAll(List.of(cmd));
        return Host.status(c.toArray(String[]::new));
    }

    /** {@code ip ARGS} in the node's network namespace; its output. */
    public String hostIp(String... args) throws IOException, InterruptedException {
        return netns.ip(args);
    }

    /** True when {@code GET http://127.0.0.1:PORT/PATH} on the node answers 2xx. */
    public boolean httpOk(int port, String path) throws IOException, InterruptedException {
        // busybox 1.35's wget -T segfaults: timeout bounds it instead
        return inHostNet("/bin/busybox", "timeout", "3", "/bin/busybox", "wget", "-q", "-O", "/dev/null",
                "http://127.0.0.1:" + port + path) == 0;
    }

    /** Imports an OCI image tarball; returns the image names ctr lists afterwards. */
    public List<String> importImage(Path tar) throws IOException, InterruptedException {
        ctr("images", "import", tar.toString());
        return ctr("images", "ls", "-q").lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    /** The chart rendered by Helm with a values file: the DaemonSet and the ConfigMaps it mounts. */
    public record Rendered(DaemonSet daemonSet, Map<String, ConfigMap> configMaps) {

        /** {@code helm template vpc-ipam CHART -n kube-system -f values}. */
        public static Rendered of(Path chart, Path values) {
            String yaml = new Helm(chart).template().withName("vpc-ipam").withNamespace("kube-system")
                    .withValuesFile(values).call();
            DaemonSet ds = null;
            Map<String, ConfigMap> cms = new LinkedHashMap<>();
            for (String doc : yaml.split("(?m)^---\\s*$")) {
                if (doc.lines().noneMatch(l -> !l.isBlank() && !l.trim().startsWith("#"))) {
                    continue;
                }
                HasMetadata o = Serialization.unmarshal(doc);
                if (o instanceof DaemonSet d) {
                    ds = d;
                } else if (o instanceof ConfigMap cm) {
                    cms.put(cm.getMetadata().getName(), cm);
                }
            }
            if (ds == null) {
                throw new IllegalStateException("no DaemonSet in the rendered chart");
            }
            return new Rendered(ds, cms);
        }

        /** The pod template's spec. */
        public PodSpec pod() {
            return daemonSet.getSpec().getTemplate().getSpec();
        }

        /** A container or init container by name. */
        public Container container(String name) {
            List<Container> all = new ArrayList<>(pod().getInitContainers());
            all.addAll(pod().getContainers());
            return all.stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
        }
    }

    /**
     * Runs a rendered container as the kubelet would start it (hostNetwork, env with the downward API's node name,
     * hostPath / emptyDir / configMap volumes, capabilities, read-only root, memory limit) under a fresh id.
     * {@code detach}: start it and return its id; otherwise wait for it to exit and fail unless it exits 0.
     */
    public String run(Rendered r, String name, boolean detach) throws IOException, InterruptedException {
        Container c = r.container(name);
        PodSpec pod = r.pod();
        String id = name + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        List<String> args = new ArrayList<>(List.of("run", "--fifo-dir", w.resolve("fifo").toString()));
        args.add(detach ? "-d" : "--rm");
        if (detach) {
            args.addAll(List.of("--log-uri", "file://" + w.resolve("logs/" + id + ".log")));
        }
        if (Boolean.TRUE.equals(pod.getHostNetwork())) {
            args.add("--net-host");
        }
        SecurityContext sc = c.getSecurityContext();
        if (sc != null) {
            if (sc.getRunAsUser() != null && sc.getRunAsUser() != 0L) {
                throw new IllegalStateException(name + ": runAsUser " + sc.getRunAsUser()
                        + " (ctr 1.6 has no --user; the image's user is 0)");
            }
            if (Boolean.TRUE.equals(sc.getPrivileged())) {
                args.add("--privileged");
            }
            if (Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
                args.add("--read-only");
            }
            if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
                args.add("--allow-new-privs");
            }
            Set<String> caps = new LinkedHashSet<>(DEFAULT_CAPS);
            List<String> drop = sc.getCapabilities() == null || sc.getCapabilities().getDrop() == null ? List.of()
                    : sc.getCapabilities().getDrop();
            List<String> add = sc.getCapabilities() == null || sc.getCapabilities().getAdd() == null ? List.of()
                    : sc.getCapabilities().getAdd();
            if (drop.contains("ALL")) {
                caps.clear();
            } else {
                caps.removeAll(drop);
            }
            caps.addAll(add);
            for (String d : DEFAULT_CAPS) {
                if (!caps.contains(d)) {
                    args.addAll(List.of("--cap-drop", "CAP_" + d));
                }
            }
            for (String a : add) {
                args.addAll(List.of("--cap-add", "CAP_" + a));
            }
        }
        if (c.getResources() != null && c.getResources().getLimits() != null
                && c.getResources().getLimits().get("memory") != null) {
            Quantity q = c.getResources().getLimits().get("memory");
            args.addAll(List.of("--memory-limit", Quantity.getAmountInBytes(q).toBigInteger().toString()));
        }
        Map<String, String> env = new LinkedHashMap<>(); // a later entry of the same name wins, as in the kubelet
        for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
            if (e.getValueFrom() != null) {
                if (e.getValueFrom().getFieldRef() == null
                        || !"spec.nodeName".equals(e.getValueFrom().getFieldRef().getFieldPath())) {
                    throw new IllegalStateException(name + ": env " + e.getName() + " has a valueFrom this node lacks");
                }
                env.put(e.getName(), NODE_NAME);
            } else {
                env.put(e.getName(), e.getValue() == null ? "" : e.getValue());
            }
        }
        env.forEach((k, v) -> args.addAll(List.of("--env", k + "=" + v)));
        // parents before children, as containerd's CRI orders them, so /tmp cannot shadow a mount below it
        List<VolumeMount> mounts = new ArrayList<>(c.getVolumeMounts() == null ? List.of() : c.getVolumeMounts());
        mounts.sort(java.util.Comparator.comparingInt(m -> Path.of(m.getMountPath()).getNameCount()));
        for (VolumeMount m : mounts) {
            String src = volumeSource(r, id, m.getName());
            boolean ro = Boolean.TRUE.equals(m.getReadOnly()) || volume(pod, m.getName()).getConfigMap() != null;
            args.addAll(List.of("--mount", "type=bind,src=" + src + ",dst=" + m.getMountPath() + ",options=rbind:"
                    + (ro ? "ro" : "rw")));
        }
        args.add(c.getImage());
        args.add(id);
        args.addAll(c.getCommand() == null ? List.of() : c.getCommand());
        args.addAll(c.getArgs() == null ? List.of() : c.getArgs());
        containers.add(id);
        if (detach) {
            ctr(args.toArray(String[]::new));
        } else {
            runToEnd(id, ctrCommand(args.toArray(String[]::new)));
            containers.remove(id);
        }
        return id;
    }

    /**
     * Runs a foreground container to its end, its output into its log. No 60 s bound as for other commands: the
     * kubelet does not bound an init container either, and install-cni trains the plugin's AOT cache (20 s and
     * more on a loaded machine); 15 minutes only stops a hung one.
     */
    private void runToEnd(String id, List<String> cmd) throws IOException, InterruptedException {
        Path log = w.resolve("logs/" + id + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IOException(id + " did not end in 15 minutes: " + Files.readString(log));
        }
        if (p.exitValue() != 0) {
            throw new IOException(id + " exited " + p.exitValue() + ": " + Files.readString(log));
        }
    }

    /** {@code ctr run --rm} of an image with the node's root file system at {@code /host}, as kubectl debug node does. */
    public String runWithHostRoot(String image, String... cmd) throws IOException, InterruptedException {
        return debug(List.of(), image, cmd);
    }

    /** {@link #runWithHostRoot} with NET_ADMIN and NET_RAW added, as {@code kubectl debug --profile=netadmin} does. */
    public String runNetadminWithHostRoot(String image, String... cmd) throws IOException, InterruptedException {
        return debug(List.of("--cap-add", "CAP_NET_ADMIN", "--cap-add", "CAP_NET_RAW"), image, cmd);
    }

    private String debug(List<String> extra, String image, String... cmd) throws IOException, InterruptedException {
        String id = "debug-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        List<String> args = new ArrayList<>(List.of("run", "--rm", "--net-host", "--fifo-dir", w.resolve("fifo").toString(),
                "--mount", "type=bind,src=/,dst=/host,options=rbind:rw"));
        args.addAll(extra);
        args.addAll(List.of(image, id));
        args.addAll(List.of(cmd));
        return ctr(args.toArray(String[]::new));
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no volume " + name));
    }

    /** Where a volume comes from on this node, made as the kubelet makes it. */
    private String volumeSource(Rendered r, String id, String name) throws IOException, InterruptedException {
        Volume v = volume(r.pod(), name);
        if (v.getHostPath() != null) {
            String path = v.getHostPath().getPath();
            String type = v.getHostPath().getType() == null ? "" : v.getHostPath().getType();
            switch (type) {
                case "DirectoryOrCreate" -> inNodeMounts("mkdir", "-p", path);
                case "FileOrCreate" -> inNodeMounts("sh", "-c", "mkdir -p \"$(dirname \"$1\")\" && touch \"$1\"", "-", path);
                default -> inNodeMounts("test", "-e", path);
            }
            return path;
        }
        if (v.getEmptyDir() != null) {
            Path dir = w.resolve("emptydir/" + id + "/" + name);
            Files.createDirectories(dir);
            return dir.toString();
        }
        if (v.getConfigMap() != null) {
            ConfigMap cm = r.configMaps().get(v.getConfigMap().getName());
            if (cm == null) {
                throw new IllegalStateException("the chart mounts ConfigMap " + v.getConfigMap().getName()
                        + " but does not render it");
            }
            Path dir = w.resolve("configmap/" + id + "/" + name);
            Files.createDirectories(dir);
            int mode = v.getConfigMap().getDefaultMode() == null ? 0644 : v.getConfigMap().getDefaultMode();
            for (var e : cm.getData().entrySet()) {
                Path f = dir.resolve(e.getKey());
                Files.writeString(f, e.getValue(), StandardCharsets.UTF_8);
                Files.setPosixFilePermissions(f, permissions(mode));
            }
            return dir.toString();
        }
        throw new IllegalStateException("volume " + name + ": only hostPath, emptyDir and configMap are supported");
    }

    private void inNodeMounts(String... cmd) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("nsenter", "-t", Long.toString(containerd.pid()), "-m"));
        c.addAll(List.of(cmd));
        Host.sh(c.toArray(String[]::new));
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                s.add(bits[i]);
            }
        }
        return s;
    }

    /** The pid of a running task (as seen from the machine: containerd's pid namespace is the machine's). */
    public long taskPid(String id) throws IOException, InterruptedException {
        for (String line : ctr("task", "ls").lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[0].equals(id)) {
                return Long.parseLong(f[1]);
            }
        }
        throw new IOException("no task " + id);
    }

    /**
     * Waits until task {@code id} runs: {@code ctr run --cni} starts a task only once the CNI ADD has returned, so
     * from then on its network is wired (its lease alone comes before the plugin has set up the routes).
     */
    public void awaitRunning(String id, Duration timeout) throws IOException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (ctr("task", "ls").lines().anyMatch(l -> l.startsWith(id + " ") && l.contains("RUNNING"))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IOException("task " + id + " not running within " + timeout + ":\n" + ctr("task", "ls"));
    }

    /** Stops a container as the kubelet does (TERM, then KILL after the grace period) and removes it. */
    public void stop(String id, int graceSeconds) throws IOException, InterruptedException {
        ctrStatus("task", "kill", "-s", "SIGTERM", id);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(graceSeconds);
        while (System.nanoTime() < end && ctr("task", "ls").lines().anyMatch(l -> l.startsWith(id + " ")
                && l.contains("RUNNING"))) {
            Thread.sleep(50);
        }
        ctrStatus("task", "kill", "-s", "SIGKILL", id);
        for (int i = 0; i < 100 && ctrStatus("task", "delete", id) != 0
                && ctr("task", "ls").lines().anyMatch(l -> l.startsWith(id + " ")); i++) {
            Thread.sleep(100);
        }
        ctrStatus("container", "rm", id);
        containers.remove(id);
    }

    /** A container's log (detached containers log to a file). */
    public String log(String id) throws IOException {
        Path f = w.resolve("logs/" + id + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    @Override
    public void close() throws IOException {
        try {
            // every container of this containerd, also those a test ran itself through ctrCommand (its pods): a
            // shim outlives containerd, so one not stopped here would outlive the test
            Set<String> all = new LinkedHashSet<>(containers);
            try {
                ctr("containers", "ls", "-q").lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(all::add);
            } catch (IOException e) {
                // containerd not answering: the containers this node ran are what we know
            }
            for (String id : all) {
                ctrStatus("task", "kill", "-s", "SIGKILL", id);
                ctrStatus("task", "delete", "-f", id);
                ctrStatus("container", "rm", id);
            }
            containerd.close();
            // containerd's mount namespace (its tmpfs and overlay) goes with its last process; binds into the work
            // dir seen from the machine are only the container rootfs snapshots, unmounted by containerd.
            Host.unmountBelow(w);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            netns.close();
        }
    }
}
