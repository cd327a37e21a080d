package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.NetworkInterface;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How the AWS provider reads an {@link Ec2.Eni}: whether it is attached to this node, as the SPI's
 * {@link NetworkInterface}, whether ipamd may change it, and the errors every verb that changes one may end in.
 * Pure functions, shared by the address calls ({@link AwsProvider}) and the interface life cycle
 * ({@link EniLifecycle}).
 */
final class Enis {

    private Enis() {
    }

    /** Whether {@code e} is attached (not detaching) to {@code instanceId}. */
    static boolean attachedTo(Ec2.Eni e, String instanceId) {
        Ec2.Attachment a = e.attachment();
        return a != null && instanceId.equals(a.instanceId()) && a.deviceIndex() >= 0
                && !"detaching".equals(a.status()) && !"detached".equals(a.status());
    }

    /** The lowest device index from 1 that none of {@code attached} uses. */
    static int lowestFreeIndex(List<Ec2.Eni> attached) {
        Set<Integer> used = new HashSet<>();
        attached.forEach(e -> used.add(e.attachment().deviceIndex()));
        int i = 1;
        while (used.contains(i)) {
            i++;
        }
        return i;
    }

    /** The SPI's view of {@code e} at {@code deviceIndex} ({@link NetworkInterface#DETACHED} for a detached one). */
    static NetworkInterface toInterface(Ec2.Eni e, int deviceIndex) {
        int card = e.attachment() == null || deviceIndex == NetworkInterface.DETACHED ? 0 : e.attachment().networkCard();
        return new NetworkInterface(e.id(), e.mac(), deviceIndex, e.subnetId(), e.primary(), e.secondaries(),
                e.prefixes(), e.tags(), card);
    }

    /**
     * ipamd never names an excluded ENI (no_manage tag, another network card) in a mutating call; should a bug make
     * it, the ENI is refused here, after the describe every such call makes anyway, instead of being changed.
     */
    static void refuseExcluded(Ec2.Eni e, String what) throws CloudException {
        NetworkInterface view = toInterface(e, e.attachment() == null ? NetworkInterface.DETACHED
                : Math.max(0, e.attachment().deviceIndex()));
        if (!view.usable()) {
            throw new CloudException.Fatal("OperationNotPermitted", "refusing to " + what + " " + e.id() + ": "
                    + view.exclusion().label() + " (never managed by ipamd)", null);
        }
    }

    /**
     * The SPI's {@link CloudException.Throttled} promises that nothing of the verb was applied; once part of it was
     * (a detach, an earlier chunk), a later throttle leaves the node's state in doubt, which only a describe settles.
     */
    static CloudException partlyApplied(CloudException.Throttled e, String done) {
        return new CloudException.Fatal(e.code(), e.getMessage() + " (after " + done + " was applied)", e, true);
    }

    /** EC2 took a prefix count and added fewer prefixes: the endpoint does not delegate prefixes. */
    static CloudException prefixesIgnored(String eniId, int asked, int got) {
        return new CloudException.Fatal("PrefixNotAssigned", "EC2 accepted Ipv4PrefixCount=" + asked + " for "
                + eniId + " but the interface shows " + got + " new prefixes; this endpoint does not implement prefix"
                + " delegation (moto ignores it): set " + AwsSettings.PREFIX_DELEGATION + "=false", null);
    }
}
