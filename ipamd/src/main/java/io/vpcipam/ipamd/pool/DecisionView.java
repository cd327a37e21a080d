package io.vpcipam.ipamd.pool;

import java.util.List;

/**
 * One reconciler decision as operators see it, typed: an element of what introspection serves at
 * {@code /v1/decisions} (as JSON, each component a key) and what {@code ipamd explain} reads back into the same record.
 * Read leniently: a key an older daemon did not send is null, a key a newer one adds is skipped.
 *
 * @param at      ISO-8601
 * @param result  a {@link Reconciler.Result} name; kept as text so that a newer daemon's result still reads
 */
public record DecisionView(String at, String plan, String reason, String outcome, String result) {

    /** The body of {@code /v1/decisions}: {@code {"decisions": [...]}}, oldest first. */
    public record All(List<DecisionView> decisions) {
        public All {
            decisions = decisions == null ? List.of() : List.copyOf(decisions);
        }
    }

    /** The view of {@code d}. */
    public static DecisionView of(Reconciler.Decision d) {
        return new DecisionView(d.at().toString(), d.plan(), d.reason(), d.outcome(), d.result().name());
    }

    /**
     * The typed result, or null when the daemon did not say (older than the result key) or said one this build does
     * not know (newer): then the step cannot be judged either way.
     */
    public Reconciler.Result judged() {
        if (result == null) {
            return null;
        }
        try {
            return Reconciler.Result.valueOf(result);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
