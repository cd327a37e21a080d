package io.vpcipam.cni;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;

/**
 * The plugin's log: lines gathered in memory and appended to the log file in one write at exit
 * (one open per pod start, lines of concurrent plugins never interleave mid-line), or written to
 * stderr when no file is set or it cannot be written. Never stdout: stdout carries the result.
 */
final class PluginLog {

    private final InstantSource clock;
    private final PrintStream stderr;
    private final StringBuilder lines = new StringBuilder(512);
    private String prefix = "";
    private final boolean followConfig;
    private String file;

    /** A log that writes where the network config's {@code logFile} says. */
    PluginLog(InstantSource clock, PrintStream stderr) {
        this(clock, stderr, true);
    }

    private PluginLog(InstantSource clock, PrintStream stderr, boolean followConfig) {
        this.clock = clock;
        this.stderr = stderr;
        this.followConfig = followConfig;
    }

    /** A log that always writes to {@code stream}, whatever the config says (tests, AOT training). */
    static PluginLog to(InstantSource clock, PrintStream stream) {
        return new PluginLog(clock, stream, false);
    }

    /** Where to write at {@link #flush()}; null or "" for stderr. */
    void file(String file) {
        if (followConfig) {
            this.file = file;
        }
    }

    /** What each line starts with after the time: the command and the key. */
    void context(String context) {
        this.prefix = context;
    }

    void info(String message) {
        lines.append(clock.instant()).append(' ').append(prefix).append(message).append('\n');
    }

    /** Writes what was logged; never throws. */
    void flush() {
        if (lines.isEmpty()) {
            return;
        }
        String text = lines.toString();
        lines.setLength(0);
        if (file != null && !file.isEmpty()) {
            try {
                Path p = Path.of(file);
                Path parent = p.getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
                Files.writeString(p, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
                return;
            } catch (IOException | RuntimeException e) {
                text = text + clock.instant() + " cannot write log file " + file + ": " + e.getMessage() + "\n";
            }
        }
        stderr.print(text);
        stderr.flush();
    }
}
