package io.vpcipam.cni;

import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The scripted ipamd of the AOT training (build-dist.sh starts it in a JVM of its own, so none of
 * its classes end up in the plugin's cache): every ADD and CHECK gets the same lease on a
 * secondary interface (route table 2, so the rules are made too), DEL and STATUS succeed, GC
 * releases nothing. Protocol v1 through protocol's codec, one request per connection.
 */
final class TrainingIpamd {

    /** The lease it hands out: an address of the documentation range, on a secondary interface. */
    static final LeaseInfo LEASE = new LeaseInfo("198.51.100.5", 32, "eni-0train", "02:00:00:00:00:01", 1, 2,
            "198.51.100.1", List.of("198.51.100.0/24"), 1500);

    private TrainingIpamd() {
    }

    /** {@code TrainingIpamd SOCKET}: serves until killed. */
    public static void main(String[] args) throws IOException {
        serve(bind(Path.of(args[0])));
    }

    /** The listening socket at {@code socket} (a stale file there is replaced). */
    static ServerSocketChannel bind(Path socket) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        return server;
    }

    /** Answers one request per connection until the socket is closed. */
    static void serve(ServerSocketChannel listening) throws IOException {
        try (ServerSocketChannel server = listening) {
            while (true) {
                try (SocketChannel ch = server.accept()) {
                    String frame = new FrameReader(Channels.newInputStream(ch)).readFrame();
                    if (frame != null) {
                        new FrameWriter(Channels.newOutputStream(ch)).write(answer(frame));
                    }
                } catch (IOException e) {
                    // a plugin that went away mid-call (the training's error cases): serve the next
                }
            }
        }
    }

    static Reply answer(String frame) {
        try {
            Request r = Codec.decodeRequest(frame);
            return switch (r.op()) {
                case ADD, CHECK -> Reply.ok(LEASE);
                case GC -> Reply.released(0);
                case DEL, STATUS -> Reply.success();
            };
        } catch (ProtocolException e) {
            return e.toReply();
        }
    }
}
