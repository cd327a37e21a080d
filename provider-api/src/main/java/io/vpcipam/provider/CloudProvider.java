package io.vpcipam.provider;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The cloud, as seen by one node's ipamd. A handful of verbs; no SDK type crosses this interface.
 *
 * <p>Calls are made by ipamd's reconciler thread (one at a time per node, never under the pool lock) and by the
 * leaked-interface collector. Implementations must be safe for use from several threads and must throw nothing
 * but {@link CloudException} (and {@link IllegalArgumentException} for arguments that break this contract).
 * Real providers rate-limit and retry transient failures themselves; whatever {@link CloudException.Throttled}
 * still escapes, the pool engine honours by waiting its {@code retryAfter} before the next mutating call.
 */
public interface CloudProvider extends AutoCloseable {

    /** Short name: {@code sim}, {@code aws}, {@code azure}. */
    String name();

    /** What this cloud can do; constant for the provider's lifetime. */
    Capabilities capabilities();

    /** Reads the node: instance, zone, limits, attached interfaces with their addresses and prefixes, subnets. */
    NodeInfo describeNode() throws CloudException;

    /**
     * Creates an interface per {@code spec}, with its addresses or prefixes, and attaches it to the node at the
     * lowest free device index. On a failed attach the created interface is deleted before the error is thrown.
     * Only called when {@link Capabilities#hotAttachInterfaces()}.
     *
     * @return the attached interface as the cloud now sees it
     */
    NetworkInterface createInterface(InterfaceSpec spec) throws CloudException;

    /** Detaches (if attached) and deletes an interface. The primary interface is refused. */
    void deleteInterface(String interfaceId) throws CloudException;

    /**
     * Assigns {@code addresses} new secondary addresses and {@code prefixes} new prefixes to an attached interface.
     * Prefixes are only asked for when {@link Capabilities#prefixDelegation()}.
     *
     * @return exactly what was added (worked out from the interface's state, not trusted from a response)
     */
    Assignment assign(String interfaceId, int addresses, int prefixes) throws CloudException;

    /** Removes secondary addresses and prefixes from an interface. Ones it no longer holds are ignored. */
    void unassign(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes)
            throws CloudException;

    /**
     * Interfaces that carry all of {@code ownerTags} and are attached to no instance: leaked by a node that died
     * between create and attach, or between detach and delete. The caller applies its grace period.
     */
    List<NetworkInterface> findOrphanedInterfaces(Map<String, String> ownerTags) throws CloudException;

    /** Releases clients and threads. Never throws. */
    @Override
    default void close() {
    }
}
