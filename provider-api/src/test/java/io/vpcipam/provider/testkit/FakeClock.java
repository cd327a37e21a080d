package io.vpcipam.provider.testkit;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/**
 * The one clock tests move by hand, for every module's tests (provider-api's test-jar): logic takes an
 * {@link InstantSource}, a test gives it this and moves time with {@link #advance} or {@link #set}. Safe to read from
 * other threads (a reconciler, a server) while the test moves it.
 */
public final class FakeClock implements InstantSource {

    private volatile Instant now;

    /** A clock standing at {@code start}. */
    public FakeClock(Instant start) {
        this.now = start;
    }

    /** A clock standing at an ISO-8601 instant such as {@code 2026-11-26T12:00:00Z}. */
    public static FakeClock at(String iso) {
        return new FakeClock(Instant.parse(iso));
    }

    @Override
    public Instant instant() {
        return now;
    }

    /** Moves the clock on by {@code d}. */
    public synchronized void advance(Duration d) {
        now = now.plus(d);
    }

    /** Puts the clock at {@code instant} (backwards too: a wall clock may jump). */
    public void set(Instant instant) {
        now = instant;
    }
}
