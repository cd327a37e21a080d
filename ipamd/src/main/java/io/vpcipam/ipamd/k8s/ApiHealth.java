package io.vpcipam.ipamd.k8s;

import io.fabric8.kubernetes.client.KubernetesClientException;

import java.io.IOException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the integration's calls say about the API server, and the log lines for it: only transport failures and 5xx
 * mean "unreachable" (logged when it changes, both ways); a 401/403 is logged once per verb and resource, naming the
 * permission ipamd's ClusterRole needs; any other refusal is logged each time. Thread-safe: every task's thread and
 * the Event sender report here.
 */
final class ApiHealth {

    private static final Logger LOG = Logger.getLogger(KubernetesIntegration.class.getName());
    /** The API server's 403 message: {@code User "u" cannot list resource "pods" in API group "" at ...}. */
    private static final Pattern FORBIDDEN = Pattern.compile(
            "cannot (\\S+) resource \"([^\"]*)\" in API group \"([^\"]*)\"");

    /** What a failed call says about the API server. */
    enum Failure {
        /** No answer (refused, reset, timed out) or the server's own failure (5xx): try again at the next tick. */
        UNREACHABLE,
        /** The server answered 401/403: ipamd's credentials or RBAC are wrong; retrying will not fix it. */
        DENIED,
        /** Any other answer (404, 409, 422, ...): the server is there and refused this one request. */
        REFUSED
    }

    private final InstantSource clock;
    private final Runnable onReachable;
    private final Set<String> deniedLogged = ConcurrentHashMap.newKeySet();
    private volatile boolean reachable = true;
    private volatile boolean closed;

    /** @param onReachable run after every call that got an answer */
    ApiHealth(InstantSource clock, Runnable onReachable) {
        this.clock = clock;
        this.onReachable = onReachable;
    }

    /** Classifies a failed call: only transport failures and 5xx mean the server is unreachable. */
    static Failure classify(KubernetesClientException e) {
        int code = e.getCode();
        if (code >= 500) {
            return Failure.UNREACHABLE;
        }
        if (code == 401 || code == 403) {
            return Failure.DENIED;
        }
        if (code <= 0) { // no HTTP answer: fabric8 uses -1 (or 0) and keeps the cause
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IOException) {
                    return Failure.UNREACHABLE;
                }
            }
        }
        return Failure.REFUSED;
    }

    /** Whether the last call got an answer. */
    boolean reachable() {
        return reachable;
    }

    /** From now on failures are calls cut short by close(): they say nothing about the API server. */
    void closing() {
        closed = true;
    }

    /** A call trying to {@code what} failed with {@code e}. */
    void failed(String what, KubernetesClientException e) {
        if (closed) {
            return;
        }
        switch (classify(e)) {
            case UNREACHABLE -> {
                mark(false, e);
                LOG.log(Level.FINE, "could not " + what, e);
            }
            case DENIED -> {
                mark(true, null);
                denied(what, e);
            }
            case REFUSED -> {
                mark(true, null);
                LOG.warning("could not " + what + ": the API server answered " + e.getCode() + " ("
                        + message(e) + ")");
            }
        }
    }

    /** Logs a 401/403 once per verb and resource, with the permission ipamd's ClusterRole needs. */
    private void denied(String what, KubernetesClientException e) {
        String msg = message(e);
        Matcher m = FORBIDDEN.matcher(msg);
        if (e.getCode() == 403 && m.find()) {
            String resource = (m.group(3).isEmpty() ? "" : m.group(3) + "/") + m.group(2);
            if (deniedLogged.add(m.group(1) + " " + resource)) {
                LOG.warning("Kubernetes API server denied ipamd (403) while trying to " + what + ": " + msg
                        + "; ipamd's ClusterRole needs verb '" + m.group(1) + "' on resource '" + m.group(2)
                        + "' in API group '" + m.group(3) + "' (the chart's rbac.yaml grants it); retrying every"
                        + " tick, logged once");
            }
        } else if (deniedLogged.add(e.getCode() + " " + what)) {
            LOG.warning("Kubernetes API server denied ipamd (" + e.getCode() + ") while trying to " + what + ": "
                    + msg + (e.getCode() == 401 ? "; the service account token is missing, expired or not trusted"
                    : "") + "; retrying every tick, logged once");
        }
    }

    private static String message(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return e.getStatus().getMessage();
        }
        return String.valueOf(e.getMessage());
    }

    /** Records whether the API server answered; logs a change. {@code e} is the failure when it did not. */
    synchronized void mark(boolean now, KubernetesClientException e) {
        if (reachable != now) {
            if (now) {
                LOG.info("Kubernetes API server reachable again at " + Instant.from(clock.instant()));
            } else {
                LOG.warning("Kubernetes API server unreachable (" + (e == null ? "?" : e.getMessage())
                        + "); the pool keeps serving, no lease is collected until it answers");
            }
        }
        reachable = now;
        if (now) {
            onReachable.run();
        }
    }
}
