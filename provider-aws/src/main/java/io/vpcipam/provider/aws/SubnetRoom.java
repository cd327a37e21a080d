package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudException;

import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Where a new ENI goes (subnet discovery) and whether a subnet has room for a growth (the near-full-subnet read):
 * every DescribeSubnets a mutating call makes. EC2's {@code AvailableIpAddressCount} is read fresh each time, never
 * cached: other nodes take from the same subnet.
 */
final class SubnetRoom {

    /** The tag (any value) that offers a subnet to subnet discovery, as aws-node reads it. */
    static final String CNI_SUBNET_TAG = "kubernetes.io/role/cni";

    private static final Logger LOG = Logger.getLogger(SubnetRoom.class.getName());

    private final Ec2 ec2;
    private final Guard guard;
    private final boolean discovery;

    SubnetRoom(Ec2 ec2, Guard guard, boolean discovery) {
        this.ec2 = ec2;
        this.guard = guard;
        this.discovery = discovery;
    }

    /**
     * Refuses, before EC2 is asked, a growth the subnet cannot hold: EC2 would refuse it whole
     * (InsufficientFreeAddressesInSubnet) and ipamd would get nothing, where the subnet's last addresses could still
     * serve pods. The refusal carries what the subnet has, so the reconciler asks for that instead (issue 13.10); it
     * also keeps emulators that never run out (moto) honest. One DescribeSubnets per growth call, never on an idle
     * node; EC2's count can lag, so a refusal from EC2 itself is answered the same way ({@link #withSubnetFree}).
     */
    void fits(String subnetId, int addresses, String what) throws CloudException {
        refuseIfShort(subnetId, free(subnetId), addresses, what);
    }

    /** The refusal of {@link #fits} for a subnet known to have {@code free} addresses (-1: EC2 did not say). */
    static void refuseIfShort(String subnetId, int free, int addresses, String what) throws CloudException {
        if (free >= 0 && free < addresses) {
            throw new CloudException.CapacityExhausted("InsufficientFreeAddressesInSubnet", "subnet " + subnetId
                    + " has " + free + " free addresses (AvailableIpAddressCount); " + what + " needs " + addresses,
                    CloudException.CapacityExhausted.Scope.SUBNET, free);
        }
    }

    /**
     * The subnet a new ENI goes to, with its free count read now (one DescribeSubnets). {@code asked} as ipamd chose
     * it (IPAMD_POD_SUBNET, the node's NetworkConfig, or the primary ENI's subnet); with subnet discovery on and
     * {@code asked} the primary's subnet (ipamd's default), aws-node's choice instead: the subnet with the most free
     * addresses among the primary's and those of the node's VPC and zone tagged {@value #CNI_SUBNET_TAG} (the
     * primary's on a tie). An explicit choice is never overridden, as aws-node's custom networking is not.
     */
    Ec2.SubnetInfo placement(Ec2.Instance self, String asked) throws CloudException {
        if (!discovery || !asked.equals(self.subnetId())) {
            List<Ec2.SubnetInfo> found = guard.call("DescribeSubnets", () -> ec2.subnets(List.of(asked)));
            return found.isEmpty() ? new Ec2.SubnetInfo(asked, null, "", "", -1, Map.of()) : found.getFirst();
        }
        List<Ec2.SubnetInfo> zone = guard.call("DescribeSubnets", () -> ec2.subnetsInZone(self.vpcId(), self.zone()));
        Ec2.SubnetInfo best = null;
        for (Ec2.SubnetInfo s : zone) {
            if (s.id().equals(asked)) {
                best = s;
            }
        }
        for (Ec2.SubnetInfo s : zone) {
            if (s.tags().containsKey(CNI_SUBNET_TAG) && !s.id().equals(asked)
                    && (best == null || s.available() > best.available())) {
                best = s;
            }
        }
        if (best == null) {
            return new Ec2.SubnetInfo(asked, null, "", "", -1, Map.of());
        }
        if (!best.id().equals(asked)) {
            LOG.info("subnet discovery: new interface in " + best.id() + " (" + best.available() + " free, tagged "
                    + CNI_SUBNET_TAG + ") rather than the primary's " + asked);
        }
        return best;
    }

    /** EC2's own subnet refusal, with what the subnet has (read now) when EC2's answer did not say. */
    CloudException withSubnetFree(CloudException.CapacityExhausted e, String subnetId) {
        if (e.scope() != CloudException.CapacityExhausted.Scope.SUBNET || e.available() >= 0
                || !"InsufficientFreeAddressesInSubnet".equals(e.code())) {
            return e; // InsufficientCidrBlocks: free addresses do not say whether an aligned /28 is free
        }
        try {
            int free = free(subnetId);
            return free < 0 ? e : new CloudException.CapacityExhausted(e.code(), e.getMessage() + " (the subnet has "
                    + free + " free)", e.scope(), free);
        } catch (CloudException readFailed) {
            e.addSuppressed(readFailed);
            return e;
        }
    }

    /** The subnet's free addresses now (DescribeSubnets AvailableIpAddressCount), -1 when EC2 does not say. */
    private int free(String subnetId) throws CloudException {
        List<Ec2.SubnetInfo> found = guard.call("DescribeSubnets", () -> ec2.subnets(List.of(subnetId)));
        return found.isEmpty() ? -1 : found.getFirst().available();
    }
}
