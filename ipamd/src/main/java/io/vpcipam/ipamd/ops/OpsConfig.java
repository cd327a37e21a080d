package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.config.ConfigException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The operations side of the configuration: where metrics and introspection listen, and how the daemon logs. Kept
 * apart from {@link io.vpcipam.ipamd.config.Config} so the pool engine's record does not grow with every operational
 * knob; read at the same moment and its problems reported together with Config's.
 *
 * @param metrics        IPAMD_METRICS_ADDRESS: host:port of {@code /metrics}, or null when {@code off}
 * @param introspection  IPAMD_INTROSPECTION_ADDRESS: host:port of health and {@code /v1/*}, or null when {@code off}
 * @param logFormat      IPAMD_LOG_FORMAT: plain or json
 * @param logLevel       IPAMD_LOG_LEVEL: debug, info, warn or error
 */
public record OpsConfig(Endpoint metrics, Endpoint introspection, LogFormat logFormat, LogLevel logLevel) {

    /** Default metrics address (DESIGN.md stable entry point): every interface, so Prometheus can scrape the node. */
    public static final String DEFAULT_METRICS = "0.0.0.0:61678";
    /** Default introspection address (DESIGN.md stable entry point): loopback only, it shows pod names and leases. */
    public static final String DEFAULT_INTROSPECTION = "127.0.0.1:61679";

    /** How log lines are written. */
    public enum LogFormat { PLAIN, JSON }

    /** Log levels by the names operators use, mapped onto java.util.logging. */
    public enum LogLevel {
        /** ipamd's own debug lines, each request's outcome included (libraries stay at INFO). */
        DEBUG(java.util.logging.Level.FINE),
        /** Decisions, start-up and shutdown. */
        INFO(java.util.logging.Level.INFO),
        /** Only what needs a look. */
        WARN(java.util.logging.Level.WARNING),
        /** Only failures. */
        ERROR(java.util.logging.Level.SEVERE);

        private final java.util.logging.Level julLevel;

        LogLevel(java.util.logging.Level julLevel) {
            this.julLevel = julLevel;
        }

        /** The java.util.logging level it stands for. */
        public java.util.logging.Level julLevel() {
            return julLevel;
        }
    }

    /** A listening address. */
    public record Endpoint(String host, int port) {
        public Endpoint {
            if (host == null || host.isBlank() || port < 0 || port > 65535) {
                throw new IllegalArgumentException("bad endpoint " + host + ":" + port);
            }
        }

        /** Parses {@code host:port}, {@code [v6]:port} or {@code :port} (every interface). */
        public static Endpoint parse(String text) {
            String t = text.trim();
            int colon = t.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("no port");
            }
            String host = t.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.contains(":")) {
                throw new IllegalArgumentException("IPv6 hosts need brackets");
            }
            String port = t.substring(colon + 1);
            if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("bad port");
            }
            return new Endpoint(host.isEmpty() ? "0.0.0.0" : host, Integer.parseInt(port));
        }

        /** host:port, with brackets around an IPv6 host. */
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** Reads and validates; throws with every problem found, each naming its variable and value. */
    public static OpsConfig fromEnv(Map<String, String> env) throws ConfigException {
        List<String> problems = new ArrayList<>();
        Endpoint metrics = endpoint(env, "IPAMD_METRICS_ADDRESS", DEFAULT_METRICS, problems);
        Endpoint introspection = endpoint(env, "IPAMD_INTROSPECTION_ADDRESS", DEFAULT_INTROSPECTION, problems);
        LogFormat format = LogFormat.PLAIN;
        String f = value(env, "IPAMD_LOG_FORMAT", "plain");
        switch (f.toLowerCase(Locale.ROOT)) {
            case "plain", "text" -> format = LogFormat.PLAIN;
            case "json" -> format = LogFormat.JSON;
            default -> problems.add("IPAMD_LOG_FORMAT='" + f + "': must be plain or json");
        }
        LogLevel level = LogLevel.INFO;
        String l = value(env, "IPAMD_LOG_LEVEL", "info");
        switch (l.toLowerCase(Locale.ROOT)) {
            case "debug" -> level = LogLevel.DEBUG;
            case "info" -> level = LogLevel.INFO;
            case "warn", "warning" -> level = LogLevel.WARN;
            case "error" -> level = LogLevel.ERROR;
            default -> problems.add("IPAMD_LOG_LEVEL='" + l + "': must be debug, info, warn or error");
        }
        if (metrics != null && introspection != null && metrics.port() != 0 && metrics.port() == introspection.port()) {
            problems.add("IPAMD_INTROSPECTION_ADDRESS='" + introspection + "': uses the same port as"
                    + " IPAMD_METRICS_ADDRESS");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return new OpsConfig(metrics, introspection, format, level);
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static Endpoint endpoint(Map<String, String> env, String name, String fallback, List<String> problems) {
        String v = value(env, name, fallback);
        if (v.equalsIgnoreCase("off")) {
            return null;
        }
        try {
            return Endpoint.parse(v);
        } catch (IllegalArgumentException e) {
            problems.add(name + "='" + v + "': must be host:port (e.g. " + fallback + "), :port, or off");
            return null;
        }
    }
}
