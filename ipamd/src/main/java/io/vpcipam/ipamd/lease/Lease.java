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
 */
public record Lease(LeaseKey key, Ipv4Address address, String interfaceId, String podNamespace, String podName,
                   String netns, Instant assignedAt) {

    public Lease {
        if (key == null || address == null || interfaceId == null || assignedAt == null) {
            throw new IllegalArgumentException("lease needs key, address, interfaceId and assignedAt");
        }
        podNamespace = podNamespace == null ? "" : podNamespace;
        podName = podName == null ? "" : podName;
        netns = netns == null ? "" : netns;
    }

    /** The same lease, now held through {@code newInterfaceId} (the cloud is the truth for which interface). */
    public Lease onInterface(String newInterfaceId) {
        return new Lease(key, address, newInterfaceId, podNamespace, podName, netns, assignedAt);
    }
}
