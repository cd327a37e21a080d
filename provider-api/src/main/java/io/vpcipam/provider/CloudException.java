package io.vpcipam.provider;

import java.time.Duration;
import java.util.Objects;

/**
 * The only errors a provider may throw. A small closed set, so the pool engine can decide what to do
 * without knowing the cloud: wait and retry ({@link Throttled}), stop growing for a while
 * ({@link CapacityExhausted}), re-read the node ({@link NotFound}, {@link Conflict}), or give up ({@link Fatal}).
 * {@link #code()} keeps the cloud's own error code for logs; {@link #condition()} is a stable label for metrics.
 */
public abstract sealed class CloudException extends Exception
        permits CloudException.Throttled, CloudException.CapacityExhausted, CloudException.NotFound,
        CloudException.Conflict, CloudException.Fatal {

    private final String code;
    private final Duration retryAfter;

    private CloudException(String code, String message, Throwable cause, Duration retryAfter) {
        super(message, cause);
        this.code = Objects.requireNonNullElse(code, "");
        this.retryAfter = retryAfter == null || retryAfter.isNegative() ? Duration.ZERO : retryAfter;
    }

    /**
     * How long the cloud (or the provider's own circuit breaker) says no call will succeed: the wait before the
     * next call. Zero when it gave no hint.
     */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** The cloud's own error code, e.g. {@code RequestLimitExceeded} or {@code SubnetIsFull}. */
    public String code() {
        return code;
    }

    /** Stable metric label: throttled, capacity, not_found, conflict or fatal. */
    public abstract String condition();

    /** Whether the same call may succeed later without anything else changing. */
    public abstract boolean retryable();

    /**
     * The cloud asked us to slow down; {@link #retryAfter()} is its hint (zero when it gave none). From a mutating
     * verb it also promises that nothing of the call was applied (the cloud refused it), so the caller may take the
     * addresses it was about back at once, without a describe. A provider that got partway (an earlier call of the
     * verb applied, a detach done, a retried try that may have been applied) throws a retryable {@link Fatal}
     * instead: the node's state is then in doubt until the next describe.
     */
    public static final class Throttled extends CloudException {

        public Throttled(String code, String message, Duration retryAfter) {
            super(code, message, null, retryAfter);
        }

        @Override
        public String condition() {
            return "throttled";
        }

        @Override
        public boolean retryable() {
            return true;
        }
    }

    /** A limit was hit: the subnet is full, or the instance or interface holds all it may. */
    public static final class CapacityExhausted extends CloudException {
        /** Which limit. */
        public enum Scope {
            /** The subnet has no free addresses or prefixes (EC2 InsufficientFreeAddressesInSubnet / InsufficientCidrBlocks, Azure SubnetIsFull). */
            SUBNET,
            /** The instance has all the interfaces it may (EC2 AttachmentLimitExceeded). */
            INSTANCE_INTERFACES,
            /** The interface has all the addresses it may (EC2 PrivateIpAddressLimitExceeded). */
            INTERFACE_ADDRESSES,
            /** The instance has all the private addresses it may, all interfaces together (Azure: 256 per VM). */
            INSTANCE_ADDRESSES
        }

        private final Scope scope;
        private final int available;

        public CapacityExhausted(String code, String message, Scope scope) {
            this(code, message, scope, -1);
        }

        /** @param available what is left of the limit (free addresses of the subnet), or -1 when unknown */
        public CapacityExhausted(String code, String message, Scope scope, int available) {
            super(code, message, null, Duration.ZERO);
            this.scope = Objects.requireNonNull(scope, "scope");
            this.available = Math.max(-1, available);
        }

        public Scope scope() {
            return scope;
        }

        /**
         * What is still free of the exhausted resource when the cloud said (a SUBNET's free addresses), so the caller
         * can ask for that much instead; -1 when unknown.
         */
        public int available() {
            return available;
        }

        @Override
        public String condition() {
            return "capacity";
        }

        @Override
        public boolean retryable() {
            return false;
        }
    }

    /** The interface, address or instance named does not exist (any more). */
    public static final class NotFound extends CloudException {
        public NotFound(String code, String message) {
            super(code, message, null, Duration.ZERO);
        }

        @Override
        public String condition() {
            return "not_found";
        }

        @Override
        public boolean retryable() {
            return false;
        }
    }

    /** The cloud's state changed under us (address in use, concurrent update, attachment in progress). */
    public static final class Conflict extends CloudException {
        public Conflict(String code, String message) {
            super(code, message, null, Duration.ZERO);
        }

        @Override
        public String condition() {
            return "conflict";
        }

        @Override
        public boolean retryable() {
            return true;
        }
    }

    /** Anything else: bad credentials, permission denied, a malformed answer, an unreachable endpoint. */
    public static final class Fatal extends CloudException {
        private final boolean transientFault;
        private final boolean denied;

        /**
         * The cloud refused the call for lack of permission (EC2 UnauthorizedOperation, ARM AuthorizationFailed, an
         * HTTP 401/403): the node's role or policy lacks it; retrying will not help until an operator grants it.
         */
        public static Fatal denied(String code, String message, Throwable cause) {
            return new Fatal(code, message, cause, false, Duration.ZERO, true);
        }

        public Fatal(String code, String message, Throwable cause) {
            this(code, message, cause, false);
        }

        /** @param transientFault true for timeouts and 5xx, which may pass on their own */
        public Fatal(String code, String message, Throwable cause, boolean transientFault) {
            this(code, message, cause, transientFault, Duration.ZERO);
        }

        /**
         * @param transientFault true for timeouts and 5xx, which may pass on their own
         * @param retryAfter     how long calls will keep failing, when the provider knows (its circuit breaker is
         *                       open for that long); zero when unknown
         */
        public Fatal(String code, String message, Throwable cause, boolean transientFault, Duration retryAfter) {
            this(code, message, cause, transientFault, retryAfter, false);
        }

        private Fatal(String code, String message, Throwable cause, boolean transientFault, Duration retryAfter,
                      boolean denied) {
            super(code, message, cause, retryAfter);
            this.transientFault = transientFault;
            this.denied = denied;
        }

        /** Whether the cloud said the node lacks the permission for the call (see {@link #denied}). */
        public boolean permissionDenied() {
            return denied;
        }

        @Override
        public String condition() {
            return transientFault ? "unavailable" : "fatal";
        }

        @Override
        public boolean retryable() {
            return transientFault;
        }
    }
}
