package io.vpcipam.provider;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads settings from the environment with one grammar for every module (ipamd's configuration, the Kubernetes
 * settings, each provider's settings), and collects every problem instead of stopping at the first, so an operator
 * sees all of them in one start. Each problem names the variable and its value: {@code NAME='value': why}.
 *
 * <p>The duration grammar ({@link #parseDuration}) is the one for every duration setting: a bare number is seconds
 * (as the AWS CNI's {@code IP_COOLDOWN_PERIOD}), or a number with {@code ms}, {@code s}, {@code m} or {@code h}.
 * Each setting then checks its own range.
 */
public final class EnvReader {

    /** What a duration problem says the grammar is. */
    public static final String DURATION_GRAMMAR = "a duration such as 30 (seconds), 500ms, 30s, 2m or 1h";

    private final Map<String, String> env;
    private final List<String> problems = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    /** Reads {@code env} (the process environment, or a test's). */
    public EnvReader(Map<String, String> env) {
        this.env = env;
    }

    /**
     * Parses a duration: a bare number is seconds, or 500ms, 30s, 2m, 1h (case does not matter).
     *
     * @throws IllegalArgumentException if {@code text} is not one
     */
    public static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long factorMs;
        String digits;
        if (t.endsWith("ms")) {
            factorMs = 1;
            digits = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            factorMs = 1000;
            digits = t.substring(0, t.length() - 1);
        } else if (t.endsWith("m")) {
            factorMs = 60_000;
            digits = t.substring(0, t.length() - 1);
        } else if (t.endsWith("h")) {
            factorMs = 3_600_000;
            digits = t.substring(0, t.length() - 1);
        } else {
            factorMs = 1000;
            digits = t;
        }
        if (digits.isEmpty() || digits.length() > 9 || !digits.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("'" + text + "' is not " + DURATION_GRAMMAR);
        }
        return Duration.ofMillis(Long.parseLong(digits) * factorMs);
    }

    /**
     * Reads settings from {@code env} with {@code read}; throws one IllegalArgumentException naming every problem
     * (see {@link #throwIfAny}). With {@link #problems(Map, Function)} this is each provider's settings entry point.
     */
    public static <T> T readAll(Map<String, String> env, Function<EnvReader, T> read) {
        EnvReader r = new EnvReader(env);
        T settings = read.apply(r);
        r.throwIfAny();
        return settings;
    }

    /** Every problem {@code read} finds in {@code env}, each naming the variable and its value; empty when none. */
    public static List<String> problems(Map<String, String> env, Function<EnvReader, ?> read) {
        EnvReader r = new EnvReader(env);
        read.apply(r);
        return r.problems();
    }

    /** Records a problem with {@code name}'s value. */
    public void problem(String name, String value, String why) {
        problems.add(name + "='" + value + "': " + why);
    }

    /** Records a warning: the value is used, but not as the operator may think. */
    public void warning(String name, String value, String what) {
        warnings.add(name + "='" + value + "' " + what);
    }

    /** Every problem so far, in the order found. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** Every warning so far, in the order found. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /**
     * Throws one IllegalArgumentException listing every problem ({@code "; "} between them), if there is any.
     */
    public void throwIfAny() {
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }

    /** The variable's value, trimmed, or null when it is unset or blank. */
    public String raw(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** The variable's value, trimmed, or {@code fallback} when it is unset or blank. */
    public String string(String name, String fallback) {
        String v = raw(name);
        return v == null ? fallback : v;
    }

    /** A whole number; a problem if it is not one. */
    public int integer(String name, int fallback) {
        String v = raw(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            problem(name, v, "must be an integer");
            return fallback;
        }
    }

    /** A whole number from {@code min} to {@code max}. */
    public int integer(String name, int fallback, int min, int max) {
        String v = raw(name);
        if (v == null) {
            return fallback;
        }
        try {
            int i = Integer.parseInt(v);
            if (i >= min && i <= max) {
                return i;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the range
        }
        problem(name, v, max == Integer.MAX_VALUE ? "must be a whole number >= " + min
                : "must be a whole number from " + min + " to " + max);
        return fallback;
    }

    /** A number from {@code min} to {@code max}. */
    public double number(String name, double fallback, double min, double max) {
        String v = raw(name);
        if (v == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(v);
            if (d >= min && d <= max) {
                return d;
            }
        } catch (NumberFormatException ignored) {
            // reported below with the range
        }
        problem(name, v, "must be a number from " + min + " to " + max);
        return fallback;
    }

    /** true, 1, yes or false, 0, no (any case). */
    public boolean bool(String name, boolean fallback) {
        String v = raw(name);
        if (v == null) {
            return fallback;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> {
                problem(name, v, "must be true or false");
                yield fallback;
            }
        };
    }

    /** A duration in the one grammar ({@link #parseDuration}); zero is a problem unless {@code zeroAllowed}. */
    public Duration duration(String name, Duration fallback, boolean zeroAllowed) {
        return duration(name, fallback, zeroAllowed ? Duration.ZERO : Duration.ofMillis(1), null);
    }

    /** A duration in the one grammar, from {@code min} to {@code max} (null: no upper bound). */
    public Duration duration(String name, Duration fallback, Duration min, Duration max) {
        String v = raw(name);
        if (v == null) {
            return fallback;
        }
        Duration d;
        try {
            d = parseDuration(v);
        } catch (IllegalArgumentException e) {
            problem(name, v, "must be " + DURATION_GRAMMAR);
            return fallback;
        }
        if (d.compareTo(min) < 0) {
            problem(name, v, min.equals(Duration.ofMillis(1)) ? "must be more than zero" : "must be at least " + text(min));
            return fallback;
        }
        if (max != null && d.compareTo(max) > 0) {
            problem(name, v, "must be at most " + text(max));
            return fallback;
        }
        return d;
    }

    /** A comma-separated list; blanks between commas are skipped. */
    public List<String> list(String name) {
        String v = raw(name);
        if (v == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String part : v.split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    private static String text(Duration d) {
        if (d.toMillis() % 3_600_000 == 0) {
            return d.toHours() + "h";
        }
        if (d.toMillis() % 60_000 == 0) {
            return d.toMinutes() + "m";
        }
        if (d.toMillis() % 1000 == 0) {
            return d.toSeconds() + "s";
        }
        return d.toMillis() + "ms";
    }
}
