package io.vpcipam.ipamd.ops;

import com.fasterxml.jackson.jr.ob.JSON;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * Logging for the daemon: java.util.logging to stderr (stdout stays free for command output), one line per record,
 * plain or JSON, and every line passed through {@link Redaction#text} last, so no formatter, exception message or future
 * log call can print a cloud credential: the AWS CNI's users have found keys in support bundles; we would rather
 * lose a little text than leak one.
 */
public final class LogSetup {

    private LogSetup() {
    }

    /** ipamd's own loggers: the only ones IPAMD_LOG_LEVEL=debug opens up. */
    static final Logger OURS = Logger.getLogger("io.vpcipam");

    /**
     * Sends the root logger's records to {@code out}, in {@code format}, redacted. {@code level} applies to ipamd's
     * own loggers; the libraries' (the JDK's TLS and HTTP client, fabric8, the cloud SDKs) never go below INFO
     * through it: at debug they dump trust stores and every header, burying ipamd's own lines. An operator who
     * wants a library's debug asks for it by name in a java.util.logging config file (JAVA_OPTS
     * -Djava.util.logging.config.file=..., e.g. {@code io.fabric8.level = FINE}), which this leaves alone.
     */
    public static void configure(OpsConfig.LogFormat format, OpsConfig.LogLevel level, OutputStream out) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Handler handler = new StreamHandler(out, format == OpsConfig.LogFormat.JSON ? new JsonFormatter() : new PlainFormatter()) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush(); // a crash must not eat the lines that explain it
            }
        };
        handler.setLevel(level.julLevel());
        RecentLogs recent = RecentLogs.shared(); // the same lines, for /v1/logs and the support bundle
        recent.setFormatter(format == OpsConfig.LogFormat.JSON ? new JsonFormatter() : new PlainFormatter());
        recent.setLevel(level.julLevel());
        Level libraries = level.julLevel().intValue() < Level.INFO.intValue() ? Level.INFO : level.julLevel();
        root.setLevel(libraries);
        OURS.setLevel(level.julLevel());
        root.addHandler(handler);
        root.addHandler(recent);
    }

    private static String shortLevel(Level l) {
        if (l.intValue() >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (l.intValue() >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (l.intValue() >= Level.INFO.intValue()) {
            return "INFO";
        }
        return "DEBUG";
    }

    private static String loggerName(LogRecord r) {
        String n = r.getLoggerName() == null ? "" : r.getLoggerName();
        return n.substring(n.lastIndexOf('.') + 1);
    }

    private static String stackTrace(Throwable t) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** {@code 2025-01-31T12:00:00.123Z INFO  Daemon: message}, then the stack trace if any. */
    static final class PlainFormatter extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder b = new StringBuilder(128);
            b.append(r.getInstant()).append(' ').append(String.format("%-5s", shortLevel(r.getLevel()))).append(' ')
                    .append(loggerName(r)).append(": ").append(formatMessage(r)).append('\n');
            if (r.getThrown() != null) {
                b.append(stackTrace(r.getThrown()));
            }
            return Redaction.text(b.toString());
        }
    }

    /** One JSON object per line: ts, level, logger, thread, msg, and error (the stack trace) when there is one. */
    static final class JsonFormatter extends Formatter {
        @Override
        public String format(LogRecord r) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ts", r.getInstant().toString());
            m.put("level", shortLevel(r.getLevel()));
            m.put("logger", r.getLoggerName());
            m.put("thread", Thread.currentThread().getName());
            m.put("msg", Redaction.text(formatMessage(r)));
            if (r.getThrown() != null) {
                m.put("error", Redaction.text(stackTrace(r.getThrown())));
            }
            try {
                return JSON.std.asString(m) + "\n";
            } catch (IOException e) {
                return "{\"level\":\"ERROR\",\"msg\":\"unloggable record\"}\n";
            }
        }
    }
}
