package io.vpcipam.ipamd.server;

import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.ipamd.pool.SocketSide;
import io.vpcipam.ipamd.pool.Grant;
import io.vpcipam.ipamd.pool.PoolException;
import io.vpcipam.ipamd.pool.PoolStatus;
import io.vpcipam.ipamd.pool.PoolView;
import io.vpcipam.protocol.Attachment;
import io.vpcipam.protocol.ErrorCode;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.protocol.StatusInfo;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Turns protocol requests into pool operations and pool outcomes into replies. Transport-free, so the socket server
 * and tests share it. Never throws: every failure becomes an error reply with a code and a retry hint.
 */
public final class IpamService {

    private static final Logger LOG = Logger.getLogger(IpamService.class.getName());

    private final SocketSide pool;
    private final String provider;
    private final boolean prefixMode;
    private final Duration addTimeout;
    private final int mtu;
    private final Observer observer;
    private final boolean externalSnat;
    private volatile boolean shuttingDown;
    private volatile io.vpcipam.ipamd.pool.Warnings warnings = io.vpcipam.ipamd.pool.Warnings.NONE;
    private final FailedAddLog failedAdds = new FailedAddLog(java.util.concurrent.TimeUnit.SECONDS.toNanos(10));

    /** Told about every answered request (for metrics); called on the connection's thread, outside every lock. */
    @FunctionalInterface
    public interface Observer {
        /** {@code request} was answered with {@code reply} after {@code nanos}. */
        void served(io.vpcipam.protocol.Op op, long nanos, Reply reply);
    }

    /**
     * @param mtu pod MTU put in every lease reply
     */
    public IpamService(SocketSide pool, String provider, boolean prefixMode, Duration addTimeout, int mtu) {
        this(pool, provider, prefixMode, addTimeout, mtu, (op, nanos, reply) -> { });
    }

    /** As the five-argument constructor, telling {@code observer} about every answered request. */
    public IpamService(SocketSide pool, String provider, boolean prefixMode, Duration addTimeout, int mtu,
                       Observer observer) {
        this(pool, provider, prefixMode, addTimeout, mtu, observer, false);
    }

    /**
     * As the six-argument constructor; with {@code externalSnat} leases name no VPC blocks, so the plugin sends
     * every destination of a pod on a secondary interface through that interface's table
     * ({@code from <pod> lookup N}) instead of only the VPC's ({@code from <pod> to <block> lookup N}).
     */
    public IpamService(SocketSide pool, String provider, boolean prefixMode, Duration addTimeout, int mtu,
                       Observer observer, boolean externalSnat) {
        this.externalSnat = externalSnat;
        this.observer = observer;
        this.pool = pool;
        this.provider = provider;
        this.prefixMode = prefixMode;
        this.addTimeout = addTimeout;
        this.mtu = mtu;
    }

    /** Where an ADD that timed out waiting for an address is reported beyond the log (a Pod and Node Event). */
    public void warnings(io.vpcipam.ipamd.pool.Warnings sink) {
        warnings = sink == null ? io.vpcipam.ipamd.pool.Warnings.NONE : sink;
    }

    /** From now on every request but STATUS is refused as retryable: the daemon is stopping. */
    public void shutDown() {
        shuttingDown = true;
    }

    /** Serves one request. */
    public Reply handle(Request request) {
        long start = System.nanoTime();
        Reply reply = serve(request);
        long end = System.nanoTime();
        observer.served(request.op(), end - start, reply);
        if (request.op() == io.vpcipam.protocol.Op.ADD && !reply.ok() && reply.error() != null) {
            if (ErrorCode.NO_ADDRESS_AVAILABLE.wire().equals(reply.error().code())) {
                warnings.warn(io.vpcipam.ipamd.pool.Warnings.Reason.ADD_TIMED_OUT, nonNull(request.podNamespace()),
                        nonNull(request.podName()), "no address for the pod within " + addTimeout.toMillis()
                        + " ms (" + reply.error().message() + ")");
            }
            long unlogged = failedAdds.admit(reply.error().code(), end);
            if (unlogged >= 0) {
                LOG.warning("ADD failed for pod " + request.podNamespace() + "/" + request.podName() + " (container "
                        + request.containerId() + "): " + reply.error().code() + ": " + reply.error().message()
                        + (unlogged > 0 ? " (" + unlogged + " more " + reply.error().code()
                        + " failures not logged in the last 10s)" : ""));
            }
        }
        return reply;
    }

    private Reply serve(Request request) {
        try {
            if (shuttingDown && request.op() != io.vpcipam.protocol.Op.STATUS) {
                return Reply.error(ErrorCode.SHUTTING_DOWN.wire(), "ipamd is shutting down", true);
            }
            return switch (request.op()) {
                case ADD -> {
                    Grant g = pool.add(key(request), request.netns(), request.podNamespace(), request.podName(),
                            addTimeout);
                    yield Reply.ok(leaseInfo(g));
                }
                case DEL -> {
                    Lease released = pool.del(key(request));
                    if (released != null) {
                        LOG.fine(() -> "released " + released.address() + " from " + released.key());
                    }
                    yield Reply.success();
                }
                case CHECK -> {
                    Grant g = pool.check(key(request));
                    yield g == null
                            ? Reply.error(ErrorCode.NOT_FOUND.wire(), "no lease for " + key(request), false)
                            : Reply.ok(leaseInfo(g));
                }
                case GC -> {
                    Set<LeaseKey> live = new HashSet<>();
                    for (Attachment a : request.attachments()) {
                        live.add(new LeaseKey(a.network(), a.containerId(), a.ifName()));
                    }
                    yield Reply.released(pool.gc(request.network(), live));
                }
                case STATUS -> Reply.status(status());
            };
        } catch (PoolException e) {
            return Reply.error(e.code(), e.getMessage(), e.retryable());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Reply.error(ErrorCode.SHUTTING_DOWN.wire(), "interrupted", true);
        } catch (IllegalArgumentException e) {
            return Reply.error(ErrorCode.BAD_REQUEST.wire(), e.getMessage(), false);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "request " + request.op() + " failed", e);
            return Reply.error(ErrorCode.INTERNAL.wire(), "internal error: " + e, true);
        }
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }

    private static LeaseKey key(Request r) {
        return new LeaseKey(r.network(), r.containerId(), r.ifName());
    }

    private LeaseInfo leaseInfo(Grant g) {
        // No gateway: ipamd fills the interface's table itself, and the pod's gateway is link-local.
        return new LeaseInfo(g.lease().address().toString(), 32, g.lease().interfaceId(), g.mac(), g.deviceIndex(),
                g.routeTable(), null,
                externalSnat ? List.of() : g.vpcCidrs().stream().map(Cidr::toString).toList(), mtu);
    }

    /** The STATUS object. */
    public StatusInfo status() {
        PoolStatus s = pool.status();
        return PoolView.of(provider, prefixMode, s).status(PoolView.leases(s.leases()));
    }
}
