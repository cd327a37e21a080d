package io.vpcipam.ipamd.pool;

import io.vpcipam.provider.CloudException.CapacityExhausted.Scope;

import java.time.Instant;

/**
 * The cloud (or the provider, seeing the request could not fit) refused a growth for capacity, and growth is paused:
 * the typed form of what explain says in words, for a Kubernetes Warning Event, the
 * {@code vpc_ipam_capacity_refusals_total} counter and introspection's {@code engine.lastCapacityRefusal}.
 *
 * @param at                when it was refused
 * @param interfaceId       the interface the growth was for, or null for a new interface
 * @param scope             what ran out
 * @param code              the cloud's code, e.g. {@code PrivateIPAddressesPerVmLimitReached}, {@code SubnetIsFull}
 * @param message           the cloud's message
 * @param inARow            limit refusals in a row (1 for a subnet refusal: it waits IPAMD_SUBNET_BACKOFF each time)
 * @param growthPausedUntil no growth is asked of the cloud before then
 */
public record CapacityRefusal(Instant at, String interfaceId, Scope scope, String code, String message, int inARow,
                              Instant growthPausedUntil) {

    /** Every {@link #reason()}, for metric labels present from the first scrape. */
    public static final java.util.List<String> REASONS = java.util.Arrays.stream(Scope.values())
            .map(CapacityRefusal::reason).toList();

    /**
     * A stable CamelCase reason, one per scope, fit for an Event's {@code reason} and a metric label:
     * {@code SubnetExhausted}, {@code InstanceInterfaceLimit}, {@code InterfaceAddressLimit},
     * {@code InstanceAddressLimit} (Azure's 256 private addresses per VM).
     */
    public String reason() {
        return reason(scope);
    }

    static String reason(Scope scope) {
        return switch (scope) {
            case SUBNET -> "SubnetExhausted";
            case INSTANCE_INTERFACES -> "InstanceInterfaceLimit";
            case INTERFACE_ADDRESSES -> "InterfaceAddressLimit";
            case INSTANCE_ADDRESSES -> "InstanceAddressLimit";
        };
    }
}
