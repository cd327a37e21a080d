package io.vpcipam.ipamd.ops;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.InstantSource;
import java.util.logging.Logger;

/**
 * The daemon's operational front: the metrics registry, the Prometheus endpoint and the introspection server,
 * started before the daemon (so probes and scrapes answer during a slow start) and given the daemon once it runs.
 */
public final class OpsServers implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(OpsServers.class.getName());

    private final Metrics metrics;
    private final HTTPServer metricsServer;
    private final IntrospectionServer introspection;

    private OpsServers(Metrics metrics, HTTPServer metricsServer, IntrospectionServer introspection) {
        this.metrics = metrics;
        this.metricsServer = metricsServer;
        this.introspection = introspection;
    }

    /**
     * Starts what {@code ops} asks for.
     *
     * @throws IOException naming the variable whose address cannot be listened on
     */
    public static OpsServers start(OpsConfig ops, InstantSource clock) throws IOException {
        Metrics metrics = new Metrics(clock).withJvmMetrics();
        HTTPServer metricsServer = null;
        IntrospectionServer introspection = null;
        try {
            if (ops.metrics() != null) {
                metricsServer = listen("IPAMD_METRICS_ADDRESS", ops.metrics(), () -> HTTPServer.builder()
                        .hostname(ops.metrics().host()).port(ops.metrics().port()).registry(metrics.registry())
                        .buildAndStart());
                LOG.info("metrics on http://" + new OpsConfig.Endpoint(ops.metrics().host(), metricsServer.getPort())
                        + "/metrics");
            }
            if (ops.introspection() != null) {
                introspection = listen("IPAMD_INTROSPECTION_ADDRESS", ops.introspection(),
                        () -> IntrospectionServer.start(ops.introspection(), ops, metrics));
                LOG.info("introspection on http://" + new OpsConfig.Endpoint(ops.introspection().host(),
                        introspection.port()));
            }
        } catch (IOException | RuntimeException e) {
            if (metricsServer != null) {
                metricsServer.close();
            }
            throw e;
        }
        return new OpsServers(metrics, metricsServer, introspection);
    }

    private interface Binder<T> {
        T bind() throws IOException;
    }

    private static <T> T listen(String variable, OpsConfig.Endpoint at, Binder<T> binder) throws IOException {
        try {
            return binder.bind();
        } catch (IOException | UncheckedIOException e) {
            throw new IOException(variable + "='" + at + "': cannot listen: " + e.getMessage(), e);
        }
    }

    /** The metrics every part of the daemon reports into. */
    public Metrics metrics() {
        return metrics;
    }

    /** The metrics port actually bound (useful with port 0), or -1 when metrics are off. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.getPort();
    }

    /** The introspection port actually bound, or -1 when introspection is off. */
    public int introspectionPort() {
        return introspection == null ? -1 : introspection.port();
    }

    /** The daemon is up: introspection serves it and readiness can pass. */
    public void attach(Introspected daemon) {
        if (introspection != null) {
            introspection.attach(daemon);
        }
    }

    /** Stops both servers. */
    @Override
    public void close() {
        if (introspection != null) {
            introspection.close();
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
    }
}
