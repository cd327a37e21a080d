package io.vpcipam.provider.sim;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;

/** Invariant checks shared by the sim's own tests. */
final class CloudProviderContractChecks {

    private CloudProviderContractChecks() {
    }

    /** Fails if an address (primary, secondary or prefix member) is held twice among {@code interfaces}. */
    static void noAddressTwice(Collection<NetworkInterface> interfaces) {
        Map<Ipv4Address, String> owner = new HashMap<>();
        for (NetworkInterface i : interfaces) {
            claim(owner, i.primaryAddress(), i.id());
            i.secondaryAddresses().forEach(a -> claim(owner, a, i.id()));
            for (Cidr p : i.prefixes()) {
                for (long k = 0; k < p.size(); k++) {
                    claim(owner, p.address(k), i.id());
                }
            }
        }
    }

    static void noAddressTwice(NodeInfo node) {
        noAddressTwice(node.interfaces());
    }

    private static void claim(Map<Ipv4Address, String> owner, Ipv4Address a, String id) {
        String previous = owner.put(a, id);
        if (previous != null) {
            fail(a + " is held by " + previous + " and " + id);
        }
    }
}
