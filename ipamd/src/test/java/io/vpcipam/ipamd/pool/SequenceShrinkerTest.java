package io.vpcipam.ipamd.pool;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SequenceShrinkerTest {

    @Test
    void shrink_failureNeedsTwoCommands_keepsOnlyThoseTwo() {
        List<Integer> failing = IntStream.range(0, 50).boxed().toList();
        var result = SequenceShrinker.shrink(failing, s -> s.contains(13) && s.contains(37), x -> List.of(), 1000);
        assertEquals(List.of(13, 37), result.sequence());
    }

    @Test
    void shrink_commandsWithSimplerForms_simplifiesEachCommand() {
        // fails when a command is 10 or more: the shortest, simplest such sequence is a single 10
        List<Integer> failing = List.of(7, 30, 2, 9);
        var result = SequenceShrinker.shrink(failing, s -> s.stream().anyMatch(i -> i >= 10),
                x -> x > 0 ? List.of(0, x / 2, x - 1) : List.of(), 1000);
        assertEquals(List.of(10), result.sequence());
    }

    @Test
    void shrink_failureNeedsTheSameValueTwice_rewritesItEverywhere() {
        // fails when some value occurs twice: only a rewrite of both occurrences at once can lower it
        List<Integer> failing = List.of(4, 9, 9, 2);
        var result = SequenceShrinker.shrink(failing, s -> s.stream().distinct().count() < s.size(),
                x -> List.of(), s -> s.stream().filter(v -> v > 0).distinct()
                        .map(v -> s.stream().map(x -> x.equals(v) ? v - 1 : x).toList()).toList(), 1000);
        assertEquals(List.of(0, 0), result.sequence());
    }

    @Test
    void shrink_runBudgetSpent_stopsWithAFailingSequence() {
        List<Integer> failing = IntStream.range(0, 200).boxed().toList();
        var result = SequenceShrinker.shrink(failing, s -> s.contains(150), x -> List.of(), 5);
        assertEquals(5, result.runs());
        assertTrue(result.sequence().contains(150));
    }
}
