package io.vpcipam.provider.aws;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake instance-metadata service (JDK HttpServer) speaking IMDSv2 as EC2 does: {@code PUT /latest/api/token} with
 * a TTL header gives a token; every GET under {@code /latest/meta-data/} without a valid token is 401; unknown paths
 * are 404; a directory lists its children one per line. Serves the paths the AWS VPC CNI reads (its imds_test.go).
 */
final class FakeImds implements AutoCloseable {

    static final String MAC = "02:e1:00:00:00:01";
    static final String MAC2 = "02:e1:00:00:00:02";

    final Map<String, String> paths = new ConcurrentHashMap<>();
    final AtomicInteger tokens = new AtomicInteger();
    volatile String validToken = "token-1";
    private final HttpServer server;

    FakeImds() throws IOException {
        String m = "network/interfaces/macs/";
        paths.put("instance-id", "i-0123456789abcdef0");
        paths.put("instance-type", "m5.large");
        paths.put("placement/availability-zone", "eu-west-1b");
        paths.put("placement/region", "eu-west-1");
        paths.put("mac", MAC);
        paths.put(m, MAC + "/\n" + MAC2 + "/");
        iface(MAC, "eni-0000000000000000a", 0, "10.0.0.10\n10.0.0.11", null);
        iface(MAC2, "eni-0000000000000000b", 1, "10.0.0.20", "10.0.0.32/28\n10.0.0.48/28");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    private void iface(String mac, String id, int device, String ips, String prefixes) {
        String p = "network/interfaces/macs/" + mac + "/";
        paths.put(p + "interface-id", id);
        paths.put(p + "device-number", String.valueOf(device));
        paths.put(p + "subnet-id", "subnet-00000000000000001");
        paths.put(p + "subnet-ipv4-cidr-block", "10.0.0.0/20");
        paths.put(p + "vpc-ipv4-cidr-blocks", "10.0.0.0/16\n100.64.0.0/16");
        paths.put(p + "local-ipv4s", ips);
        if (prefixes != null) {
            paths.put(p + "ipv4-prefix", prefixes);
        }
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        if (path.equals("/latest/api/token")) {
            if (!"PUT".equals(x.getRequestMethod()) || x.getRequestHeaders().getFirst(Imds.TOKEN_TTL_HEADER) == null) {
                reply(x, 400, "");
                return;
            }
            tokens.incrementAndGet();
            reply(x, 200, validToken);
            return;
        }
        if (!validToken.equals(x.getRequestHeaders().getFirst(Imds.TOKEN_HEADER))) {
            reply(x, 401, "");
            return;
        }
        String key = path.substring("/latest/meta-data/".length());
        String value = paths.get(key);
        reply(x, value == null ? 404 : 200, value == null ? "" : value);
    }

    private static void reply(HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            x.getResponseBody().write(bytes);
        }
        x.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
