package io.vpcipam.cni;

import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.ErrorCode;
import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.Op;
import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A protocol v1 ipamd on a Unix socket whose answers are scripted: the one fake ipamd of the plugin's AOT training,
 * the plugin's tests and the end-to-end tests ({@code it}). It is main code because the training ships in the
 * plugin's dist: build-dist.sh runs {@link #main} in a JVM of its own, so none of its classes join the plugin's AOT
 * cache; {@link AotTraining}'s one-argument form (install.sh, the image build) runs it on a thread instead.
 *
 * <p>By default it answers as ipamd does, per key (network, containerId, ifName): ADD leases (a known key gets its
 * lease again), CHECK answers the key's lease or NOT_FOUND, DEL forgets the key (an unknown key succeeds too), GC
 * releases nothing, STATUS succeeds, and a frame that is not a request gets the protocol error ipamd would send. A
 * test can replace the answer to an op ({@link #answer}) or make it fail on the wire ({@link #fault}), stop
 * listening ({@link #stop}) and start again, and read every request that arrived ({@link #requests}). One request
 * per connection, each served on a thread of its own, so a request held without a reply never stops the next one.
 * Platform threads, as the plugin's own: the training's in-process form must not pull the virtual-thread machinery
 * into the cache.
 */
public final class ScriptedIpamd implements AutoCloseable {

    /** What {@link #main} leases (the AOT training's): the documentation range, on a secondary interface. */
    public static final LeaseInfo TRAINING_LEASE = new LeaseInfo("198.51.100.5", 32, "eni-0train",
            "02:00:00:00:00:01", 1, 2, "198.51.100.1", List.of("198.51.100.0/24"), 1500);

    /** How an op's request is mishandled on the wire (see {@link #fault}). */
    public enum Fault {
        /** The request is acted on (an ADD's lease is made); the reply is a frame that is not JSON. */
        GARBLE,
        /**
         * The request is acted on; no reply comes, and the connection stays open until the client closes it (as
         * ipamd waiting for the cloud on an empty pool, slower than the plugin's deadline).
         */
        NO_REPLY,
        /** The request is read and recorded, not acted on; the connection is closed without a reply. */
        CLOSE,
        /** The request is acted on; the reply waits until {@link #release()} (at once after it). */
        HOLD
    }

    private final Path socket;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, LeaseInfo> leased = new ConcurrentHashMap<>();
    private final Map<Op, Reply> answers = new ConcurrentHashMap<>();
    private final Map<Op, Fault> faults = new ConcurrentHashMap<>();
    private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger made = new AtomicInteger();
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile IntFunction<LeaseInfo> leases;
    private ServerSocketChannel server;
    private Thread acceptor;

    /**
     * Listens on {@code socket} (its directory is made, a stale socket file replaced); the n-th new lease (from 0)
     * is {@code leases.apply(n)}.
     */
    public ScriptedIpamd(Path socket, IntFunction<LeaseInfo> leases) throws IOException {
        this.socket = socket;
        this.leases = leases;
        start();
    }

    /** {@code ScriptedIpamd SOCKET}: the AOT training's ipamd ({@link #TRAINING_LEASE} for every key) until killed. */
    public static void main(String[] args) throws IOException, InterruptedException {
        ScriptedIpamd ipamd = new ScriptedIpamd(Path.of(args[0]), n -> TRAINING_LEASE);
        ipamd.acceptor().join();
    }

    /** The socket it listens on. */
    public Path socket() {
        return socket;
    }

    /** Every request that arrived and decoded, in arrival order (a live, read-only view). */
    public List<Request> requests() {
        return Collections.unmodifiableList(requests);
    }

    /** Waits until at least {@code n} requests arrived; the requests, or fewer when {@code timeout} passed first. */
    public List<Request> awaitRequests(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (requests.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return List.copyOf(requests);
    }

    /** The leases it holds by {@link #key} (live: a test may add, change or drop one). */
    public Map<String, LeaseInfo> leased() {
        return leased;
    }

    /** The lease key of a request: network/containerId/ifName. */
    public static String key(Request r) {
        return r.network() + "/" + r.containerId() + "/" + r.ifName();
    }

    /** From now on the n-th new lease (counted from the first) is {@code leases.apply(n)}. */
    public ScriptedIpamd leaseWith(IntFunction<LeaseInfo> leases) {
        this.leases = leases;
        return this;
    }

    /** From now on every request of {@code ops} gets {@code reply} without being acted on; null: the default again. */
    public ScriptedIpamd answer(Reply reply, Op... ops) {
        return script(answers, reply, ops);
    }

    /** From now on every request of {@code ops} meets {@code fault}; null: answered normally again. */
    public ScriptedIpamd fault(Fault fault, Op... ops) {
        return script(faults, fault, ops);
    }

    private <V> ScriptedIpamd script(Map<Op, V> script, V value, Op... ops) {
        for (Op op : ops) {
            if (value == null) {
                script.remove(op);
            } else {
                script.put(op, value);
            }
        }
        return this;
    }

    /** Lets every reply held by {@link Fault#HOLD} go, and every later one at once. */
    public void release() {
        released.countDown();
    }

    /** Stops listening and removes the socket file: a client now finds nobody (as with ipamd down). */
    public synchronized void stop() throws IOException {
        if (server == null) {
            return;
        }
        server.close();
        try {
            acceptor.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server = null;
        Files.deleteIfExists(socket);
    }

    /** Listens again after {@link #stop()} (a no-op while listening). */
    public synchronized void start() throws IOException {
        if (server != null) {
            return;
        }
        if (socket.getParent() != null) {
            Files.createDirectories(socket.getParent());
        }
        Files.deleteIfExists(socket);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            s.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            s.close();
            throw e;
        }
        server = s;
        acceptor = thread(() -> accept(s), "scripted-ipamd");
    }

    private synchronized Thread acceptor() {
        return acceptor;
    }

    /** Stops listening, drops every open connection (a held or unanswered one too) and removes the socket file. */
    @Override
    public void close() throws IOException {
        stop();
        for (SocketChannel ch : open) {
            closeQuietly(ch);
        }
        released.countDown(); // a held call's thread then finds its connection closed and ends
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void accept(ServerSocketChannel s) {
        while (s.isOpen()) {
            SocketChannel ch;
            try {
                ch = s.accept();
            } catch (IOException e) {
                continue; // closed (the loop ends), or a connection that failed before we took it
            }
            open.add(ch);
            thread(() -> serve(ch), "scripted-ipamd-call");
        }
    }

    private void serve(SocketChannel ch) {
        try (ch) {
            InputStream in = Channels.newInputStream(ch);
            FrameWriter out = new FrameWriter(Channels.newOutputStream(ch));
            String frame = new FrameReader(in).readFrame();
            if (frame == null) {
                return;
            }
            Request r;
            try {
                r = Codec.decodeRequest(frame);
            } catch (ProtocolException e) {
                out.write(e.toReply());
                return;
            }
            requests.add(r);
            Fault fault = faults.get(r.op());
            if (fault == Fault.CLOSE) {
                return;
            }
            Reply reply = answer(r);
            if (fault == null) {
                out.write(reply);
            } else if (fault == Fault.GARBLE) {
                out.writeFrame("{\"ok\":tru");
            } else if (fault == Fault.HOLD) {
                released.await();
                out.write(reply);
            } else {
                while (in.read() >= 0) {
                    // NO_REPLY: the client gives up and closes (or close() does)
                }
            }
        } catch (IOException e) {
            // a client that went away mid-call, or close(): the next connection is served all the same
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(ch);
        }
    }

    private Reply answer(Request r) {
        Reply scripted = answers.get(r.op());
        if (scripted != null) {
            return scripted;
        }
        String key = key(r);
        return switch (r.op()) {
            case ADD -> Reply.ok(leased.computeIfAbsent(key, k -> leases.apply(made.getAndIncrement())));
            case CHECK -> {
                LeaseInfo lease = leased.get(key);
                yield lease != null ? Reply.ok(lease) : Reply.error(ErrorCode.NOT_FOUND.wire(), "no lease for " + key,
                        false);
            }
            case DEL -> {
                leased.remove(key);
                yield Reply.success();
            }
            case GC -> Reply.released(0);
            case STATUS -> Reply.success();
        };
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closing a connection of a fake that is going away: nothing to report
        }
    }
}
