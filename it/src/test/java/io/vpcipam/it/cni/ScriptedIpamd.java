package io.vpcipam.it.cni;

import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.LeaseInfo;
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
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A protocol v1 ipamd on a Unix socket that leases one fixed address on a secondary interface to
 * every key: what the real ipamd does when an address is released and handed to the next pod,
 * without waiting for a cool-down or hoping the pool picks the same address again. DEL, CHECK
 * and the rest answer ok.
 */
final class ScriptedIpamd implements AutoCloseable {

    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final LeaseInfo lease;

    ScriptedIpamd(Path socket, String address, int routeTable) throws IOException {
        this.socket = socket;
        this.lease = new LeaseInfo(address, 32, "eni-secondary", "02:00:00:00:00:aa", 1, routeTable, "10.0.0.1",
                List.of("10.0.0.0/16"), 1500);
        Files.createDirectories(socket.getParent());
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        thread = Thread.ofPlatform().daemon().name("scripted-ipamd").start(this::serve);
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel ch = server.accept()) {
                Request r = new FrameReader(Channels.newInputStream(ch)).readRequest();
                if (r == null) {
                    continue;
                }
                requests.add(r);
                Reply reply = switch (r.op()) {
                    case ADD, CHECK -> Reply.ok(lease);
                    case GC -> Reply.released(0);
                    default -> Reply.success();
                };
                new FrameWriter(Channels.newOutputStream(ch)).write(reply);
            } catch (IOException e) {
                // closed, or a client that went away: the next accept decides
            }
        }
    }

    Path socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(socket);
    }
}
