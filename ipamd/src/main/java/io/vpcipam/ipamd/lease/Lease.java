package io.vpcipam.ipamd.lease;

import io.vpcipam.provider.Ipv4Address;

import java.time.Instant;

/**
 * One address given to one pod attachment.
 *
 * @param key          the CNI triple
 * @param address      the pod's address
 * @param interfaceId  the cloud interface that holds the address
 * @param podNamespace pod namespace, or "" when the runtime did not say (ctr passes no K8S_POD_*)
 * @param podName      pod name, or ""
 * @param netns        the netns path the runtime gave
 * @param assignedAt   when the lease was made
 * @param lastAddAt    when an ADD last returned it (assignedAt, or a repeated ADD of the key since): a DEL spooled
 *                     before this time is stale, since the runtime has wired the attachment again after it.
 *                     Checkpointed, so a restart that applies the spool still knows it.
 */
public record Lease(LeaseKey key, Ipv4Address address, String interfaceId, String podNamespace, String podName,
                   String netns, Instant assignedAt, Instant lastAddAt) {

    public Lease {
        if (key == null || address == null || interfaceId == null || assignedAt == null) {
            throw new IllegalArgumentException("lease needs key, address, interfaceId and assignedAt");
        }
        podNamespace = podNamespace == null ? "" : podNamespace;
        podName = podName == null ? "" : podName;
        netns = netns == null ? "" : netns;
        lastAddAt = lastAddAt == null || lastAddAt.isBefore(assignedAt) ? assignedAt : lastAddAt;
    }

    /** A lease just made by an ADD: its last ADD is its assignment. */
    public Lease(LeaseKey key, Ipv4Address address, String interfaceId, String podNamespace, String podName,
                 String netns, Instant assignedAt) {
        this(key, address, interfaceId, podNamespace, podName, netns, assignedAt, assignedAt);
    }

    /** The same lease, now held through {@code newInterfaceId} (the cloud is the truth for which interface). */
    public Lease onInterface(String newInterfaceId) {
        return new Lease(key, address, newInterfaceId, podNamespace, podName, netns, assignedAt, lastAddAt);
    }

    /** The same lease, returned again by an ADD at {@code now}. */
    public Lease addedAgain(Instant now) {
        return new Lease(key, address, interfaceId, podNamespace, podName, netns, assignedAt,
                now.isAfter(lastAddAt) ? now : lastAddAt);
    }
}
