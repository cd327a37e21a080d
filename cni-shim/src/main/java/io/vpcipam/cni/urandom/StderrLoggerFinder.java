package io.vpcipam.cni.urandom;

import java.io.PrintStream;
import java.text.MessageFormat;
import java.util.ResourceBundle;

/**
 * The plugin runtime's {@link System.LoggerFinder}, linked into it with {@link UrandomProvider} (module
 * {@code io.vpcipam.urandom}): the JDK's own log lines at INFO and above go to stderr, as its default
 * console logger does without java.logging; DEBUG and TRACE are off.
 *
 * <p>Why: every {@code ProcessBuilder.start} asks the system logger whether to log the process start;
 * the first ask makes the JDK look for a LoggerFinder with ServiceLoader, which opens and scans every
 * jar of the class path (~7 ms of the first {@code ip} start, interpreted). One found among the boot
 * layer's services ends that search before the class path.
 */
public final class StderrLoggerFinder extends System.LoggerFinder {

    /** Public no-argument constructor: ServiceLoader creates it. */
    public StderrLoggerFinder() {
    }

    @Override
    public System.Logger getLogger(String name, Module module) {
        return new StderrLogger(name, System.err);
    }

    /** A logger that prints INFO and above, one line each. */
    static final class StderrLogger implements System.Logger {
        private final String name;
        private final PrintStream out;

        StderrLogger(String name, PrintStream out) {
            this.name = name;
            this.out = out;
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isLoggable(Level level) {
            return level != Level.OFF && level.getSeverity() >= Level.INFO.getSeverity();
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            if (isLoggable(level)) {
                out.println(name + " " + level.getName() + ": " + msg + (thrown == null ? "" : " " + thrown));
            }
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            if (isLoggable(level)) {
                String msg = params == null || params.length == 0 ? format : MessageFormat.format(format, params);
                out.println(name + " " + level.getName() + ": " + msg);
            }
        }
    }
}
