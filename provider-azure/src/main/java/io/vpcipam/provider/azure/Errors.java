package io.vpcipam.provider.azure;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudException.CapacityExhausted.Scope;

import java.util.Set;

/**
 * ARM's error codes onto the SPI's small closed set. The code decides first (a failed long-running operation
 * reports its error with status 200), the HTTP status second.
 */
final class Errors {

    /** Subnet exhausted. */
    static final Set<String> SUBNET_FULL = Set.of("SubnetIsFull", "InsufficientSubnetSize",
            "PrivateIPAddressNotAvailable");
    /** Too many ip-configurations on the NIC (or private addresses on the VM). */
    static final Set<String> INTERFACE_FULL = Set.of("MaxNumberOfIpConfigurationsPerNicReached",
            "PrivateIPAddressesPerNicLimitReached", "QuotaExceeded");
    /** Too many private addresses on the VM, all its NICs together. */
    static final Set<String> VM_FULL = Set.of("PrivateIPAddressesPerVmLimitReached");
    /** The cloud's state moved under us: worth a re-read and another try. */
    static final Set<String> CONFLICT = Set.of("PrivateIPAddressInUse", "NicReservedForAnotherVm",
            "AnotherOperationInProgress", "PreconditionFailed", "Conflict", "NicInUse",
            "OperationNotAllowed", "ReferencedResourceNotProvisioned", "CanceledAndSupersededDueToAnotherOperation");
    /** Gone. */
    static final Set<String> NOT_FOUND = Set.of("NotFound", "ResourceNotFound", "ResourceGroupNotFound",
            "InvalidResourceReference", "NetworkInterfaceNotFound", "SubnetNotFound");
    /** Throttling codes ARM and the resource providers use with 429. */
    static final Set<String> THROTTLED = Set.of("TooManyRequests", "SubscriptionRequestsThrottled",
            "ResourceRequestsThrottled", "TenantRequestsThrottled");
    /** Codes that say "try again" whatever the status. */
    static final Set<String> TRANSIENT_CODES = Set.of("RetryableError", "InternalServerError",
            "ServiceUnavailable", "GatewayTimeout", "InternalServerErrorRetryable");

    /** The caller (the node's managed identity) lacks the role assignment, or its token is not accepted. */
    static final Set<String> DENIED = Set.of("AuthorizationFailed", "LinkedAuthorizationFailed",
            "InvalidAuthenticationToken", "InvalidAuthenticationTokenTenant", "AuthenticationFailed",
            "ExpiredAuthenticationToken");

    private Errors() {
    }

    /** The SPI error for one ARM error. */
    static CloudException map(ArmException e) {
        String code = e.code();
        String message = e.getMessage();
        if (e.throttled() || THROTTLED.contains(code)) {
            return new CloudException.Throttled(code.isEmpty() ? "TooManyRequests" : code, message, e.retryAfter());
        }
        if (SUBNET_FULL.contains(code)) {
            return new CloudException.CapacityExhausted(code, message, Scope.SUBNET);
        }
        if (VM_FULL.contains(code)) {
            return new CloudException.CapacityExhausted(code, message, Scope.INSTANCE_ADDRESSES);
        }
        if (INTERFACE_FULL.contains(code)) {
            return new CloudException.CapacityExhausted(code, message, Scope.INTERFACE_ADDRESSES);
        }
        if (CONFLICT.contains(code) || e.status() == 409 || e.status() == 412) {
            return new CloudException.Conflict(code.isEmpty() ? "Conflict" : code, message);
        }
        if (NOT_FOUND.contains(code) || e.status() == 404) {
            return new CloudException.NotFound(code.isEmpty() ? "NotFound" : code, message);
        }
        if (DENIED.contains(code) || e.status() == 401 || e.status() == 403) {
            return CloudException.Fatal.denied(code.isEmpty() ? "Http" + e.status() : code, message, e);
        }
        return new CloudException.Fatal(code.isEmpty() ? "Http" + e.status() : code, message, e, e.transientFault());
    }
}
