package io.vpcipam.ipamd.ops;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What keeps credentials out of everything ipamd prints or hands over: its log lines ({@link LogSetup}), the recent
 * logs it serves, and every file of a support bundle. A bundle is attached to tickets and a log is shipped to
 * whatever the cluster logs to; the AWS CNI's users have found keys in both, so we would rather lose a little text
 * than leak one: values are replaced where a name says secret, and credential-shaped words wherever they stand.
 */
final class Redaction {

    private static final String REDACTED = "<redacted>";
    /** {@code NAME=value}, {@code "name": "value"}, {@code name: value} where the name says secret. */
    private static final Pattern SECRET_ASSIGNMENT = Pattern.compile(
            "(?i)((?:aws_secret_access_key|aws_session_token|aws_access_key_id|secret_?access_?key|session_?token"
                    + "|azure_client_secret|azure_client_certificate_password|client_?secret|password|passwd"
                    + "|access_?token|refresh_?token|id_?token|api_?key|authorization|x-amz-security-token"
                    + "|credentials?|token|client-key-data|client-certificate-data)[\"']?\\s*[:=]\\s*[\"']?)"
                    + "([^\\s\"',;}\\]]+)");
    /** A PEM private key (a kubeconfig's or a service principal's certificate key), whole. */
    private static final Pattern PRIVATE_KEY = Pattern.compile(
            "-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\\z)");
    /** AWS access key ids (long-term AKIA, temporary ASIA, and the other IAM unique-id prefixes). */
    private static final Pattern AWS_KEY_ID = Pattern.compile("\\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\\b");
    /** A 40-character mixed-case base64 word: the shape of an AWS secret key (hex ids are lower-case only). */
    private static final Pattern AWS_SECRET = Pattern.compile(
            "(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])");
    /** Bearer tokens and JWTs (Azure AD, Kubernetes service-account tokens). */
    private static final Pattern BEARER = Pattern.compile("(?i)(bearer\\s+)[A-Za-z0-9._~+/=-]+");
    private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*");

    /** Environment variables that are vpc-ipam's or aws-node's settings, or the cloud SDKs'. */
    private static final Pattern SETTING_NAME = Pattern.compile("(IPAMD_|AWS_|AZURE_|WARM_|MINIMUM_IP|MAX_ENI|ENABLE_"
            + "|DISABLE_|IP_COOLDOWN|POD_MTU|CLUSTER_|ADDITIONAL_ENI_TAGS|ENI_CONFIG|KUBERNETES_|NODE_NAME|MY_NODE_NAME"
            + "|JAVA_OPTS|JAVA_TOOL_OPTIONS|HTTPS?_PROXY|NO_PROXY).*", Pattern.CASE_INSENSITIVE);
    /** Names whose value is a credential whatever it looks like. */
    private static final Pattern SECRET_NAME = Pattern.compile(
            ".*(SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|ACCESS_KEY|PRIVATE|SESSION|_PROXY).*", Pattern.CASE_INSENSITIVE);

    private Redaction() {
    }

    /** The text with every credential-shaped part replaced. */
    public static String text(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String s = PRIVATE_KEY.matcher(text).replaceAll(REDACTED);
        // bearer first: "Authorization: Bearer x" would otherwise lose only the word "Bearer" to the assignment rule
        s = BEARER.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + REDACTED));
        s = SECRET_ASSIGNMENT.matcher(s).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + REDACTED));
        s = JWT.matcher(s).replaceAll(REDACTED);
        s = AWS_KEY_ID.matcher(s).replaceAll(REDACTED);
        return AWS_SECRET.matcher(s).replaceAll(REDACTED);
    }

    /**
     * The settings among {@code env} (vpc-ipam's, aws-node's, the cloud SDKs'), one {@code NAME=value} a line in name
     * order, a credential's value replaced whatever it looks like ({@code *_FILE} names a path, which is kept).
     * Every other variable is left out: it is not ours to hand over.
     */
    static String settings(Map<String, String> env) {
        StringBuilder t = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            if (!SETTING_NAME.matcher(e.getKey()).matches()) {
                continue;
            }
            boolean secret = SECRET_NAME.matcher(e.getKey()).matches() && !e.getKey().endsWith("_FILE");
            t.append(e.getKey()).append('=').append(secret ? REDACTED : e.getValue()).append('\n');
        }
        return t.toString();
    }
}
