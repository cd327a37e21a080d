package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.protocol.StatusInfo;

import java.util.List;

/**
 * One lease as operators see it, typed: an element of what introspection serves at {@code /v1/leases} (as JSON,
 * each component a key) and what {@code ipamd leases} and {@code ipamd status} read back into the same record. It is
 * also the one mapping from a lease to the socket's STATUS lease ({@link #status}). Read leniently: a key an older
 * daemon did not send is null, a key a newer one adds is skipped.
 *
 * @param netns      the pod's network namespace path; null when read from the socket's STATUS, which omits it
 * @param assignedAt ISO-8601
 */
public record LeaseView(String network, String containerId, String ifName, String podNamespace, String podName,
                        String address, String interfaceId, String netns, String assignedAt) {

    /** The body of {@code /v1/leases}: {@code {"leases": [...]}}. */
    public record All(List<LeaseView> leases) {
        public All {
            leases = leases == null ? List.of() : List.copyOf(leases);
        }
    }

    /** The view of {@code l}. */
    public static LeaseView of(Lease l) {
        return new LeaseView(l.key().network(), l.key().containerId(), l.key().ifName(), l.podNamespace(),
                l.podName(), l.address().toString(), l.interfaceId(), l.netns(), l.assignedAt().toString());
    }

    /** The view of a lease read from the socket's STATUS (no netns there). */
    public static LeaseView of(StatusInfo.LeaseStatus l) {
        return new LeaseView(l.network(), l.containerId(), l.ifName(), l.podNamespace(), l.podName(), l.address(),
                l.interfaceId(), null, l.assignedAt());
    }

    /** The lease as the socket's STATUS lists it (a key missing from an older daemon becomes ""). */
    public StatusInfo.LeaseStatus status() {
        return new StatusInfo.LeaseStatus(orEmpty(network), orEmpty(containerId), orEmpty(ifName),
                orEmpty(podNamespace), orEmpty(podName), orEmpty(address), orEmpty(interfaceId), orEmpty(assignedAt));
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
