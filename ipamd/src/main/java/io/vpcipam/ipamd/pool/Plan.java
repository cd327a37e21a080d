package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;

import java.util.List;

/**
 * One decision of the pool engine: what the executor should ask of the cloud next, and why.
 * Decide, then act: {@link Planner} makes these from a snapshot; the reconciler carries them out.
 */
public sealed interface Plan {

    /** Human-readable reason, e.g. "allocate 14 on eni-1: 6 waiting ADDs + warm target 8". */
    String reason();

    /** Assign {@code addresses} addresses or {@code prefixes} prefixes on an attached interface. */
    record Allocate(String interfaceId, int addresses, int prefixes, String reason) implements Plan {
    }

    /** Create and attach a new interface carrying {@code addresses} addresses or {@code prefixes} prefixes. */
    record CreateInterface(int addresses, int prefixes, String reason) implements Plan {
    }

    /** Give free addresses or wholly free prefixes of one interface back to the cloud. */
    record Release(String interfaceId, List<Ipv4Address> addresses, List<Cidr> prefixes, String reason) implements Plan {
        public Release {
            addresses = List.copyOf(addresses);
            prefixes = List.copyOf(prefixes);
        }
    }

    /** Delete a secondary interface none of whose addresses is in use. */
    record DeleteInterface(String interfaceId, String reason) implements Plan {
    }

    /** Nothing to do. */
    record Nothing(String reason) implements Plan {
    }
}
