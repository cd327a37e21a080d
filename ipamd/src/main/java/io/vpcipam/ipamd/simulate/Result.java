package io.vpcipam.ipamd.simulate;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What one simulation found. Times are virtual; counts of ADDs and calls are from the end of the warm-up on
 * (the fleet's boot is not part of the workload).
 *
 * @param scenario       the inputs
 * @param nodesAtEnd     nodes running when the run ended
 * @param adds           ADDs that got an address
 * @param waited         of them, ADDs that found the pool empty and waited
 * @param pastTimeout    ADDs that waited longer than the ADD timeout (IPAMD_ADD_TIMEOUT): ipamd would have failed
 *                       them, and kubelet retried
 * @param nodeFull       ADDs refused because their node was at its limits with every address in use
 * @param stillWaiting   ADDs still waiting when the run ended
 * @param p50            time-to-IP, median
 * @param p99            time-to-IP, 99th percentile
 * @param max            time-to-IP, worst
 * @param idleMean       addresses held but not assigned, fleet-wide, mean over the samples (the waste)
 * @param idlePeak       the same, largest sample
 * @param sampleSeconds  the sample times, seconds from the end of the warm-up
 * @param idleSeries     idle addresses at each sample
 * @param subnets        each subnet's use
 * @param subnetRefusals growth calls a subnet refused for want of addresses (exhaustion events)
 * @param firstRefusal   virtual time of the first, from the end of the warm-up; null = none
 * @param calls          cloud calls by EC2 operation
 * @param throttled      calls the account's token bucket refused, by operation
 * @param passes         reconciler passes, all nodes
 * @param events         scheduler events run
 * @param wall           real time the run took
 * @param waits          every ADD's time-to-IP in nanoseconds, sorted (for comparisons such as the agreement test)
 */
public record Result(Scenario scenario, int nodesAtEnd, long adds, long waited, long pastTimeout, long nodeFull,
                     long stillWaiting, Duration p50, Duration p99, Duration max, double idleMean, long idlePeak,
                     double[] sampleSeconds, double[] idleSeries, List<SubnetStat> subnets, long subnetRefusals,
                     Duration firstRefusal, Map<String, Long> calls, Map<String, Long> throttled, long passes,
                     long events, Duration wall, long[] waits) {

    /**
     * One subnet over the run.
     *
     * @param cidr   the block
     * @param usable addresses instances can get
     * @param peak   most addresses in use at a sample
     * @param series addresses in use at each sample
     */
    public record SubnetStat(String cidr, int usable, int peak, double[] series) {
        /** Peak use as a share of the usable addresses. */
        public double peakShare() {
            return usable == 0 ? 1 : (double) peak / usable;
        }
    }

    /** All cloud calls. */
    public long totalCalls() {
        return calls.values().stream().mapToLong(Long::longValue).sum();
    }

    /** All throttled calls. */
    public long totalThrottled() {
        return throttled.values().stream().mapToLong(Long::longValue).sum();
    }
}
