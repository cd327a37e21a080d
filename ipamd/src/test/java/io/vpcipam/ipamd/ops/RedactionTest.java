package io.vpcipam.ipamd.ops;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RedactionTest {

    @Test
    void text_bearerTokenThatIsNotAJwt_isRemovedWhole() {
        String out = Redaction.text("GET /x Authorization: Bearer s3cr3t-0paque.t0ken");
        assertFalse(out.contains("s3cr3t-0paque.t0ken"), out);
    }

    @Test
    void text_kubeconfigTokenAndKeyData_areRemoved() {
        String kubeconfig = """
                users:
                - name: ipamd
                  user:
                    token: kube-opaque-token-123
                    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=
                -----BEGIN RSA PRIVATE KEY-----
                MIIEowIBAAKCAQEA75bP0
                -----END RSA PRIVATE KEY-----
                """;
        String out = Redaction.text(kubeconfig);
        for (String secret : new String[]{"kube-opaque-token-123", "LS0tLS1CRUdJTiBSU0Eg", "MIIEowIBAAKCAQEA75bP0"}) {
            assertFalse(out.contains(secret), "leaked " + secret + " in:\n" + out);
        }
        assertTrue(out.contains("name: ipamd"), out);
    }

    @Test
    void text_leavesOrdinaryDaemonTextAlone() {
        String line = "allocate 14 on eni-0abc: 6 waiting ADDs + warm target 8; container "
                + "3f8a9c0d1e2b3f8a9c0d1e2b3f8a9c0d1e2b3f8a9c0d1e2b3f8a9c0d1e2b3f8a token bucket empty";
        assertEquals(line, Redaction.text(line));
    }

    @Test
    void settings_aSecretByName_isShownByNameOnly_whateverItsValueLooksLike() {
        String out = Redaction.settings(Map.of("AZURE_CLIENT_SECRET", "plain", "IPAMD_KUBE_TOKEN", "t",
                "AWS_SESSION_TOKEN", "s", "HTTPS_PROXY", "http://user:pw@proxy:3128"));
        assertEquals("AWS_SESSION_TOKEN=<redacted>\nAZURE_CLIENT_SECRET=<redacted>\nHTTPS_PROXY=<redacted>\n"
                + "IPAMD_KUBE_TOKEN=<redacted>\n", out);
    }

    @Test
    void settings_ourOwnAndTheCloudsSettings_areKeptInNameOrder_aFilePathToo() {
        String out = Redaction.settings(Map.of("WARM_IP_TARGET", "2", "IPAMD_PROVIDER", "aws",
                "AZURE_CLIENT_CERTIFICATE_FILE", "/etc/azure/cert.pem", "AWS_REGION", "us-east-1"));
        assertEquals("AWS_REGION=us-east-1\nAZURE_CLIENT_CERTIFICATE_FILE=/etc/azure/cert.pem\nIPAMD_PROVIDER=aws\n"
                + "WARM_IP_TARGET=2\n", out);
    }

    @Test
    void settings_anythingElseInTheEnvironment_isLeftOut() {
        String out = Redaction.settings(Map.of("HOME", "/root", "PATH", "/usr/bin", "GITHUB_TOKEN", "ghp_x",
                "MAX_ENI", "3"));
        assertEquals("MAX_ENI=3\n", out);
        assertFalse(out.contains("ghp_x"));
    }
}
