package io.vpcipam.cni;

import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * {@link IpamdClient} over ipamd's Unix socket, one connection per call. The whole call has a
 * deadline (ipamd may wait for the cloud on an empty pool, a hung ipamd must not hang the pod
 * sandbox forever): the reply is read through a selector so the wait can end.
 */
final class SocketIpamdClient implements IpamdClient {

    private final Path socket;
    private final long timeoutMs;

    SocketIpamdClient(Path socket, long timeoutMs) {
        this.socket = socket;
        this.timeoutMs = timeoutMs;
    }

    @Override
    public Reply call(Request request) throws Unavailable, ProtocolException {
        try (Pending p = send(request)) {
            return p.reply();
        }
    }

    @Override
    public Pending send(Request request) throws Unavailable {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new Unavailable("cannot open a Unix socket: " + e.getMessage());
        }
        try {
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException | RuntimeException e) {
                throw new Unavailable("ipamd is not listening on " + socket + ": " + describe(e));
            }
            try {
                new FrameWriter(Channels.newOutputStream(ch)).writeFrame(Codec.encode(request));
            } catch (IOException e) {
                throw new Unavailable("ipamd closed " + socket + " while we sent: " + describe(e));
            }
        } catch (Unavailable e) {
            close(ch);
            throw e;
        }
        return new Sent(ch, deadline);
    }

    /** A request on the wire; its reply is read against the deadline set when it was sent. */
    private final class Sent implements Pending {
        private final SocketChannel ch;
        private final long deadline;

        Sent(SocketChannel ch, long deadline) {
            this.ch = ch;
            this.deadline = deadline;
        }

        @Override
        public Reply reply() throws Unavailable, ProtocolException {
            Reply reply;
            try (Selector selector = Selector.open()) {
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ);
                String line = new FrameReader(new DeadlineInput(ch, selector, deadline),
                        FrameReader.MAX_REPLY_FRAME_BYTES).readFrame();
                reply = line == null ? null : Codec.decodeReply(line);
            } catch (ProtocolException | Unavailable e) {
                throw e;
            } catch (IOException e) {
                throw new Unavailable("reading ipamd's reply failed: " + describe(e));
            } finally {
                SocketIpamdClient.close(ch);
            }
            if (reply == null) {
                throw new Unavailable("ipamd closed the connection without a reply");
            }
            return reply;
        }

        @Override
        public void close() {
            SocketIpamdClient.close(ch);
        }
    }

    private static void close(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closing a Unix socket we are done with: nothing to report
        }
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** A blocking InputStream over a non-blocking channel that gives up at the deadline. */
    private final class DeadlineInput extends InputStream {
        private final SocketChannel ch;
        private final Selector selector;
        private final long deadline;

        DeadlineInput(SocketChannel ch, Selector selector, long deadline) {
            this.ch = ch;
            this.selector = selector;
            this.deadline = deadline;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (true) {
                int n = ch.read(buf);
                if (n != 0) {
                    return n;
                }
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    throw new TimedOut(timeoutMs);
                }
                selector.select(left);
                selector.selectedKeys().clear();
            }
        }
    }
}
