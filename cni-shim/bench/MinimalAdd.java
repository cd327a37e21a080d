import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The bench's lower bound for an ADD by any plugin that starts a JVM per call and keeps the design's split (ipamd
 * grants the address, the plugin wires the pod with iproute2): the least such a plugin must do, and nothing else.
 * It reads stdin, starts the host's and the pod netns's {@code ip -batch -} (the pod's through nsenter), asks ipamd
 * for an address over its socket while they start (one real ADD request, durable write included), gives each
 * {@code ip} one line that only reads, waits for both and prints ipamd's reply. No config is parsed, nothing is
 * checked, logged or locked, and no veth is made (that is kernel time Go's ptp pays too). run.sh times it beside
 * our ADD and Go's; if this program alone is above a ratio, no per-call work in our plugin can bring ADD below it.
 *
 * <p>Usage: {@code MinimalAdd SOCKET NETWORK CONTAINER_ID NETNS IP NSENTER}; with {@code IP} {@code -}, no
 * process at all: the bound for a plugin whose wiring cost nothing (in-process netlink, say).
 */
public final class MinimalAdd {

    public static void main(String[] a) throws IOException, InterruptedException {
        String socket = a[0];
        String request = "{\"version\":1,\"op\":\"add\",\"network\":\"" + a[1] + "\",\"containerId\":\"" + a[2]
                + "\",\"ifName\":\"eth0\",\"netns\":\"" + a[3] + "\"}\n";
        System.in.readAllBytes();
        boolean wire = !a[4].equals("-");
        Process[] ips = wire ? new Process[] {new ProcessBuilder(a[4], "-batch", "-").start(),
                new ProcessBuilder(a[5], "--net=" + a[3], "--", a[4], "-batch", "-").start()} : new Process[0];
        String reply;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            ByteBuffer in = ByteBuffer.allocate(4096);
            while (in.position() == 0 || in.get(in.position() - 1) != '\n') {
                if (ch.read(in) < 0) {
                    throw new IOException("ipamd closed the connection");
                }
            }
            reply = new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
        }
        if (!reply.startsWith("{\"ok\":true")) {
            throw new IOException("ipamd refused: " + reply);
        }
        for (Process p : ips) {
            try (OutputStream os = p.getOutputStream()) {
                os.write("link show dev lo\n".getBytes(StandardCharsets.UTF_8));
            }
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                throw new IOException("ip failed: " + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        System.out.print(reply);
    }
}
