package io.vpcipam.ipamd.server;

import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.ErrorCode;
import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The Unix-socket front of ipamd: protocol v1, one JSON request per line, one reply per line, any number of pairs
 * per connection. One virtual thread per connection.
 *
 * <p>Defences, because the daemon must outlive any client: the socket file is mode 0600 (owned by the one allowed
 * non-root uid, if configured) and every connection's peer credentials are checked (root, or an allowed uid); a frame
 * that is not valid UTF-8, not valid JSON or not a valid request gets an error reply and the connection stays usable;
 * an oversized frame ({@link FrameReader#MAX_FRAME_BYTES}) or bad framing gets an error reply and the connection is
 * closed; a frame not completed within the frame
 * timeout (a client that sent half and stalled) has its connection closed, as has one that does not read its reply
 * within that time; connections beyond the limit wait to be accepted.
 */
public final class SocketServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SocketServer.class.getName());
    /** Connections served at once; more wait to be accepted (the shim opens one per CNI call). */
    private static final int MAX_CONNECTIONS = 1024;

    private final Path path;
    private final IpamService service;
    private final List<UserPrincipal> allowed = new ArrayList<>();
    private final Duration frameTimeout;
    private final Semaphore connections = new Semaphore(MAX_CONNECTIONS);
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "socket-watchdog");
        t.setDaemon(true);
        return t;
    });
    private ServerSocketChannel server;
    private Thread acceptor;
    private volatile boolean serving;

    /**
     * @param allowedUids  uids besides root that may connect
     * @param frameTimeout how long one frame may take to arrive before the connection is dropped
     */
    public SocketServer(Path path, Set<Integer> allowedUids, IpamService service, Duration frameTimeout)
            throws IOException {
        this.path = path;
        this.service = service;
        this.frameTimeout = frameTimeout;
        UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        allowed.add(lookup.lookupPrincipalByName("0"));
        for (int uid : allowedUids) {
            allowed.add(lookup.lookupPrincipalByName(Integer.toString(uid)));
        }
    }

    /**
     * Whether ipamd may bind {@code path}: its directory is (or can be made) a directory, and the path is free or
     * holds a stale socket. Nothing else there is ever removed: a regular file (IPAMD_SOCKET naming the wrong path
     * must not delete it), a symbolic link (bind cannot use one, and what it names is not ours), or a socket a live
     * ipamd serves. Changes nothing.
     *
     * @throws IOException saying, in one line without the path, why the path cannot be used
     */
    public static void checkPath(Path path) throws IOException {
        Path p = path.toAbsolutePath().getParent();
        while (p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            p = p.getParent();
        }
        if (p != null && !Files.isDirectory(p)) {
            throw new IOException(p + " is not a directory, so the socket's directory cannot be made there");
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isSymbolicLink(path)) {
            throw new IOException("is a symbolic link" + (Files.exists(path) ? "" : " to nothing")
                    + "; ipamd removes only a stale socket there: remove the link or name another path");
        }
        if (!isSocket(path)) {
            throw new IOException("is a " + (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) ? "directory"
                    : Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) ? "regular file" : "special file")
                    + ", not a socket; ipamd removes only a stale socket there: move it or name another path");
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            throw new IOException("another ipamd is already serving it");
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("another ipamd")) {
                throw e;
            }
            // nobody answers: the stale socket of a dead daemon, removed when we bind
        }
    }

    private static boolean isSocket(Path path) throws IOException {
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == 0140000; // S_IFSOCK
    }

    /** Binds the socket (refusing to steal it from a live daemon, or to remove what is not a socket) and accepts. */
    public void start() throws IOException {
        checkPath(path);
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(path); // checkPath found a stale socket of a dead daemon
        }
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path), 512);
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot bind it: " + e.getMessage(), e); // e.g. another ipamd bound it just now
        }
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        if (allowed.size() > 1) {
            Files.setOwner(path, allowed.get(1));
        }
        serving = true;
        acceptor = Thread.ofPlatform().daemon().name("socket-acceptor").start(this::acceptLoop);
    }

    /** Whether the socket is bound and accepting. */
    public boolean serving() {
        return serving;
    }

    /** The socket path. */
    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (serving) {
            SocketChannel ch;
            try {
                // backpressure, not refusal: past the limit, new clients wait in the kernel's backlog until a
                // connection ends (a stalled one ends at the frame timeout), instead of being reset
                connections.acquire();
            } catch (InterruptedException e) {
                return;
            }
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                connections.release();
                return;
            } catch (IOException e) {
                connections.release();
                LOG.log(Level.WARNING, "accept failed", e);
                try {
                    Thread.sleep(100); // e.g. out of file descriptors: do not spin while it lasts
                } catch (InterruptedException ie) {
                    return;
                }
                continue;
            }
            Thread.ofVirtual().name("conn").start(() -> {
                try {
                    serve(ch);
                } finally {
                    connections.release();
                    closeQuietly(ch);
                }
            });
        }
    }

    private void serve(SocketChannel ch) {
        FrameWriter writer = new FrameWriter(Channels.newOutputStream(ch));
        try {
            if (!authorised(ch)) {
                writer.write(Reply.error(ErrorCode.UNAUTHORIZED.wire(), "peer is not root or an allowed uid", false));
                return;
            }
            FrameReader reader = new FrameReader(Channels.newInputStream(ch), FrameReader.MAX_FRAME_BYTES);
            while (serving) {
                String frame;
                ScheduledFuture<?> timer = watchdog.schedule(() -> closeQuietly(ch), frameTimeout.toMillis(),
                        TimeUnit.MILLISECONDS);
                try {
                    frame = reader.readFrame();
                } catch (ProtocolException e) {
                    writer.write(e.toReply());
                    if (!reader.inStep()) {
                        return; // bad framing: answered; closed, since the stream is out of step
                    }
                    continue; // a frame that ended cleanly but was not UTF-8: the next one is readable
                } finally {
                    timer.cancel(false);
                }
                if (frame == null) {
                    return;
                }
                Reply reply;
                try {
                    Request request = Codec.decodeRequest(frame);
                    reply = service.handle(request);
                } catch (ProtocolException e) {
                    reply = e.toReply();
                }
                // a client that sends but never reads would block this thread on a full socket buffer for ever
                ScheduledFuture<?> writeTimer = watchdog.schedule(() -> closeQuietly(ch), frameTimeout.toMillis(),
                        TimeUnit.MILLISECONDS);
                try {
                    writer.write(reply);
                } finally {
                    writeTimer.cancel(false);
                }
            }
        } catch (IOException e) {
            // the client went away (or the watchdog closed a stalled one): nothing to answer
            LOG.fine(() -> "connection ended: " + e);
        }
    }

    private boolean authorised(SocketChannel ch) throws IOException {
        UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
        return allowed.contains(peer.user());
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }

    /** Stops accepting, closes the socket and removes its file. In-flight requests finish on their own threads. */
    @Override
    public void close() {
        serving = false;
        try {
            if (server != null) {
                server.close();
            }
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "closing " + path, e);
        }
        if (acceptor != null) {
            acceptor.interrupt(); // it may be waiting for a connection slot
            try {
                acceptor.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        watchdog.shutdownNow();
    }
}
