package io.vpcipam.provider.aws;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.Limits;
import io.vpcipam.provider.Subnet;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The node's reads that cannot change, or change slowly, cached so that a warm describeNode is one
 * DescribeNetworkInterfaces call: the instance (type, zone, VPC, subnet), subnets' CIDRs and the type's limits
 * (read once), and the VPC's blocks (re-read every 10 minutes: a secondary CIDR can be added). Thread-safe: a
 * race reads twice and keeps either answer, both true.
 */
final class NodeReads {

    private static final Logger LOG = Logger.getLogger(NodeReads.class.getName());
    private static final Duration VPC_REFRESH = Duration.ofMinutes(10);

    private final Ec2 ec2;
    private final Guard guard;
    private final String instanceId;
    private final InstantSource clock;
    private final Map<String, Subnet> subnets = new ConcurrentHashMap<>();
    private final Map<String, Limits> limits = new ConcurrentHashMap<>();
    private volatile Ec2.Instance instance;
    private volatile List<Cidr> vpcCidrs;
    private volatile Instant vpcReadAt = Instant.MIN;

    NodeReads(Ec2 ec2, Guard guard, String instanceId, InstantSource clock) {
        this.ec2 = ec2;
        this.guard = guard;
        this.instanceId = instanceId;
        this.clock = clock;
    }

    /** The node's instance (DescribeInstances once). */
    Ec2.Instance instance() throws CloudException {
        Ec2.Instance i = instance;
        if (i == null) {
            i = guard.call("DescribeInstances", () -> ec2.describeInstance(instanceId));
            instance = i;
        }
        return i;
    }

    /** DescribeInstanceTypes once per type; the built-in table when EC2 cannot say. */
    Limits limits(String type) throws CloudException {
        Limits cached = limits.get(type);
        if (cached != null) {
            return cached;
        }
        Optional<Limits> fromEc2;
        try {
            fromEc2 = guard.call("DescribeInstanceTypes", () -> ec2.instanceTypeLimits(type));
        } catch (CloudException e) {
            Optional<Limits> table = InstanceLimits.builtIn(type);
            if (table.isEmpty()) {
                if (e instanceof CloudException.Throttled) {
                    throw e; // worth asking again soon
                }
                throw new CloudException.Fatal(e.code(), "no limits for instance type '" + type
                        + "': DescribeInstanceTypes failed (" + e.getMessage() + ") and the built-in table lacks it",
                        e, e.retryable());
            }
            LOG.warning("DescribeInstanceTypes failed for " + type + " (" + e.getMessage()
                    + "); using the built-in table: " + table.get());
            return table.get(); // not cached: EC2 is asked again next time
        }
        Limits found = fromEc2.or(() -> InstanceLimits.builtIn(type)).orElseThrow(() -> new CloudException.Fatal(
                "InvalidInstanceType", "EC2 knows no limits for instance type '" + type
                        + "' and the built-in table has none", null));
        limits.put(type, found);
        return found;
    }

    /** The subnets {@code ids}, in that order (DescribeSubnets for those not read before). */
    List<Subnet> subnets(Set<String> ids) throws CloudException {
        List<String> missing = ids.stream().filter(id -> !subnets.containsKey(id)).toList();
        if (!missing.isEmpty()) {
            for (Ec2.SubnetInfo s : guard.call("DescribeSubnets", () -> ec2.subnets(missing))) {
                subnets.put(s.id(), new Subnet(s.id(), s.cidr(), s.zone(), null));
            }
        }
        List<Subnet> out = new ArrayList<>();
        for (String id : ids) {
            Subnet s = subnets.get(id);
            if (s == null) {
                throw new CloudException.NotFound("InvalidSubnetID.NotFound", "DescribeSubnets: no subnet " + id);
            }
            out.add(s);
        }
        return out;
    }

    /** The VPC's blocks, read again once the last read is 10 minutes old. */
    List<Cidr> vpcCidrs(String vpcId) throws CloudException {
        Instant now = clock.instant();
        List<Cidr> cached = vpcCidrs;
        if (cached == null || !now.isBefore(vpcReadAt.plus(VPC_REFRESH))) {
            cached = guard.call("DescribeVpcs", () -> ec2.vpcCidrs(vpcId));
            vpcCidrs = cached;
            vpcReadAt = now;
        }
        return cached;
    }
}
