package io.vpcipam.ipamd.pool;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Shrinks a failing command sequence for the seeded stateful property tests: first drops chunks of commands
 * (halves, quarters, ... single commands, as delta debugging does), then tries a simpler form of each remaining
 * command and rewrites of the whole sequence, and repeats while anything got smaller. A candidate is kept only when it still fails. The number of
 * re-runs is bounded, so a slow property cannot make a failing build hang.
 */
final class SequenceShrinker {

    private SequenceShrinker() {
    }

    /** The shortest failing sequence found, and how many candidate runs it took. */
    record Result<T>(List<T> sequence, int runs) {
    }

    /**
     * @param failing   a sequence for which {@code fails} is true
     * @param fails     re-runs a candidate; true when it still fails
     * @param simpler   the simpler forms of one command to try, simplest first (may be empty)
     * @param maxRuns   how many candidates to run at most
     */
    static <T> Result<T> shrink(List<T> failing, Predicate<List<T>> fails, Function<T, List<T>> simpler, int maxRuns) {
        return shrink(failing, fails, simpler, whole -> List.of(), maxRuns);
    }

    /**
     * As {@link #shrink(List, Predicate, Function, int)}, also trying {@code rewrites} of the whole sequence (such
     * as renaming one pod everywhere, which no change of a single command can do).
     */
    static <T> Result<T> shrink(List<T> failing, Predicate<List<T>> fails, Function<T, List<T>> simpler,
                                Function<List<T>, List<List<T>>> rewrites, int maxRuns) {
        List<T> current = List.copyOf(failing);
        int runs = 0;
        boolean progress = true;
        while (progress && runs < maxRuns) {
            progress = false;
            for (int chunk = Math.max(1, current.size() / 2); chunk >= 1 && runs < maxRuns; chunk /= 2) {
                for (int at = 0; at + chunk <= current.size() && runs < maxRuns; ) {
                    List<T> candidate = new ArrayList<>(current.subList(0, at));
                    candidate.addAll(current.subList(at + chunk, current.size()));
                    runs++;
                    if (fails.test(candidate)) {
                        current = List.copyOf(candidate);
                        progress = true;
                    } else {
                        at += chunk;
                    }
                }
            }
            for (int i = 0; i < current.size() && runs < maxRuns; i++) {
                for (T simpler1 : simpler.apply(current.get(i))) {
                    if (runs >= maxRuns) {
                        break;
                    }
                    List<T> candidate = new ArrayList<>(current);
                    candidate.set(i, simpler1);
                    runs++;
                    if (fails.test(candidate)) {
                        current = List.copyOf(candidate);
                        progress = true;
                        break;
                    }
                }
            }
            for (List<T> candidate : rewrites.apply(current)) {
                if (runs >= maxRuns) {
                    break;
                }
                runs++;
                if (fails.test(candidate)) {
                    current = List.copyOf(candidate);
                    progress = true;
                    break;
                }
            }
        }
        return new Result<>(current, runs);
    }
}
