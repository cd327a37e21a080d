package io.vpcipam.provider.sim;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.Limits;

import java.util.Map;
import java.util.Set;

/**
 * EC2's refusals as both simulators ({@link SimulatedCloud} for one node, {@link SimFleet} for many) give them: the
 * same codes and words, written once, so the two cannot drift apart.
 */
final class Ec2Rules {

    private Ec2Rules() {
    }

    /** An assign's counts: 0 to {@link SimulatedCloud#MAX_ADDRESSES_PER_CALL} each (a caller's bug, not a cloud answer). */
    static void checkCount(int addresses, int prefixes) {
        int max = SimulatedCloud.MAX_ADDRESSES_PER_CALL;
        if (addresses < 0 || prefixes < 0 || addresses > max || prefixes > max) {
            throw new IllegalArgumentException("addresses and prefixes must be 0.." + max
                    + ", got " + addresses + " and " + prefixes);
        }
    }

    /** EC2's PrivateIpAddressLimitExceeded when {@code what}, with {@code used} slots, would pass the type's limit. */
    static void checkSlots(Limits limits, int used, int addresses, int prefixes, String what) throws CloudException {
        if (used + addresses + prefixes > limits.slotsPerInterface()) {
            throw new CloudException.CapacityExhausted("PrivateIpAddressLimitExceeded", "Number of private addresses "
                    + "and prefixes on " + what + " would be " + (used + addresses + prefixes + 1) + ", the limit is "
                    + limits.addressesPerInterface(), CloudException.CapacityExhausted.Scope.INTERFACE_ADDRESSES);
        }
    }

    /** EC2 refuses to unassign an interface's primary address. */
    static void refusePrimary(SimState.Eni e, Set<Ipv4Address> gone) throws CloudException {
        if (gone.contains(e.primary)) {
            throw new CloudException.Fatal("InvalidParameterValue", "The primary address " + e.primary
                    + " of " + e.id + " cannot be unassigned", null);
        }
    }

    /** findOrphanedInterfaces without owner tags would match every detached interface of the account. */
    static void requireOwnerTags(Map<String, String> ownerTags) {
        if (ownerTags == null || ownerTags.isEmpty()) {
            throw new IllegalArgumentException("owner tags are missing: without them every detached interface "
                    + "of the account would match");
        }
    }

    /** The interface {@code id} of {@code enis}, or EC2's NotFound. */
    static SimState.Eni interfaceOf(Map<String, SimState.Eni> enis, String id) throws CloudException {
        SimState.Eni e = id == null ? null : enis.get(id);
        if (e == null) {
            throw new CloudException.NotFound("InvalidNetworkInterfaceID.NotFound",
                    "The networkInterface ID '" + id + "' does not exist");
        }
        return e;
    }
}
