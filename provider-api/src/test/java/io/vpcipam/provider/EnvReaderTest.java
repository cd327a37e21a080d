package io.vpcipam.provider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EnvReaderTest {

    @ParameterizedTest
    @CsvSource({"30, 30000", "500ms, 500", "30s, 30000", "2m, 120000", "1h, 3600000", "1M, 60000", " 7S , 7000",
            "0, 0"})
    void parseDuration_theOneGrammar_bareSecondsOrAUnit(String text, long millis) {
        assertEquals(Duration.ofMillis(millis), EnvReader.parseDuration(text));
    }

    @ParameterizedTest
    @CsvSource({"soon", "-2s", "1.5s", "10 seconds", "ms", "1d", "1234567890s"})
    void parseDuration_anythingElse_isRefused(String text) {
        assertThrows(IllegalArgumentException.class, () -> EnvReader.parseDuration(text));
    }

    @Test
    void duration_badValues_areAllReportedNamingVariableAndValue() {
        EnvReader r = new EnvReader(Map.of("A", "soon", "B", "0", "C", "2h", "D", "1m"));

        assertEquals(Duration.ofSeconds(1), r.duration("A", Duration.ofSeconds(1), true));
        assertEquals(Duration.ofSeconds(2), r.duration("B", Duration.ofSeconds(2), false));
        assertEquals(Duration.ofSeconds(3), r.duration("C", Duration.ofSeconds(3), Duration.ofMillis(1),
                Duration.ofHours(1)));
        assertEquals(Duration.ofMinutes(1), r.duration("D", Duration.ofSeconds(4), false));

        assertEquals(List.of("A='soon': must be " + EnvReader.DURATION_GRAMMAR, "B='0': must be more than zero",
                "C='2h': must be at most 1h"), r.problems());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::throwIfAny);
        assertTrue(e.getMessage().startsWith("A='soon'") && e.getMessage().contains("; C='2h'"), e.getMessage());
    }

    @Test
    void numbersBooleansAndLists_readWithFallbacksAndProblems() {
        EnvReader r = new EnvReader(Map.of("N", "12", "BAD", "x", "R", "0", "Q", "2.5", "T", "YES", "F", "0",
                "L", " a, ,b ", "BLANK", "  "));

        assertEquals(12, r.integer("N", 1));
        assertEquals(1, r.integer("BAD", 1));
        assertEquals(5, r.integer("R", 5, 1, Integer.MAX_VALUE));
        assertEquals(2.5, r.number("Q", 1, 0.01, 10));
        assertTrue(r.bool("T", false));
        assertFalse(r.bool("F", true));
        assertEquals(List.of("a", "b"), r.list("L"));
        assertEquals("dflt", r.string("BLANK", "dflt"));
        assertEquals(List.of("BAD='x': must be an integer", "R='0': must be a whole number >= 1"), r.problems());
    }

    private record Knobs(int n, Duration d) {
        static Knobs read(EnvReader r) {
            return new Knobs(r.integer("N", 1, 1, 9), r.duration("D", Duration.ofSeconds(1), false));
        }
    }

    @Test
    void readAll_everyProblemInOneException_problemsListsThemWithoutThrowing() {
        Map<String, String> bad = Map.of("N", "10", "D", "soon");
        var e = assertThrows(IllegalArgumentException.class, () -> EnvReader.readAll(bad, Knobs::read));
        assertEquals("N='10': must be a whole number from 1 to 9; D='soon': must be " + EnvReader.DURATION_GRAMMAR,
                e.getMessage());
        assertEquals(List.of("N='10': must be a whole number from 1 to 9", "D='soon': must be "
                + EnvReader.DURATION_GRAMMAR), EnvReader.problems(bad, Knobs::read));
        assertEquals(new Knobs(3, Duration.ofMinutes(2)), EnvReader.readAll(Map.of("N", "3", "D", "2m"), Knobs::read));
        assertTrue(EnvReader.problems(Map.of(), Knobs::read).isEmpty());
    }
}
