package io.vpcipam.ipamd.pool;

/**
 * The pool's arithmetic: how many addresses to ask for and how many may go back. Pure functions over ints,
 * no I/O, clock, lock or logging, so table tests and properties pin them down
 * (after cilium's {@code calculateNeededIPs} / {@code calculateExcessIPs}).
 *
 * <p>Counts are addresses. {@code free} excludes cooling addresses: unlike the AWS CNI, an address in its
 * cool-down is not available, so the warm target is met by addresses a pod can really get now.
 * {@code demand} is the number of ADDs waiting for an address; they are served before the warm target.
 */
public final class PoolMath {

    private PoolMath() {
    }

    /**
     * Free addresses the targets ask for on top of waiting demand.
     *
     * @param targets             the configured targets
     * @param addressesPerInterface secondary addresses one interface can hold (prefix members in prefix mode)
     * @param addressesPerPrefix  16 for a /28; 1 when not in prefix mode
     */
    public static int warmAddresses(Targets targets, int addressesPerInterface, int addressesPerPrefix) {
        if (targets.addressTargets()) {
            return targets.warmIp();
        }
        if (targets.prefixMode()) {
            return saturatedMultiply(targets.warmPrefix(), addressesPerPrefix);
        }
        return saturatedMultiply(targets.warmEni(), addressesPerInterface);
    }

    /**
     * Addresses to add now: enough for the waiting ADDs plus the warm target, and up to the minimum, never
     * beyond what the node can hold.
     *
     * @param total    addresses held (free, assigned, cooling, releasing), interface primaries excluded
     * @param free     addresses an ADD could take now
     * @param demand   ADDs waiting
     * @param warm     {@link #warmAddresses}
     * @param minimum  MINIMUM_IP_TARGET
     * @param capacity addresses the node can hold at its limits
     */
    public static int neededAddresses(int total, int free, int demand, int warm, int minimum, int capacity) {
        checkCounts(total, free, demand, capacity);
        long shortOfWarm = (long) warm + demand - free;
        long shortOfMinimum = (long) minimum - total;
        long room = Math.max(0, (long) capacity - total);
        return (int) Math.min(room, Math.max(0, Math.max(shortOfWarm, shortOfMinimum)));
    }

    /**
     * Addresses that could go back without dropping below the warm target (after waiting demand) or the minimum.
     * Never positive when {@link #neededAddresses} is.
     */
    public static int excessAddresses(int total, int free, int demand, int warm, int minimum) {
        checkCounts(total, free, demand, Integer.MAX_VALUE);
        long surplus = (long) free - demand - warm;
        long aboveMinimum = (long) total - minimum;
        return (int) Math.max(0, Math.min(surplus, aboveMinimum));
    }

    /** Whole units (prefixes) needed to cover {@code addresses}. */
    public static int unitsFor(int addresses, int addressesPerUnit) {
        if (addressesPerUnit < 1) {
            throw new IllegalArgumentException("addressesPerUnit must be >= 1, got " + addressesPerUnit);
        }
        return addresses <= 0 ? 0 : (int) (((long) addresses + addressesPerUnit - 1) / addressesPerUnit);
    }

    /** Addresses the node can hold: interfaces x slots x addresses per slot. */
    public static int capacity(int maxInterfaces, int slotsPerInterface, int addressesPerSlot) {
        return (int) Math.min(Integer.MAX_VALUE, (long) maxInterfaces * slotsPerInterface * addressesPerSlot);
    }

    /**
     * The release threshold: the pool shrinks only when the excess reaches it, so one pod leaving just above the
     * target does not cost a cloud call that the next pod undoes (half the warm target, at least one).
     */
    public static int shrinkThreshold(int warm) {
        return Math.max(1, warm / 2);
    }

    private static int saturatedMultiply(int a, int b) {
        return (int) Math.min(Integer.MAX_VALUE, (long) a * b);
    }

    /** Pods per node at most for nodes with up to 30 vCPUs, and above (the EKS max-pods calculator's caps). */
    public static final int MAX_PODS_SMALL = 110;
    /** See {@link #MAX_PODS_SMALL}. */
    public static final int MAX_PODS_LARGE = 250;

    /**
     * kubelet's --max-pods for a node, as the EKS max-pods calculator (amazon-eks-ami max-pods-calculator.sh) works it
     * out: interfaces x (addresses per interface - 1), times 16 with /28 prefixes, plus 2 host-network pods (aws-node,
     * kube-proxy); custom networking leaves the primary interface out; capped at {@value #MAX_PODS_SMALL} for up to
     * 30 vCPUs and {@value #MAX_PODS_LARGE} above unless {@code uncapped} (the calculator's --show-max-allowed, the
     * figures of eni-max-pods.txt).
     */
    public static int maxPods(int interfaces, int addressesPerInterface, int vcpus, boolean prefixes,
                              boolean customNetworking, boolean uncapped) {
        if (interfaces < 1 || addressesPerInterface < 1 || vcpus < 1) {
            throw new IllegalArgumentException("bad instance limits: interfaces=" + interfaces
                    + " addressesPerInterface=" + addressesPerInterface + " vcpus=" + vcpus);
        }
        long usable = Math.max(0, interfaces - (customNetworking ? 1 : 0));
        long perInterface = (long) (addressesPerInterface - 1) * (prefixes ? 16 : 1);
        int podAddresses = (int) Math.min(Integer.MAX_VALUE - 2, usable * perInterface);
        return kubeletMaxPods(podAddresses, uncapped ? 0 : vcpus);
    }

    /**
     * The same figure from the pod addresses a node can hold (the pool's capacity, which knows MAX_ENI and the
     * interfaces it may not use): {@code podAddresses} + 2 host-network pods, capped by {@code vcpus} as
     * {@link #maxPods} caps (no cap when {@code vcpus} is 0: unknown).
     */
    public static int kubeletMaxPods(int podAddresses, int vcpus) {
        long pods = (long) podAddresses + 2;
        if (vcpus > 0) {
            pods = Math.min(pods, vcpus > 30 ? MAX_PODS_LARGE : MAX_PODS_SMALL);
        }
        return (int) Math.min(Integer.MAX_VALUE, pods);
    }

    private static void checkCounts(int total, int free, int demand, int capacity) {
        if (total < 0 || free < 0 || demand < 0 || capacity < 0 || free > total) {
            throw new IllegalArgumentException(
                    "bad pool counts: total=" + total + " free=" + free + " demand=" + demand + " capacity=" + capacity);
        }
    }
}
