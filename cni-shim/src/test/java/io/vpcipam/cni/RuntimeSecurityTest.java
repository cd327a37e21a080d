package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vpcipam.cni.urandom.UrandomProvider;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RuntimeSecurityTest {

    private static Properties jdkSecurity() throws Exception {
        Path f = Path.of(System.getProperty("java.home"), "conf", "security", "java.security");
        try (InputStream in = Files.newInputStream(f)) {
            return RuntimeSecurity.load(in);
        }
    }

    @Test
    void rewrite_ofTheJdksFile_keepsEveryProperty_movesEachProviderDownOne_andPutsOursFirst() throws Exception {
        Properties jdk = jdkSecurity();
        String text = RuntimeSecurity.rewrite(jdk);
        Properties back = new Properties();
        back.load(new StringReader(text));

        assertEquals(UrandomProvider.NAME, back.getProperty("security.provider.1"));
        assertEquals(jdk.getProperty("security.provider.1"), back.getProperty("security.provider.2"));
        for (String k : jdk.stringPropertyNames()) {
            if (!k.startsWith("security.provider.")) {
                assertEquals(jdk.getProperty(k), back.getProperty(k), k);
            }
        }
        assertEquals(jdk.size() + 1, back.size());
        assertTrue(text.length() * 5 < Files.size(Path.of(System.getProperty("java.home"), "conf", "security",
                "java.security")), "the comments are gone: " + text.length() + " chars");
    }

    @Test
    void rewrite_valuesThatNeedEscaping_loadBackUnchanged() throws Exception {
        Properties p = new Properties();
        p.setProperty("security.provider.1", "SUN");
        p.setProperty("a key:with=separators#", " leading space, \\ backslash, tab\t, newline\n, é and \u2603");
        p.setProperty("x", "=starts with a separator");
        p.setProperty("y", "#!not a comment");
        p.setProperty("empty", "");
        Map<String, String> want = RuntimeSecurity.expected(p);
        Properties back = new Properties();
        back.load(new StringReader(RuntimeSecurity.rewrite(p)));
        assertEquals(want.size(), back.size());
        want.forEach((k, v) -> assertEquals(v, back.getProperty(k), k));
    }

    @Test
    void urandomProvider_givesNativePrngNonBlocking_withFreshBytesEachTime() throws Exception {
        SecureRandom r = SecureRandom.getInstance("NativePRNGNonBlocking", new UrandomProvider());
        assertEquals(UrandomProvider.NAME, r.getProvider().getName());
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        r.nextBytes(a);
        r.nextBytes(b);
        assertFalse(java.util.Arrays.equals(a, b));
        assertFalse(java.util.Arrays.equals(a, new byte[32]));
        r.setSeed(42); // ignored, never an error: the JDK's socket code may seed it
        assertEquals(16, r.generateSeed(16).length);
        // what UnixDomainSockets draws from it: a non-negative int for a temp name
        assertTrue(((Random) r).nextInt(Integer.MAX_VALUE) >= 0);
        assertArrayEquals(new byte[0], r.generateSeed(0));
    }
}
