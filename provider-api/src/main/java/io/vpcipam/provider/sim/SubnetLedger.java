package io.vpcipam.provider.sim;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.Ipv4Address;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which addresses of each of a {@link SimFleet}'s subnets are in use: a bitset per subnet (the five reserved
 * addresses set from the start) kept as addresses are taken and released, so a call costs the same with ten nodes
 * or ten thousand. Takes are {@link SimState}'s (lowest-first addresses, lowest free aligned /28 prefix) and
 * all-or-nothing. Not thread-safe: the fleet calls it under its monitor.
 */
final class SubnetLedger {

    /** Addresses EC2 reserves in every subnet (network, router, DNS, future use, broadcast). */
    static final int RESERVED = 5;

    private final Map<String, Pool> pools = new LinkedHashMap<>();

    /** One subnet and the addresses in use in it (reserved ones included). */
    static final class Pool {
        final SimState.SimSubnet subnet;
        private final BitSet used = new BitSet();
        private int held; // addresses instances hold

        private Pool(SimState.SimSubnet subnet) {
            this.subnet = subnet;
            int size = subnet.size();
            used.set(0, Math.min(4, size));
            used.set(size - 1);
        }

        /** The {@code n} lowest free addresses, or a SUBNET refusal taking none. */
        List<Ipv4Address> take(int n) throws CloudException {
            List<Ipv4Address> taken = SimState.takeAddresses(subnet, used, n);
            held += taken.size();
            return taken;
        }

        /** {@code n} free aligned /28 blocks, lowest first, or a refusal taking none. */
        List<Cidr> takePrefixes(int n) throws CloudException {
            List<Cidr> taken = SimState.takePrefixes(subnet, used, n, SimulatedCloud.PREFIX_LENGTH);
            held += taken.size() * (1 << (32 - SimulatedCloud.PREFIX_LENGTH));
            return taken;
        }

        /**
         * Takes prefixes then addresses on a copy first when both are asked, so a subnet that has the prefixes but
         * not the addresses refuses the call without keeping the prefixes (each take alone is all-or-nothing already).
         */
        void allOrNothing(int addresses, int prefixes) throws CloudException {
            if (prefixes > 0 && addresses > 0) {
                BitSet trial = (BitSet) used.clone();
                SimState.takePrefixes(subnet, trial, prefixes, SimulatedCloud.PREFIX_LENGTH);
                SimState.takeAddresses(subnet, trial, addresses);
            }
        }

        /** Gives {@code a} back, if it was taken. */
        void release(Ipv4Address a) {
            int offset = subnet.offset(a);
            if (used.get(offset)) {
                used.clear(offset);
                held--;
            }
        }

        /** Gives every address of {@code p} back. */
        void release(Cidr p) {
            for (long i = 0; i < p.size(); i++) {
                release(p.address(i));
            }
        }
    }

    /** Adds a subnet of {@code vpc}; refuses one outside it, of a size EC2 has not, or overlapping another. */
    void add(String id, Cidr vpc, Cidr cidr, String zone) {
        SimState.checkNewSubnet(vpc, cidr, pools.values().stream().map(p -> p.subnet).toList());
        pools.put(id, new Pool(new SimState.SimSubnet(id, cidr, zone, new BitSet())));
    }

    /** Ids of the subnets, in the order added. */
    List<String> ids() {
        return List.copyOf(pools.keySet());
    }

    /** How much of each subnet is in use now. */
    List<SimFleet.SubnetUse> use() {
        List<SimFleet.SubnetUse> out = new ArrayList<>();
        for (Pool p : pools.values()) {
            out.add(new SimFleet.SubnetUse(p.subnet.id, p.subnet.cidr, p.subnet.size() - RESERVED, p.held));
        }
        return out;
    }

    /** The subnet {@code id}, or EC2's NotFound. */
    Pool pool(String id) throws CloudException {
        Pool p = pools.get(id);
        if (p == null) {
            throw new CloudException.NotFound("InvalidSubnetID.NotFound", "The subnet ID '" + id + "' does not exist");
        }
        return p;
    }

    /** The subnet of an interface the fleet made (so it exists). */
    Pool of(SimState.Eni e) {
        return pools.get(e.subnetId);
    }

    /** Gives back every address {@code e} holds: its primary, secondaries and prefixes. */
    void free(SimState.Eni e) {
        Pool pool = of(e);
        pool.release(e.primary);
        e.secondaries.forEach(pool::release);
        e.prefixes.forEach(pool::release);
    }
}
