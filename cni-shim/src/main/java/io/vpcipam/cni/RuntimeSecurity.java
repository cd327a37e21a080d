package io.vpcipam.cni;

import io.vpcipam.cni.urandom.UrandomProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.Security;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Build step (run by {@code build-dist.sh} on the jlink'd runtime): rewrites the runtime's
 * {@code conf/security/java.security} as the same properties without the ~70 KB of comments, with
 * {@link UrandomProvider} put first and every JDK provider moved one place down.
 *
 * <p>Why: the first Unix socket of a JVM loads this file (the Security class) and constructs the
 * first provider that offers "NativePRNGNonBlocking". Interpreted, parsing the commented file takes
 * ~5 ms and constructing SUN 13-16 ms of each plugin start; together they were half of the first
 * socket's ~28 ms. The result is checked by loading it back: every property the JDK file sets has
 * the same value (providers renumbered), or the build fails.
 */
final class RuntimeSecurity {

    private static final String PROVIDER = "security.provider.";

    private RuntimeSecurity() {
    }

    /**
     * {@code RuntimeSecurity FILE}: rewrites FILE in place (with the JDK that builds);
     * {@code RuntimeSecurity --check}: run by the rewritten runtime, fails unless it finds our provider first.
     */
    public static void main(String[] args) throws IOException, GeneralSecurityException {
        if (args.length == 1 && args[0].equals("--check")) {
            check();
            return;
        }
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: RuntimeSecurity <runtime>/conf/security/java.security | --check");
        }
        Path file = Path.of(args[0]);
        String text;
        try (InputStream in = Files.newInputStream(file)) {
            text = rewrite(load(in));
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.ISO_8859_1);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The running JVM resolves the socket support's SecureRandom to our provider and still has SUN. */
    static void check() throws IOException, GeneralSecurityException {
        String first = Security.getProviders()[0].getName();
        String module = Security.getProviders()[0].getClass().getModule().getName();
        String rng = SecureRandom.getInstance("NativePRNGNonBlocking").getProvider().getName();
        if (!first.equals(UrandomProvider.NAME) || !rng.equals(UrandomProvider.NAME) || Security.getProvider("SUN") == null
                || !"io.vpcipam.urandom".equals(module)) {
            throw new IllegalStateException("the runtime's providers are not vpc-ipam's: first " + first + " (module "
                    + module + "), SecureRandom from " + rng);
        }
        String finder = System.LoggerFinder.getLoggerFinder().getClass().getName();
        if (!finder.equals("io.vpcipam.cni.urandom.StderrLoggerFinder")) {
            throw new IllegalStateException("the runtime's LoggerFinder is " + finder + ", not vpc-ipam's");
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.configureBlocking(true);
        }
        System.out.println("providers ok: " + first + " first (module " + module + "), SUN present; logger finder "
                + finder);
    }

    static Properties load(InputStream in) throws IOException {
        Properties p = new Properties();
        p.load(in);
        return p;
    }

    /** The properties the runtime should have: {@code jdk}'s, with our provider first. */
    static Map<String, String> expected(Properties jdk) {
        Map<String, String> out = new TreeMap<>();
        for (String k : jdk.stringPropertyNames()) {
            String v = jdk.getProperty(k);
            Integer n = providerNumber(k);
            out.put(n == null ? k : PROVIDER + (n + 1), v);
        }
        if (out.containsKey(PROVIDER + "1")) {
            throw new IllegalStateException("provider numbering does not start at 1");
        }
        out.put(PROVIDER + "1", UrandomProvider.NAME);
        return out;
    }

    /** The file's text for {@code jdk}'s properties, verified by loading it back. */
    static String rewrite(Properties jdk) throws IOException {
        Map<String, String> want = expected(jdk);
        StringBuilder sb = new StringBuilder(
                "# The JDK's java.security without comments, vpc-ipam's start-up provider first (see RuntimeSecurity).\n");
        for (Map.Entry<String, String> e : want.entrySet()) {
            sb.append(escape(e.getKey(), true)).append('=').append(escape(e.getValue(), false)).append('\n');
        }
        String text = sb.toString();
        Properties back = new Properties();
        back.load(new StringReader(text));
        Map<String, String> got = new TreeMap<>();
        for (String k : back.stringPropertyNames()) {
            got.put(k, back.getProperty(k));
        }
        if (!got.equals(want)) {
            throw new IllegalStateException("the rewritten java.security does not load back to the same properties");
        }
        return text;
    }

    private static Integer providerNumber(String key) {
        if (!key.startsWith(PROVIDER)) {
            return null;
        }
        String n = key.substring(PROVIDER.length());
        return n.matches("[1-9][0-9]{0,3}") ? Integer.valueOf(n) : null;
    }

    /** Properties-file escaping: ASCII out, {@code \\uXXXX} beyond it; keys also escape separators. */
    static String escape(String s, boolean key) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\f' -> sb.append("\\f");
                case ' ' -> sb.append(key || i == 0 ? "\\ " : " ");
                case '=', ':', '#', '!' -> sb.append(key || i == 0 ? "\\" + c : String.valueOf(c));
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
