package io.vpcipam.ipamd.lease;

import io.vpcipam.provider.Ipv4Address;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What survives a restart: the leases, the addresses still in their cool-down (so a pod's old address is not
 * handed to a new pod right after an ipamd restart while conntrack and kube-proxy still know it), and the addresses
 * found at the takeover of the node that are not yet proven free.
 * The pool itself (interfaces, free addresses) is never checkpointed: the cloud is its truth.
 *
 * @param unproven addresses found on the node when ipamd took it over, not yet proven free of pods
 * @param fresh    there was no checkpoint: ipamd never ran on this node (or its state was lost), so every address
 *                 the node holds may be in use by a pod ipamd did not wire
 */
public record CheckpointState(List<Lease> leases, Map<Ipv4Address, Instant> cooling, Set<Ipv4Address> unproven,
                              boolean fresh) {

    public CheckpointState {
        leases = List.copyOf(leases);
        cooling = Map.copyOf(cooling);
        unproven = Set.copyOf(unproven);
    }

    /** A checkpoint with leases and cool-downs and nothing left to prove. */
    public CheckpointState(List<Lease> leases, Map<Ipv4Address, Instant> cooling) {
        this(leases, cooling, Set.of(), false);
    }

    /** Nothing assigned, nothing cooling, nothing to prove. */
    public static CheckpointState empty() {
        return new CheckpointState(List.of(), Map.of());
    }

    /** No checkpoint file: the first start on this node, or its state was lost. */
    public static CheckpointState none() {
        return new CheckpointState(List.of(), Map.of(), Set.of(), true);
    }
}
