package io.vpcipam.ipamd.lease;

import io.vpcipam.provider.Ipv4Address;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What survives a restart: the leases, and the addresses still in their cool-down (so a pod's old address is not
 * handed to a new pod right after an ipamd restart while conntrack and kube-proxy still know it).
 * The pool itself (interfaces, free addresses) is never checkpointed: the cloud is its truth.
 */
public record CheckpointState(List<Lease> leases, Map<Ipv4Address, Instant> cooling) {

    public CheckpointState {
        leases = List.copyOf(leases);
        cooling = Map.copyOf(cooling);
    }

    /** Nothing assigned, nothing cooling. */
    public static CheckpointState empty() {
        return new CheckpointState(List.of(), Map.of());
    }
}
