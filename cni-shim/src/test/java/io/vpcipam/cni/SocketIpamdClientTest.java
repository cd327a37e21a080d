package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketIpamdClientTest {

    @TempDir
    Path tmp;

    @Test
    void send_ipamdHasTheRequestBeforeTheReplyIsAskedFor_thenReplyReadsIt() throws Exception {
        Path sock = tmp.resolve("ipamd.sock");
        BlockingQueue<String> received = new ArrayBlockingQueue<>(1);
        CountDownLatch answer = new CountDownLatch(1);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread t = Thread.ofPlatform().daemon().start(() -> {
                try (SocketChannel ch = server.accept()) {
                    received.add(new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                            StandardCharsets.UTF_8)).readLine());
                    answer.await();
                    ch.write(ByteBuffer.wrap((Codec.encode(Reply.success()) + "\n").getBytes(StandardCharsets.UTF_8)));
                } catch (Exception e) {
                    received.add("server failed: " + e);
                }
            });
            SocketIpamdClient client = new SocketIpamdClient(sock, 60_000);
            Request del = Request.del("net", "c1", "eth0");
            try (IpamdClient.Pending p = client.send(del)) {
                // ipamd has the whole request while the caller still works (no reply asked for yet)
                String line = received.poll(60, TimeUnit.SECONDS);
                assertEquals(Codec.encode(del), line);
                answer.countDown();
                assertTrue(p.reply().ok());
            }
            t.join(60_000);
        }
    }

    @Test
    void send_nobodyListening_isUnavailableAtOnce() {
        SocketIpamdClient client = new SocketIpamdClient(tmp.resolve("none.sock"), 60_000);
        IpamdClient.Unavailable e = assertThrows(IpamdClient.Unavailable.class,
                () -> client.send(Request.del("net", "c1", "eth0")));
        assertTrue(e.getMessage().startsWith("ipamd is not listening on "), e.getMessage());
    }
}
