package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.Assignment;
import io.vpcipam.provider.Capabilities;
import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.InterfaceSpec;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.NodeInfo;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A cloud that passes every call on to {@code cloud}: a test overrides the one or two verbs whose fault it injects
 * (an answer lost after the change was made, a change made without its answer) and the rest stays the real fake.
 */
abstract class ForwardingCloud implements CloudProvider {

    private final CloudProvider cloud;

    ForwardingCloud(CloudProvider cloud) {
        this.cloud = cloud;
    }

    @Override
    public String name() {
        return cloud.name();
    }

    @Override
    public Capabilities capabilities() {
        return cloud.capabilities();
    }

    @Override
    public NodeInfo describeNode() throws CloudException {
        return cloud.describeNode();
    }

    @Override
    public NetworkInterface createInterface(InterfaceSpec spec) throws CloudException {
        return cloud.createInterface(spec);
    }

    @Override
    public void deleteInterface(String interfaceId) throws CloudException {
        cloud.deleteInterface(interfaceId);
    }

    @Override
    public Assignment assign(String interfaceId, int addresses, int prefixes) throws CloudException {
        return cloud.assign(interfaceId, addresses, prefixes);
    }

    @Override
    public void unassign(String interfaceId, Collection<Ipv4Address> addresses, Collection<Cidr> prefixes)
            throws CloudException {
        cloud.unassign(interfaceId, addresses, prefixes);
    }

    @Override
    public List<NetworkInterface> findOrphanedInterfaces(Map<String, String> ownerTags) throws CloudException {
        return cloud.findOrphanedInterfaces(ownerTags);
    }
}
