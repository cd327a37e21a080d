package io.vpcipam.provider;

import java.time.Duration;

/**
 * Metrics hooks a provider calls around each cloud API call. Called on the calling thread; must be cheap and
 * must not throw.
 */
public interface CloudCallListener {

    /** A listener that records nothing. */
    CloudCallListener NOOP = new CloudCallListener() {
    };

    /**
     * One API call finished.
     *
     * @param verb       the cloud's operation name, e.g. {@code AssignPrivateIpAddresses}
     * @param elapsed    wall time of the call, retries included
     * @param condition  null on success, else {@link CloudException#condition()} of the final error
     */
    default void onCall(String verb, Duration elapsed, String condition) {
    }

    /** The cloud throttled one attempt of {@code verb} (the call may still succeed on retry). */
    default void onThrottle(String verb) {
    }

    /** A call waited {@code waited} for the node's own rate limiter before it was sent. */
    default void onLimiterWait(String verb, Duration waited) {
    }
}
