package io.vpcipam.provider.aws;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.Limits;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An {@link Ec2} that passes every call on; tests override one method to model an endpoint's quirk. */
class ForwardingEc2 implements Ec2 {

    private final Ec2 d;

    ForwardingEc2(Ec2 delegate) {
        this.d = delegate;
    }

    @Override
    public Instance describeInstance(String instanceId) {
        return d.describeInstance(instanceId);
    }

    @Override
    public List<Eni> enisOfInstance(String instanceId) {
        return d.enisOfInstance(instanceId);
    }

    @Override
    public Eni eni(String eniId) {
        return d.eni(eniId);
    }

    @Override
    public List<Eni> availableEnis(Map<String, String> tags) {
        return d.availableEnis(tags);
    }

    @Override
    public List<SubnetInfo> subnets(Collection<String> subnetIds) {
        return d.subnets(subnetIds);
    }

    @Override
    public List<SubnetInfo> subnetsInZone(String vpcId, String zone) {
        return d.subnetsInZone(vpcId, zone);
    }

    @Override
    public List<Cidr> vpcCidrs(String vpcId) {
        return d.vpcCidrs(vpcId);
    }

    @Override
    public Optional<Limits> instanceTypeLimits(String instanceType) {
        return d.instanceTypeLimits(instanceType);
    }

    @Override
    public Eni createEni(String clientToken, String subnetId, List<String> groups, int addresses, int prefixes,
                         Map<String, String> tags, String description) {
        return d.createEni(clientToken, subnetId, groups, addresses, prefixes, tags, description);
    }

    @Override
    public String attach(String eniId, String instanceId, int deviceIndex) {
        return d.attach(eniId, instanceId, deviceIndex);
    }

    @Override
    public void deleteOnTermination(String eniId, String attachmentId) {
        d.deleteOnTermination(eniId, attachmentId);
    }

    @Override
    public void detach(String attachmentId) {
        d.detach(attachmentId);
    }

    @Override
    public void deleteEni(String eniId) {
        d.deleteEni(eniId);
    }

    @Override
    public List<Ipv4Address> assignAddresses(String eniId, int count) {
        return d.assignAddresses(eniId, count);
    }

    @Override
    public List<Cidr> assignPrefixes(String eniId, int count) {
        return d.assignPrefixes(eniId, count);
    }

    @Override
    public void unassign(String eniId, List<Ipv4Address> addresses, List<Cidr> prefixes) {
        d.unassign(eniId, addresses, prefixes);
    }

    @Override
    public void close() {
        d.close();
    }
}
