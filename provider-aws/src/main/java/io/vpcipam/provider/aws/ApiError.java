package io.vpcipam.provider.aws;

/**
 * One failed EC2 call, as the {@link Ec2} seam reports it: the AWS error code (or a code of ours for failures that
 * never reached EC2), the HTTP status (0 when there was none) and whether the failure may pass on its own. The SDK
 * seam and the in-memory fake throw the same thing, so error mapping and retries are tested without a network.
 */
final class ApiError extends RuntimeException {

    /** Our code for a call that never got an answer: connection refused, reset, timed out. */
    static final String NETWORK = "NetworkError";
    /** Our code for an answer we could not read (moto answers unsupported filters with an HTML 500 page). */
    static final String MALFORMED = "MalformedResponse";
    /** Our code for a call that waited too long for the node's own rate limiter. */
    static final String LIMITER_TIMEOUT = "RateLimiterTimeout";
    /** Our code for a call refused because the circuit breaker is open. */
    static final String CIRCUIT_OPEN = "CircuitOpen";

    private final String code;
    private final int status;
    private final boolean transientFault;

    ApiError(String code, int status, String message, boolean transientFault, Throwable cause) {
        super(message, cause);
        this.code = code == null || code.isBlank() ? (status >= 500 ? "InternalError" : "Unknown") : code;
        this.status = status;
        this.transientFault = transientFault;
    }

    /** An EC2 error answer. */
    static ApiError of(String code, int status, String message) {
        return new ApiError(code, status, message, status >= 500, null);
    }

    String code() {
        return code;
    }

    int status() {
        return status;
    }

    /** True for network failures and 5xx answers: the same call may succeed later. */
    boolean transientFault() {
        return transientFault || status >= 500;
    }

    @Override
    public String toString() {
        return code + (status > 0 ? " (HTTP " + status + ")" : "") + ": " + getMessage();
    }
}
