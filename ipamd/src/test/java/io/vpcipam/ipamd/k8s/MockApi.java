package io.vpcipam.ipamd.k8s;

import com.fasterxml.jackson.jr.ob.JSON;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fabric8 mock API server in CRUD mode, as ipamd's tests need it:
 * <ul>
 *   <li>It indexes only metadata.name/namespace for field selectors, so {@code spec.nodeName=X} would match no pod
 *   at all. A real API server serves that selector for pods; {@link NodeNameIndex} gives the mock the same
 *   answer (the list, filtered on spec.nodeName; a watch, of every pod) instead of teaching ipamd a different
 *   query.</li>
 *   <li>ipamd's client reaches it through {@link Link}, a TCP relay the tests take down and bring back, so "the
 *   API server is unreachable" is a refused connection, as on a node whose control plane is gone.</li>
 * </ul>
 * {@link #admin()} is a direct client for test setup that never goes through the link.
 */
final class MockApi implements AutoCloseable {

    private final KubernetesMockServer server;
    private final NodeNameIndex index;
    private final KubernetesClient admin;
    private final Link link;
    private final KubernetesClient client;

    MockApi() {
        index = new NodeNameIndex(new KubernetesCrudDispatcher());
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), index, false);
        server.init();
        admin = server.createClient();
        link = new Link(server.getPort());
        client = new KubernetesClientBuilder().withConfig(config(link.url())).build();
    }

    /** A client config for {@code url} with short timeouts and no retries, so a down link fails a test fast. */
    static Config config(String url) {
        return new ConfigBuilder(Config.empty()).withMasterUrl(url).withNamespace("default")
                .withConnectionTimeout(1_000).withRequestTimeout(3_000).withRequestRetryBackoffLimit(0).build();
    }

    /** ipamd's client, through the link. */
    KubernetesClient client() {
        return client;
    }

    /** The test's own client, straight to the server. */
    KubernetesClient admin() {
        return admin;
    }

    /** The URL ipamd's client uses (through the link). */
    String url() {
        return link.url();
    }

    /** Refuses every connection until {@link #up()}. */
    void down() {
        link.down();
    }

    void up() {
        link.up();
    }

    /**
     * Answers {@code method} requests whose path starts with {@code pathPrefix} as a real API server answers a
     * request its RBAC denies: 403 with the Status message naming the verb, resource and group.
     */
    void deny(String method, String pathPrefix, String verb, String resource) {
        String message = resource + " is forbidden: User \\\"system:serviceaccount:kube-system:vpc-ipam\\\" cannot "
                + verb + " resource \\\"" + resource + "\\\" in API group \\\"\\\" at the cluster scope";
        index.rules.add(new Rule(method, pathPrefix, () -> new MockResponse().setResponseCode(403).setBody(
                "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\""
                        + message + "\",\"reason\":\"Forbidden\",\"details\":{\"kind\":\"" + resource
                        + "\"},\"code\":403}")));
    }

    /**
     * Holds {@code method} requests whose path starts with {@code pathPrefix} unanswered (headers sent, the body
     * never comes) for ten minutes: a hung call. The mock serves on an event loop, so other requests go on.
     */
    void stall(String method, String pathPrefix) {
        index.rules.add(new Rule(method, pathPrefix, () -> new MockResponse().setResponseCode(200)
                .setBody("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":[]}")
                .setBodyDelay(java.time.Duration.ofMinutes(10))));
    }

    /** How many requests the server got whose path starts with {@code pathPrefix}. */
    int requests(String pathPrefix) {
        return (int) index.seen.stream().filter(p -> p.startsWith(pathPrefix)).count();
    }

    /** How many {@code method} requests the server got whose path starts with {@code pathPrefix}. */
    int requests(String method, String pathPrefix) {
        return (int) index.seenWithMethod.stream().filter(p -> p.startsWith(method + " " + pathPrefix)).count();
    }

    record Rule(String method, String pathPrefix, java.util.function.Supplier<MockResponse> answer) {
    }

    @Override
    public void close() {
        client.close();
        admin.close();
        link.close();
        server.destroy();
    }

    /** Serves {@code fieldSelector=spec.nodeName=X} on pod lists as a real API server does. */
    static final class NodeNameIndex extends Dispatcher {
        private final Dispatcher crud;
        final List<Rule> rules = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<String> seenWithMethod = new java.util.concurrent.CopyOnWriteArrayList<>();

        NodeNameIndex(Dispatcher crud) {
            this.crud = crud;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String path = request.getPath();
            seen.add(path);
            seenWithMethod.add(request.getMethod() + " " + path);
            for (Rule r : rules) {
                if (r.method().equals(request.getMethod()) && path.startsWith(r.pathPrefix())) {
                    return r.answer().get();
                }
            }
            int q = path.indexOf('?');
            if (!"GET".equals(request.getMethod()) || q < 0 || !path.contains("fieldSelector=")) {
                return crud.dispatch(request);
            }
            List<String> params = new ArrayList<>();
            String nodeName = null;
            boolean watch = false;
            for (String param : path.substring(q + 1).split("&")) {
                if (param.startsWith("fieldSelector=")) {
                    List<String> kept = new ArrayList<>();
                    for (String req : URLDecoder.decode(param.substring(14), StandardCharsets.UTF_8).split(",")) {
                        if (req.startsWith("spec.nodeName=")) {
                            nodeName = req.substring(req.lastIndexOf('=') + 1);
                        } else {
                            kept.add(req);
                        }
                    }
                    if (!kept.isEmpty()) {
                        params.add("fieldSelector=" + URLEncoder.encode(String.join(",", kept), StandardCharsets.UTF_8));
                    }
                } else {
                    watch |= param.equals("watch=true");
                    params.add(param);
                }
            }
            if (nodeName == null) {
                return crud.dispatch(request);
            }
            String newPath = path.substring(0, q) + (params.isEmpty() ? "" : "?" + String.join("&", params));
            if (watch) {
                // the CRUD mock cannot filter a watch on spec.nodeName: it streams every pod's events, which the
                // informer caches; ipamd checks each pod's node itself, so what it decides is the same
                return crud.dispatch(new RecordedRequest(request.getHttpVersion(), request.method(), newPath,
                        request.getHeaders(), request.getBody()));
            }
            MockResponse response = crud.dispatch(new RecordedRequest(request.getHttpVersion(), request.method(),
                    newPath, request.getHeaders(), request.getBody()));
            if (response.code() != 200) {
                return response;
            }
            try {
                Map<String, Object> list = JSON.std.mapFrom(response.getBody().readUtf8());
                List<Object> items = new ArrayList<>();
                for (Object item : (List<?>) list.getOrDefault("items", List.of())) {
                    Object spec = ((Map<?, ?>) item).get("spec");
                    if (spec instanceof Map<?, ?> s && nodeName.equals(s.get("nodeName"))) {
                        items.add(item);
                    }
                }
                list.put("items", items);
                return response.setBody(JSON.std.asString(list));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * A TCP relay that can cut the API server off: while down, every open connection is closed and new ones are
     * accepted and closed at once (the port stays bound, so no other process can take it in between).
     */
    static final class Link {
        private final int target;
        private final ServerSocket listener;
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();
        private volatile boolean down;

        Link(int target) {
            this.target = target;
            try {
                listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread.ofVirtual().start(this::accept);
        }

        String url() {
            return "http://127.0.0.1:" + listener.getLocalPort();
        }

        void down() {
            down = true;
            for (Socket s : open) {
                closeQuietly(s);
            }
            open.clear();
        }

        void up() {
            down = false;
        }

        void close() {
            down();
            closeQuietly(listener);
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket in = listener.accept();
                    if (down) {
                        in.setSoLinger(true, 0); // a reset, as from a host with nothing listening
                        in.close();
                        continue;
                    }
                    Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
                    open.add(in);
                    open.add(out);
                    pump(in, out);
                    pump(out, in);
                } catch (IOException e) {
                    if (listener.isClosed()) {
                        return;
                    }
                }
            }
        }

        private void pump(Socket from, Socket to) {
            Thread.ofVirtual().start(() -> {
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    in.transferTo(out);
                } catch (IOException ignored) {
                    // the other side or down() closed it
                } finally {
                    closeQuietly(from);
                    closeQuietly(to);
                    open.remove(from);
                    open.remove(to);
                }
            });
        }

        private static void closeQuietly(java.io.Closeable c) {
            try {
                c.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }
}
