package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudException.CapacityExhausted.Scope;

import java.time.Duration;
import java.util.Set;

/**
 * EC2 error codes onto the SPI's closed error set, and which failures are worth retrying. The codes are those of the
 * EC2 API reference ("Error codes for the Amazon EC2 API") that ENI and address calls return.
 */
final class ErrorMapping {

    /** Codes EC2 uses when the account's API budget is spent. */
    static final Set<String> THROTTLING = Set.of("RequestLimitExceeded", "Throttling", "ThrottlingException",
            "RequestThrottled", "RequestThrottledException", "TooManyRequestsException", "EC2ThrottledException",
            "SlowDown");

    private static final Set<String> SUBNET_FULL = Set.of("InsufficientFreeAddressesInSubnet",
            "InsufficientCidrBlocks", "InsufficientAddressCapacity");
    private static final Set<String> INSTANCE_FULL = Set.of("AttachmentLimitExceeded",
            "NetworkInterfaceLimitExceeded");
    private static final Set<String> INTERFACE_FULL = Set.of("PrivateIpAddressLimitExceeded",
            "Ipv4PrefixLimitExceeded");
    private static final Set<String> CONFLICT = Set.of("InvalidNetworkInterface.InUse", "InvalidIPAddress.InUse",
            "IncorrectState", "IncorrectInstanceState", "InvalidAttachment.InUse", "ConcurrentTagAccess",
            "IdempotentParameterMismatch", "InvalidNetworkInterface.InvalidState");

    /** Codes EC2 (and STS behind the SDK) use when the caller lacks the permission for the call. */
    private static final Set<String> DENIED = Set.of("UnauthorizedOperation", "AuthFailure", "AccessDenied",
            "AccessDeniedException", "UnauthorizedAccess", "OptInRequired", "Blocked");

    private ErrorMapping() {
    }

    /** Whether this code means "slow down". HTTP 429 and 503 count too. */
    static boolean throttled(ApiError e) {
        return THROTTLING.contains(e.code()) || e.status() == 429 || e.status() == 503;
    }

    /** Whether the guard retries the call: throttling, 5xx and network failures; never a definite answer. */
    static boolean retryable(ApiError e) {
        if (ApiError.LIMITER_TIMEOUT.equals(e.code()) || ApiError.CIRCUIT_OPEN.equals(e.code())) {
            return false;
        }
        return throttled(e) || e.transientFault();
    }

    /** The SPI error for an EC2 failure of {@code verb}; {@code retryAfter} is the hint given with throttling. */
    static CloudException map(String verb, ApiError e, Duration retryAfter) {
        String code = e.code();
        String message = verb + ": " + e;
        if (throttled(e) || ApiError.LIMITER_TIMEOUT.equals(code)) {
            return new CloudException.Throttled(code, message, retryAfter);
        }
        if (SUBNET_FULL.contains(code)) {
            return new CloudException.CapacityExhausted(code, message, Scope.SUBNET);
        }
        if (INSTANCE_FULL.contains(code)) {
            return new CloudException.CapacityExhausted(code, message, Scope.INSTANCE_INTERFACES);
        }
        if (INTERFACE_FULL.contains(code)) {
            return new CloudException.CapacityExhausted(code, message, Scope.INTERFACE_ADDRESSES);
        }
        if (code.endsWith(".NotFound")) {
            return new CloudException.NotFound(code, message);
        }
        if (CONFLICT.contains(code)) {
            return new CloudException.Conflict(code, message);
        }
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        if (DENIED.contains(code) || e.status() == 401 || e.status() == 403) {
            return CloudException.Fatal.denied(code, message, cause);
        }
        return new CloudException.Fatal(code, message, cause, e.transientFault() || ApiError.CIRCUIT_OPEN.equals(code));
    }
}
