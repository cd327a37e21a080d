package io.vpcipam.ipamd.config;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * What this ipamd was built from: the Maven project version (filtered into {@code build.properties}) and the
 * commit ({@code git describe} at build time, {@code build-commit}). Both are resources, not manifest entries,
 * so the unit tests (run from classes) see the same values as {@code java -jar}. "dev" / "unknown" only when the
 * build did not write them (an IDE compiling the sources alone).
 */
public record BuildInfo(String version, String commit) {

    private static final BuildInfo CURRENT = read();

    /** This build's. */
    public static BuildInfo current() {
        return CURRENT;
    }

    /** {@code 0.1.0-SNAPSHOT (d605f35)}. */
    public String describe() {
        return version + " (" + commit + ")";
    }

    private static BuildInfo read() {
        String version = "dev";
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "").trim();
                if (!v.isEmpty() && !v.startsWith("${")) {
                    version = v;
                }
            }
        } catch (IOException e) {
            // the defaults say the build did not record it
        }
        String commit = "unknown";
        try (InputStream in = BuildInfo.class.getResourceAsStream("build-commit")) {
            if (in != null) {
                String c = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
                if (!c.isEmpty()) {
                    commit = c;
                }
            }
        } catch (IOException e) {
            // as above
        }
        return new BuildInfo(version, commit);
    }

    /** {@code ipamd --version}. */
    public static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"vpc-ipam ipamd " + CURRENT.describe(), "java " + Runtime.version()};
        }
    }
}
