package io.vpcipam.cni;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
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
        lines.append(iso(clock.instant())).append(' ').append(prefix).append(message).append('\n');
    }

    /**
     * {@code 2026-01-02T03:04:05.123456Z}, UTC with microseconds. By hand: {@link Instant#toString()}
     * initialises java.time's formatter machinery, a measurable part of a plugin process's life.
     */
    static String iso(Instant t) {
        long days = Math.floorDiv(t.getEpochSecond(), 86_400);
        long secs = Math.floorMod(t.getEpochSecond(), 86_400);
        // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm, proleptic Gregorian).
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long doe = z - era * 146_097;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long day = doy - (153 * mp + 2) / 5 + 1;
        long month = mp < 10 ? mp + 3 : mp - 9;
        long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
        StringBuilder b = new StringBuilder(27);
        b.append(year).append('-');
        two(b, month).append('-');
        two(b, day).append('T');
        two(b, secs / 3600).append(':');
        two(b, secs / 60 % 60).append(':');
        two(b, secs % 60).append('.');
        String micros = Integer.toString(t.getNano() / 1000);
        b.append("000000", micros.length(), 6).append(micros).append('Z');
        return b.toString();
    }

    private static StringBuilder two(StringBuilder b, long v) {
        return b.append(v < 10 ? "0" : "").append(v);
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
                text = text + iso(clock.instant()) + " cannot write log file " + file + ": " + e.getMessage() + "\n";
            }
        }
        stderr.print(text);
        stderr.flush();
    }
}
