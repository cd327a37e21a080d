package io.vpcipam.cni.netns;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The host-wide advisory lock every plugin process takes around its host-side read-and-change
 * steps (ADD's host batch, DEL's ownership check and deletion, GC's rule sweep). The policy rules
 * are matched by address and priority only, so a DEL that read "this address is not routed
 * elsewhere" must delete before another pod's ADD can install the address's route and rules.
 *
 * <p>A POSIX record lock ({@link FileChannel#lock()}) on one file: the kernel drops it when the
 * process dies, so a killed plugin never wedges the node. Such locks belong to the process, and a
 * second lock from the same JVM throws instead of waiting, so threads of one JVM (tests) are first
 * serialised by a process-wide lock.
 */
public final class HostLock {

    private static final ReentrantLock IN_PROCESS = new ReentrantLock();

    private final Path file;

    /** A lock on {@code file}; its parent directory is created on first use. */
    public HostLock(Path file) {
        this.file = Objects.requireNonNull(file, "file");
    }

    /** The lock file. */
    public Path file() {
        return file;
    }

    /**
     * Fails now if the lock could not be taken for want of its file (a parent that is a file, a
     * read-only file system): ADD calls it before it asks ipamd for an address. Creates the parent
     * directory as {@link #acquire} does.
     */
    public void probe() throws WiringException {
        try {
            Path dir = file.getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE).close();
        } catch (IOException | RuntimeException e) {
            throw new WiringException("cannot open the host lock " + file + " (lockFile): " + e);
        }
    }

    /** Blocks until this process holds the lock; close the result to release it. */
    public Held acquire() throws WiringException {
        IN_PROCESS.lock();
        FileChannel ch = null;
        try {
            Path dir = file.getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l = ch.lock();
            return new Held(ch, l);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing releases whatever was taken; the acquire error is what matters
                }
            }
            IN_PROCESS.unlock();
            throw new WiringException("cannot take the host lock " + file + " (lockFile): " + e);
        }
    }

    /** A held lock; {@link #close()} releases it. */
    public static final class Held implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;
        private boolean closed;

        private Held(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        /** Releases the lock (closing the file releases it even if the release call fails). */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                lock.release();
            } catch (IOException e) {
                // the close below releases it
            }
            try {
                channel.close();
            } catch (IOException e) {
                // the process exits within milliseconds, and that releases it too
            } finally {
                IN_PROCESS.unlock();
            }
        }
    }
}
