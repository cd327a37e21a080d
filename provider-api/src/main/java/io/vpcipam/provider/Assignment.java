package io.vpcipam.provider;

import java.util.List;

/**
 * What an assign call added: only the new addresses and prefixes, never those the interface already held.
 *
 * @param addresses newly assigned secondary addresses
 * @param prefixes  newly delegated prefixes
 */
public record Assignment(List<Ipv4Address> addresses, List<Cidr> prefixes) {

    public Assignment {
        addresses = List.copyOf(addresses);
        prefixes = List.copyOf(prefixes);
    }
}
