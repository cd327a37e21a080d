package io.vpcipam.provider.sim;

import io.vpcipam.provider.Cidr;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;

/**
 * What a simulated EC2 account is, whichever simulator runs it: the clock, the VPC's block, the zone, the latency of
 * each mutating call and the account-wide API token bucket. Both builders ({@link SimulatedCloud.Builder} for one
 * node, {@link SimFleet.Builder} for a fleet) extend it, so each setting is defined, checked and defaulted once.
 *
 * @param <B> the concrete builder, returned by every setter so calls chain
 */
abstract sealed class AccountBuilder<B extends AccountBuilder<B>> permits SimulatedCloud.Builder, SimFleet.Builder {

    InstantSource clock = InstantSource.system();
    Duration latency = Duration.ZERO;
    Double apiRate;
    Double apiBurst;
    Cidr vpc;
    String zone = "us-east-1a";

    AccountBuilder(Cidr defaultVpc) {
        this.vpc = defaultVpc;
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** The clock for the token bucket and creation times (default the system clock). */
    public B clock(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return self();
    }

    /** Latency of every mutating call (default zero). */
    public B latency(Duration latency) {
        if (latency == null || latency.isNegative()) {
            throw new IllegalArgumentException("latency must be >= 0, got " + latency);
        }
        this.latency = latency;
        return self();
    }

    /** Account-wide API calls per second (default unlimited); the burst defaults to one second's worth. */
    public B apiRate(double callsPerSecond) {
        if (!(callsPerSecond > 0) || Double.isInfinite(callsPerSecond)) {
            throw new IllegalArgumentException("API rate must be a positive number, got " + callsPerSecond);
        }
        this.apiRate = callsPerSecond;
        return self();
    }

    /** Token bucket capacity: calls that may go at once after a quiet spell (default max(1, rate)); needs a rate. */
    public B apiBurst(double calls) {
        if (!(calls >= 1) || Double.isInfinite(calls)) {
            throw new IllegalArgumentException("API burst must be >= 1, got " + calls);
        }
        this.apiBurst = calls;
        return self();
    }

    /** The VPC's block. */
    public B vpc(Cidr vpc) {
        this.vpc = Objects.requireNonNull(vpc, "vpc");
        return self();
    }

    /** Refuses settings that do not go together; each builder's build() calls it first. */
    void checkAccount() {
        if (apiBurst != null && apiRate == null) {
            throw new IllegalArgumentException("API burst without an API rate");
        }
    }

    /** The account's token bucket, full at the clock's now; null when the API is unlimited. */
    TokenBucket bucket() {
        return apiRate == null ? null
                : new TokenBucket(apiRate, apiBurst != null ? apiBurst : Math.max(1, Math.ceil(apiRate)), clock.instant());
    }
}
