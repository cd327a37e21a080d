package io.vpcipam.ipamd.server;

import io.vpcipam.ipamd.lease.Checkpoint;
import io.vpcipam.ipamd.lease.GroupCommit;
import io.vpcipam.ipamd.pool.AddressPool;
import io.vpcipam.ipamd.pool.Reconciler;
import io.vpcipam.ipamd.pool.Targets;
import io.vpcipam.protocol.Attachment;
import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.provider.sim.SimulatedCloud;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SocketServerTest {

    /**
     * The test server's frame timeout: long enough that a loaded machine (load 20+ on 2 cores) never trips it in a
     * plain request/reply, short enough that the stall tests see it fire; their checks wait for the close itself
     * rather than guessing how long the server takes to get there.
     */
    static final Duration FRAME_TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    Path dir;
    Path socket;
    SimulatedCloud cloud;
    AddressPool pool;
    Reconciler reconciler;
    GroupCommit commit;
    SocketServer server;

    @BeforeEach
    void start() throws Exception {
        socket = dir.resolve("run/ipamd.sock");
        cloud = SimulatedCloud.builder().instanceType("m5.large").build();
        pool = new AddressPool(InstantSource.system(), Duration.ZERO,
                source -> commit = new GroupCommit(new Checkpoint(dir.resolve("checkpoint.json")), source),
                () -> reconciler.wake(), r -> { });
        reconciler = new Reconciler(cloud, pool, new Reconciler.Settings(new Targets(3, 0, 0, 0, false, 0),
                Duration.ofMinutes(1), Duration.ofMillis(200), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ZERO,
                Duration.ofMinutes(5), null, List.of(), "", Map.of()), InstantSource.system());
        pool.restore(cloud.describeNode(), io.vpcipam.ipamd.lease.CheckpointState.empty());
        reconciler.pass();
        reconciler.start();
        server = new SocketServer(socket, Set.of(), new IpamService(pool, "sim", false, Duration.ofSeconds(5), 9001),
                FRAME_TIMEOUT);
        server.start();
    }

    @AfterEach
    void stop() {
        server.close();
        reconciler.close();
        commit.close();
    }

    Reply call(Request r) throws IOException {
        try (SocketChannel ch = connect()) {
            new FrameWriter(Channels.newOutputStream(ch)).write(r);
            return new FrameReader(Channels.newInputStream(ch), FrameReader.MAX_REPLY_FRAME_BYTES).readReply();
        }
    }

    SocketChannel connect() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return ch;
    }

    static Request add(String id) {
        return Request.add("vpc-ipam", id, "eth0", "/proc/1/ns/net", "default", "pod-" + id);
    }

    @Test
    void add_overTheSocket_returnsAVpcAddressAndTheSameOneAgain() throws Exception {
        Reply first = call(add("a"));
        assertTrue(first.ok(), String.valueOf(first.error()));
        assertTrue(first.lease().address().startsWith("10.0."), first.lease().address());
        assertEquals(9001, first.lease().mtu());
        assertEquals(first.lease(), call(add("a")).lease());
        assertNotEquals(first.lease().address(), call(add("b")).lease().address());
    }

    @Test
    void delCheckGcStatus_behaveAsDocumented() throws Exception {
        call(add("a"));
        call(add("b"));
        assertTrue(call(Request.check("vpc-ipam", "a", "eth0")).ok());
        assertTrue(call(Request.del("vpc-ipam", "a", "eth0")).ok());
        assertTrue(call(Request.del("vpc-ipam", "a", "eth0")).ok(), "DEL is idempotent");
        assertEquals("NOT_FOUND", call(Request.check("vpc-ipam", "a", "eth0")).error().code());
        Reply gc = call(Request.gc("vpc-ipam", List.of(new Attachment("vpc-ipam", "zzz", "eth0"))));
        assertEquals(1, gc.released(), "b was not in the live list");
        Reply status = call(Request.status());
        assertEquals(0, status.status().pool().assigned());
        assertEquals("sim", status.status().provider());
    }

    @Test
    void socketFile_isOwnerOnly() throws Exception {
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    }

    @Test
    void secondServer_onALiveSocket_isRefused() throws Exception {
        SocketServer second = new SocketServer(socket, Set.of(), new IpamService(pool, "sim", false, Duration.ZERO, 0),
                Duration.ofSeconds(1));
        IOException e = assertThrows(IOException.class, second::start);
        assertTrue(e.getMessage().contains("another ipamd"), e.getMessage());
        assertTrue(call(Request.status()).ok(), "the first keeps serving");
    }

    @Test
    void garbageFrame_getsAnErrorReplyAndTheConnectionStaysUsable() throws Exception {
        try (SocketChannel ch = connect()) {
            OutputStream out = Channels.newOutputStream(ch);
            FrameReader in = new FrameReader(Channels.newInputStream(ch), FrameReader.MAX_REPLY_FRAME_BYTES);
            for (String garbage : List.of("hello", "{\"version\":2,\"op\":\"add\"}", "{\"version\":1,\"op\":\"fly\"}",
                    "{\"version\":1,\"op\":\"add\"}", "[1,2]", "\u0000\u0001",
                    "{\"version\":1,\"op\":\"add\",\"network\":\"n\",\"containerId\":\"sur\\ud800x\",\"ifName\":\"eth0\","
                            + "\"netns\":\"/x\"}")) {
                out.write((garbage + "\n").getBytes(StandardCharsets.UTF_8));
                Reply r = in.readReply();
                assertFalse(r.ok(), garbage);
                assertTrue(Set.of("BAD_REQUEST", "UNSUPPORTED_VERSION").contains(r.error().code()), r.error().toString());
            }
            out.write((Codec.encode(add("after-garbage")) + "\n").getBytes(StandardCharsets.UTF_8));
            assertTrue(in.readReply().ok());
        }
    }

    @Test
    void badUtf8Frame_getsBadRequestAndTheConnectionStaysUsable() throws Exception {
        try (SocketChannel ch = connect()) {
            OutputStream out = Channels.newOutputStream(ch);
            FrameReader in = new FrameReader(Channels.newInputStream(ch), FrameReader.MAX_REPLY_FRAME_BYTES);
            out.write(new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}', '\n'}); // ended cleanly at its newline
            Reply r = in.readReply();
            assertEquals("BAD_REQUEST", r.error().code());
            assertTrue(r.error().message().contains("UTF-8"), r.error().message());
            out.write((Codec.encode(add("after-bad-utf8")) + "\n").getBytes(StandardCharsets.UTF_8));
            Reply next = in.readReply();
            assertTrue(next != null && next.ok(), "the connection was closed after a frame that ended cleanly");
        }
    }

    @Test
    void oversizedFrame_getsFrameTooLargeAndIsClosed() throws Exception {
        // 1 MiB takes a while on a loaded machine: this server's frame timeout must not be what ends the frame
        Path bigSocket = dir.resolve("run/big.sock");
        SocketServer patient = new SocketServer(bigSocket, Set.of(),
                new IpamService(pool, "sim", false, Duration.ofSeconds(5), 9001), Duration.ofSeconds(60));
        patient.start();
        try (patient; SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(bigSocket));
            ByteBuffer big = ByteBuffer.wrap("x".repeat(FrameReader.MAX_FRAME_BYTES + 10).getBytes(StandardCharsets.UTF_8));
            try {
                while (big.hasRemaining()) {
                    ch.write(big);
                }
            } catch (IOException closedWhileWriting) {
                // the server may close before we finish sending: also fine
            }
            Reply r = new FrameReader(Channels.newInputStream(ch), FrameReader.MAX_REPLY_FRAME_BYTES).readReply();
            assertEquals("FRAME_TOO_LARGE", r.error().code());
        }
        assertTrue(call(Request.status()).ok(), "the daemon stays up");
    }

    @Test
    void halfSentFrameThenStall_connectionIsDroppedAndTheDaemonServesOthers() throws Exception {
        try (SocketChannel ch = connect()) {
            ch.write(ByteBuffer.wrap("{\"version\":1,\"op\":\"ad".getBytes(StandardCharsets.UTF_8)));
            assertTrue(call(Request.status()).ok(), "others are served while one client stalls");
            InputStream in = Channels.newInputStream(ch);
            long start = System.nanoTime();
            int b = in.read(); // the watchdog closes the stalled connection after the frame timeout
            assertTrue(b == -1 || b == '{', "closed or answered, got " + b);
            // the frame timeout closed it, not the end of time: far below the 60 s an unwatched read would sit here
            assertTrue(System.nanoTime() - start < FRAME_TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(25));
        }
    }

    @Test
    void clientThatNeverReadsItsReplies_isDroppedAfterTheTimeout() throws Exception {
        int requests = 5000;
        try (SocketChannel ch = connect()) {
            Thread sender = Thread.ofVirtual().start(() -> {
                byte[] one = (Codec.encode(Request.status()) + "\n").getBytes(StandardCharsets.UTF_8);
                try {
                    for (int i = 0; i < requests; i++) {
                        ch.write(ByteBuffer.wrap(one));
                    }
                } catch (IOException dropped) {
                    // the server closed us: expected
                }
            });
            // never reading meanwhile: the server's reply writes fill our receive buffer and block, its write timer
            // closes the connection, and only then do the sender's writes fail. Waiting for that, not a fixed sleep:
            // on a loaded machine the server may need many seconds to fill the buffer. Without the write timeout
            // the sender blocks for ever and this join gives up.
            sender.join(Duration.ofSeconds(60));
            assertFalse(sender.isAlive(), "the server never dropped a client that does not read its replies");
            FrameReader in = new FrameReader(Channels.newInputStream(ch), FrameReader.MAX_REPLY_FRAME_BYTES);
            int replies = 0;
            try {
                while (in.readReply() != null) {
                    replies++;
                }
            } catch (IOException reset) {
                // closed with our requests unread: also the end
            }
            assertTrue(replies < requests, "the server kept writing to a client that does not read: " + replies);
        }
        assertTrue(call(Request.status()).ok(), "the daemon serves others");
    }

    @Test
    void clientDisconnectsMidRequest_daemonStaysUpAndTheLeaseIsStillIdempotent() throws Exception {
        try (SocketChannel ch = connect()) {
            ch.write(ByteBuffer.wrap((Codec.encode(add("gone")) + "\n").getBytes(StandardCharsets.UTF_8)));
        } // closed before reading the reply
        try (SocketChannel ch = connect()) {
            ch.write(ByteBuffer.wrap("{\"version\":1,\"op\":\"del\",\"netw".getBytes(StandardCharsets.UTF_8)));
        } // closed mid-frame
        Reply again = call(add("gone"));
        assertTrue(again.ok());
        Reply status = call(Request.status());
        assertEquals(1, status.status().pool().assigned(), "one lease, not two");
    }

    @Test
    void peerNotRootNorAllowed_isRefused() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "needs root to run a client as another user (setpriv)");
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-")); // let the kernel pass it
        Files.setPosixFilePermissions(socket.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        // the server answers an unauthorised peer at once and closes: read without sending, or the send may race it
        String script = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
                + "print(s.makefile().readline())";
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "/usr/bin/python3", "-c", script, socket.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(10, TimeUnit.SECONDS);
        assertTrue(out.contains("UNAUTHORIZED"), out);
    }

    @Test
    void close_removesTheSocketFile() throws Exception {
        server.close();
        assertFalse(Files.exists(socket));
        assertThrows(IOException.class, () -> call(Request.status()));
    }
}
