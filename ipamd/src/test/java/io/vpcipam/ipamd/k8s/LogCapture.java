package io.vpcipam.ipamd.k8s;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects what a logger (and its children) logs while open. */
final class LogCapture extends Handler implements AutoCloseable {

    private final Logger logger;
    private final Level before;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    private LogCapture(Logger logger) {
        this.logger = logger;
        this.before = logger.getLevel();
        setLevel(Level.ALL);
        logger.addHandler(this);
        if (before == null || before.intValue() > Level.INFO.intValue()) {
            logger.setLevel(Level.INFO);
        }
    }

    /** Captures {@code name}'s records ("" = every logger). */
    static LogCapture of(String name) {
        return new LogCapture(Logger.getLogger(name));
    }

    /** The messages at {@code level} or above, in order. */
    List<String> messages(Level level) {
        return records.stream().filter(r -> r.getLevel().intValue() >= level.intValue()).map(LogRecord::getMessage)
                .toList();
    }

    @Override
    public void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(before);
    }
}
