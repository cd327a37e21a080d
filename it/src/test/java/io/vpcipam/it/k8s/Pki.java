package io.vpcipam.it.k8s;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Identities in a test cluster, made with openssl: the cluster's CA, certificates it signs (the API server's serving
 * certificate, a kubelet's client certificate for the Node authorizer) and kubeconfigs that trust the CA and
 * authenticate with a token or a client certificate. {@link TestCluster} and {@link TestNode} both use these, so a
 * node's identity is made exactly as the server's is.
 */
final class Pki {

    private Pki() {
    }

    /** A self-signed CA, {@code ca.key} and {@code ca.crt} in {@code dir}, valid for two days. */
    static void ca(Path dir, String commonName) throws IOException, InterruptedException {
        TestCluster.run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                "/CN=" + commonName, "-keyout", "ca.key", "-out", "ca.crt");
    }

    /**
     * A key and a certificate for {@code subject} signed by the CA in {@code caDir}, with the X.509 extensions
     * {@code extensions} (openssl extfile lines): {@code NAME.key} and {@code NAME.crt} in {@code dir}, the CA's serial
     * file there too (so two signers never write the same one).
     */
    static Path sign(Path dir, Path caDir, String name, String subject, String extensions)
            throws IOException, InterruptedException {
        Files.writeString(dir.resolve(name + ".ext"), extensions);
        TestCluster.run(dir, "openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", subject,
                "-keyout", name + ".key", "-out", name + ".csr");
        TestCluster.run(dir, "openssl", "x509", "-req", "-in", name + ".csr", "-CA", caDir.resolve("ca.crt").toString(),
                "-CAkey", caDir.resolve("ca.key").toString(), "-CAcreateserial", "-CAserial", "ca.srl", "-days", "2",
                "-extfile", name + ".ext", "-out", name + ".crt");
        return dir.resolve(name + ".crt");
    }

    /**
     * Writes a kubeconfig for {@code server} trusting {@code ca}, as {@code user} with {@code credentials} (the
     * kubeconfig's user fields, e.g. {@code {token: "..."}}); returns {@code file}.
     */
    static Path kubeconfig(Path file, String server, Path ca, String user, String credentials) throws IOException {
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                  - name: vit
                    cluster: {server: "%s", certificate-authority: "%s"}
                users:
                  - name: %s
                    user: %s
                contexts:
                  - name: vit
                    context: {cluster: vit, user: %s}
                current-context: vit
                """.formatted(server, ca, user, credentials, user));
        return file;
    }
}
