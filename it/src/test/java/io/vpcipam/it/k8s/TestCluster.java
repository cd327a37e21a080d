package io.vpcipam.it.k8s;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vpcipam.it.host.Host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real Kubernetes control plane for the tests: etcd 3.4 and kube-apiserver 1.20 (built by bin/k8s-build.sh from
 * Debian's packages) on loopback, on free ports, everything under one work dir that {@link #close()} removes.
 * TLS with an openssl-made CA, a static token for the admin, RBAC and the Node authorizer (for {@link TestNode}'s
 * kubelets), service-account signing keys (so TokenRequest mints bound tokens), and an audit log of every request's
 * user, verb, resource and answer.
 *
 * <p>Where the binaries are: IPAMD_TEST_K8S_BIN (set by .ci/run), else the newest /var/cache/vpc-ipam/k8s-{@literal *}/bin.
 * Without them the tests are skipped with that hint, unless IPAMD_TEST_K8S_REQUIRED=1 (CI), where they fail.
 */
public final class TestCluster implements AutoCloseable {

    /** Where bin/k8s-build.sh caches what it builds. */
    static final Path CACHE = Path.of(System.getenv().getOrDefault("VPC_IPAM_CACHE", "/var/cache/vpc-ipam"));

    private final Path bin;
    private final Path dir;
    private final String adminToken;
    private final int etcdPort;
    private final int etcdPeerPort;
    private int apiPort;
    private Process etcd;
    private Process apiserver;
    private Duration apiserverStartup;

    private TestCluster(Path bin, Path dir) throws IOException {
        this.bin = bin;
        this.dir = dir;
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        this.adminToken = HexFormat.of().formatHex(b);
        this.etcdPort = freePort();
        this.etcdPeerPort = freePort();
        this.apiPort = freePort();
    }

    /** The directory holding etcd, kube-apiserver and kubectl (and kubelet); skips (or fails in CI) without them. */
    public static Path binaries() {
        String env = System.getenv("IPAMD_TEST_K8S_BIN");
        Path found = null;
        if (env != null && !env.isBlank()) {
            found = Path.of(env);
        } else if (Files.isDirectory(CACHE)) {
            try (Stream<Path> s = Files.list(CACHE)) {
                found = s.filter(p -> p.getFileName().toString().startsWith("k8s-"))
                        .map(p -> p.resolve("bin")).filter(p -> Files.isExecutable(p.resolve("kube-apiserver")))
                        .max(Comparator.comparing(p -> p.toFile().lastModified())).orElse(null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        String hint = "the Kubernetes test binaries are not built: run bin/k8s-build.sh (as root; ~10 min once)";
        boolean ok = found != null && complete(found);
        if (!ok && "1".equals(System.getenv("IPAMD_TEST_K8S_REQUIRED"))) {
            throw new IllegalStateException(hint + " (IPAMD_TEST_K8S_REQUIRED=1)");
        }
        assumeTrue(ok, hint);
        return found;
    }

    private static boolean complete(Path bin) {
        return Stream.of("etcd", "kube-apiserver", "kubectl").allMatch(n -> Files.isExecutable(bin.resolve(n)));
    }

    /** Starts etcd and the API server under a new work dir; returns once the server is ready. */
    public static TestCluster start() throws IOException, InterruptedException {
        Path bin = binaries();
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "vit-k8s");
        TestCluster c = new TestCluster(bin, dir);
        try {
            c.writeCredentials();
            c.startEtcd();
            c.startApiserver();
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void writeCredentials() throws IOException, InterruptedException {
        Path pki = Files.createDirectories(dir.resolve("pki"));
        Pki.ca(pki, "vit-k8s-ca");
        Pki.sign(pki, pki, "server", "/CN=kube-apiserver", "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes"
                + ",DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n");
        run(pki, "openssl", "genrsa", "-out", "sa.key", "2048");
        run(pki, "openssl", "rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub");
        Files.writeString(pki.resolve("tokens.csv"), adminToken + ",vit-admin,vit-admin,system:masters\n");
        // every request's metadata (user, verb, resource, answer), not bodies: what the tests count and check
        Files.writeString(dir.resolve("audit-policy.yaml"), """
                apiVersion: audit.k8s.io/v1
                kind: Policy
                rules:
                  - level: Metadata
                """);
    }

    private void startEtcd() throws IOException, InterruptedException {
        String client = "http://127.0.0.1:" + etcdPort;
        String peer = "http://127.0.0.1:" + etcdPeerPort;
        etcd = spawn("etcd", List.of(bin.resolve("etcd").toString(), "--name", "vit", "--data-dir",
                dir.resolve("etcd").toString(), "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "vit=" + peer,
                "--log-level", "warn"));
        HttpClient http = HttpClient.newHttpClient();
        Host.await(Duration.ofSeconds(30), etcd, "etcd", () -> {
            try {
                return http.send(HttpRequest.newBuilder(URI.create(client + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString()).body().contains("true");
            } catch (IOException e) {
                return false;
            }
        }, () -> logTail("etcd"));
    }

    /** Starts (or restarts) the API server on the same port and etcd; returns once /readyz answers ok. */
    public void startApiserver() throws IOException, InterruptedException {
        Path pki = dir.resolve("pki");
        long t0 = System.nanoTime();
        apiserver = spawn("kube-apiserver", List.of(bin.resolve("kube-apiserver").toString(),
                "--etcd-servers", "http://127.0.0.1:" + etcdPort,
                "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
                "--secure-port", Integer.toString(apiPort), "--insecure-port", "0",
                "--cert-dir", dir.resolve("certs").toString(),
                "--tls-cert-file", pki.resolve("server.crt").toString(),
                "--tls-private-key-file", pki.resolve("server.key").toString(),
                "--client-ca-file", pki.resolve("ca.crt").toString(),
                "--token-auth-file", pki.resolve("tokens.csv").toString(),
                "--authorization-mode", "Node,RBAC", // Node: the kubelets of TestNode, as system:node:NAME
                // as kubeadm, EKS and AKS run it: node agents (aws-node's init, our host-sysctl step) are privileged
                "--allow-privileged=true",
                "--service-account-issuer", "https://kubernetes.default.svc",
                "--service-account-key-file", pki.resolve("sa.pub").toString(),
                "--service-account-signing-key-file", pki.resolve("sa.key").toString(),
                "--api-audiences", "https://kubernetes.default.svc",
                "--service-cluster-ip-range", "10.96.0.0/16",
                "--endpoint-reconciler-type", "none",
                "--disable-admission-plugins", "ServiceAccount",
                "--audit-log-path", auditLog().toString(),
                "--audit-policy-file", dir.resolve("audit-policy.yaml").toString(),
                "--audit-log-mode", "blocking",
                "--profiling=false", "--v", "1"));
        HttpClient http = HttpClient.newBuilder().sslContext(sslContext()).build();
        Host.await(Duration.ofSeconds(90), apiserver, "kube-apiserver", () -> {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url() + "/readyz"))
                        .header("Authorization", "Bearer " + adminToken).build(), HttpResponse.BodyHandlers.ofString());
                return r.statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        }, () -> logTail("kube-apiserver"));
        apiserverStartup = Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Stops the API server (SIGTERM, then SIGKILL), leaving etcd and everything stored in it. */
    public void stopApiserver() throws InterruptedException {
        stop(apiserver);
        apiserver = null;
    }

    /** SIGSTOP / SIGCONT the API server: it keeps its connections open and answers nothing (a hung server). */
    public void freezeApiserver(boolean frozen) throws IOException, InterruptedException {
        run(dir, "kill", frozen ? "-STOP" : "-CONT", Long.toString(apiserver.pid()));
    }

    /** How long the last API server start took until /readyz said ok. */
    public Duration apiserverStartup() {
        return apiserverStartup;
    }

    /** The API server's URL. */
    public String url() {
        return "https://127.0.0.1:" + apiPort;
    }

    /** The admin's bearer token (system:masters). */
    public String adminToken() {
        return adminToken;
    }

    /** The cluster CA's certificate (PEM file). */
    public Path caFile() {
        return dir.resolve("pki/ca.crt");
    }

    /** The audit log (JSON lines). */
    public Path auditLog() {
        return dir.resolve("audit.log");
    }

    /** The work dir (removed on close). */
    public Path dir() {
        return dir;
    }

    /** The binaries' dir. */
    public Path bin() {
        return bin;
    }

    /** A client as the admin. */
    public KubernetesClient adminClient() {
        return client(adminToken);
    }

    /** A client authenticating with {@code token}, trusting the cluster's CA, with short timeouts. */
    public KubernetesClient client(String token) {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(url()).withCaCertFile(caFile().toString())
                .withOauthToken(token).withRequestTimeout(15_000).withConnectionTimeout(5_000).build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** Writes a kubeconfig for {@code token} (for ipamd and kubectl) and returns its path. */
    public Path kubeconfig(String name, String token) throws IOException {
        return Pki.kubeconfig(dir.resolve(name + ".kubeconfig"), url(), caFile(), name, "{token: \"" + token + "\"}");
    }

    /** Runs kubectl as the admin; returns its output, throws with it when it fails. */
    public String kubectl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(bin.resolve("kubectl").toString(), "--kubeconfig",
                kubeconfig("vit-admin", adminToken).toString()));
        cmd.addAll(List.of(args));
        return run(dir, cmd.toArray(String[]::new));
    }

    /** Runs kubectl as the admin; returns its output whatever its exit code (kubectl diff exits 1 on a diff). */
    public String kubectlOutput(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(bin.resolve("kubectl").toString(), "--kubeconfig",
                kubeconfig("vit-admin", adminToken).toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(120, TimeUnit.SECONDS);
        return out;
    }

    private Process spawn(String name, List<String> cmd) throws IOException {
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile())).start();
    }

    /** The tail of a component's log, for failure messages. */
    public String logTail(String name) {
        return Host.tail(dir.resolve(name + ".log"), 40);
    }

    private SSLContext sslContext() throws IOException {
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            try (var in = Files.newInputStream(caFile())) {
                ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            return ssl;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    /** Runs a command in {@code cwd}; returns stdout+stderr; throws with them when it exits non-zero. */
    static String run(Path cwd, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
        }
        return out;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void stop(Process p) throws InterruptedException {
        if (p == null) {
            return;
        }
        p.destroy();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Stops the API server and etcd by their process ids and removes the work dir. */
    @Override
    public void close() {
        try {
            if (apiserver != null) {
                run(dir, "kill", "-CONT", Long.toString(apiserver.pid())); // a frozen one cannot take SIGTERM
            }
        } catch (IOException | InterruptedException ignored) {
            // it is gone already
        }
        try {
            stop(apiserver);
            stop(etcd);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!"1".equals(System.getenv("IPAMD_TEST_K8S_KEEP"))) {
            deleteTree(dir);
        }
    }

    /** Deletes {@code root} and what is below it, best effort, as {@code rm -rf}: what vanishes meanwhile is skipped. */
    static void deleteTree(Path root) {
        Host.walk(root, d -> { }, f -> f.toFile().delete(), d -> d.toFile().delete());
    }

}
