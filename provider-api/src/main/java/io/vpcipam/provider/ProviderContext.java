package io.vpcipam.provider;

import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;

/**
 * What ipamd gives a provider when it creates one.
 *
 * @param env       the process environment (or a test's): providers read their overrides from it
 * @param stateDir  ipamd's state dir; a provider may keep its own file there (the simulated cloud does)
 * @param clock     the only clock a provider may read
 * @param listener  metrics hooks for calls, errors, throttles and rate-limiter waits
 */
public record ProviderContext(Map<String, String> env, Path stateDir, InstantSource clock, CloudCallListener listener) {

    public ProviderContext {
        env = Map.copyOf(env);
        Checks.notNull(stateDir, "state dir");
        Checks.notNull(clock, "clock");
        listener = listener == null ? CloudCallListener.NOOP : listener;
    }

    /** The variable's value, or {@code fallback} when unset or blank. */
    public String env(String name, String fallback) {
        String value = env.get(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }
}
