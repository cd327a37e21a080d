package io.vpcipam.ipamd.ops;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;

/**
 * The daemon's recent log lines, kept in memory for {@code /v1/logs} and {@code ipamd support-bundle}: the logs go to
 * stderr (the container runtime keeps them, the daemon cannot read them back), so a bounded ring of the same
 * lines, formatted and redacted as they were printed, is what a bundle can take from a running ipamd. Bounded by
 * lines and by characters, whichever is reached first; the oldest lines go first and are counted.
 */
public final class RecentLogs extends Handler {

    /** Lines kept at most. */
    public static final int MAX_LINES = 5000;
    /** Characters kept at most (about 2 MiB of UTF-16). */
    public static final int MAX_CHARS = 1 << 20;

    private static final RecentLogs SHARED = new RecentLogs(MAX_LINES, MAX_CHARS);

    private final int maxLines;
    private final int maxChars;
    private final ArrayDeque<String> lines = new ArrayDeque<>();
    private long chars;
    private long dropped;

    RecentLogs(int maxLines, int maxChars) {
        this.maxLines = maxLines;
        this.maxChars = maxChars;
    }

    /** The ring {@link LogSetup#configure} feeds and {@code /v1/logs} serves. */
    public static RecentLogs shared() {
        return SHARED;
    }

    /** What is kept: the lines, oldest first, and how many older lines were dropped to stay in bounds. */
    public record Contents(List<String> lines, long dropped) {
    }

    @Override
    public void publish(LogRecord record) {
        if (!isLoggable(record) || getFormatter() == null) {
            return;
        }
        String text = getFormatter().format(record); // the formatter redacts (LogSetup)
        if (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.length() > maxChars) {
            text = text.substring(0, maxChars);
        }
        synchronized (this) {
            lines.addLast(text);
            chars += text.length();
            while (lines.size() > maxLines || chars > maxChars) {
                chars -= lines.removeFirst().length();
                dropped++;
            }
        }
    }

    /** A copy of what is kept. */
    public synchronized Contents contents() {
        return new Contents(new ArrayList<>(lines), dropped);
    }

    @Override
    public void flush() {
        // in memory: nothing to flush
    }

    @Override
    public synchronized void close() {
        lines.clear();
        chars = 0;
    }
}
