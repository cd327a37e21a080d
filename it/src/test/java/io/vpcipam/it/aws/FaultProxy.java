package io.vpcipam.it.aws;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An HTTP proxy in front of moto that throttles like EC2: an account-wide token bucket ({@code rate} per second,
 * {@code burst} deep) and, on top, a share of requests throttled at random; a throttled request gets EC2's
 * {@code 503 RequestLimitExceeded} answer and never reaches moto. Every request is timestamped, so a test can
 * check what ipamd sent against its own rate budget.
 */
final class FaultProxy implements AutoCloseable {

    private static final Set<String> HOP = Set.of("host", "content-length", "connection", "expect", "transfer-encoding");
    private static final String THROTTLED = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>""";

    private final URI target;
    private final double rate;
    private final double burst;
    private final double randomShare;
    private final HttpServer server;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final List<Long> sentNanos = new ArrayList<>();
    private int throttled;
    private double tokens;
    private long refilledAt = System.nanoTime();

    FaultProxy(URI target, double rate, double burst, double randomShare) throws IOException {
        this.target = target;
        this.rate = rate;
        this.burst = burst;
        this.randomShare = randomShare;
        this.tokens = burst;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Requests received so far (throttled ones included), as System.nanoTime stamps. */
    synchronized List<Long> requests() {
        return List.copyOf(sentNanos);
    }

    synchronized int throttled() {
        return throttled;
    }

    /** Whether this request is throttled: the account bucket is empty, or the dice say so. */
    private synchronized boolean admit() {
        long now = System.nanoTime();
        sentNanos.add(now);
        tokens = Math.min(burst, tokens + (now - refilledAt) / 1e9 * rate);
        refilledAt = now;
        if (tokens < 1 || ThreadLocalRandom.current().nextDouble() < randomShare) {
            throttled++;
            return false;
        }
        tokens -= 1;
        return true;
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            byte[] body = x.getRequestBody().readAllBytes();
            if (!admit()) {
                byte[] out = THROTTLED.getBytes(StandardCharsets.UTF_8);
                x.getResponseHeaders().add("Content-Type", "text/xml");
                x.sendResponseHeaders(503, out.length);
                x.getResponseBody().write(out);
                return;
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(target.resolve(x.getRequestURI().toString()))
                    .timeout(Duration.ofSeconds(30))
                    .method(x.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
            x.getRequestHeaders().forEach((k, vs) -> {
                if (!HOP.contains(k.toLowerCase())) {
                    vs.forEach(v -> b.header(k, v));
                }
            });
            HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            r.headers().firstValue("content-type").ifPresent(v -> x.getResponseHeaders().add("Content-Type", v));
            x.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
            x.getResponseBody().write(r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
