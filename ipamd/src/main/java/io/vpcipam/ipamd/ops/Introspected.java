package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.pool.AddressPool;
import io.vpcipam.ipamd.pool.Reconciler;
import io.vpcipam.ipamd.takeover.Adoption;
import io.vpcipam.provider.CloudProvider;

/**
 * A running daemon as the ops servers read it (health, readiness, pool, leases, decisions, config). The daemon
 * implements it and hands itself to {@link OpsServers#attach}, so this package needs nothing of the daemon class, which
 * needs this package (metrics, the ops servers): no cycle between them.
 */
public interface Introspected {

    /** The address pool. */
    AddressPool pool();

    /** The reconciler (liveness, cloud health, decisions). */
    Reconciler reconciler();

    /** The cloud provider (its name). */
    CloudProvider provider();

    /** Whether the pool hands out prefix members. */
    boolean prefixMode();

    /** The takeover's proof of the addresses found on the node, or null when there was nothing to prove. */
    Adoption adoption();

    /** Why the host data path is not ready, or null. */
    String hostProblem();

    /** The configuration it runs with. */
    Config config();

    /** Whether the socket is serving (false once it shuts down). */
    boolean serving();
}
