package io.vpcipam.ipamd.simulate;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SchedulerTest {

    private final Scheduler s = new Scheduler(Instant.EPOCH);
    private final List<String> log = new ArrayList<>();

    private void note(String what) {
        log.add(s.nanos() / 1_000_000 + "ms " + what);
    }

    @Test
    void events_runInTimeOrder_tiesInScheduleOrder_andTheClockFollows() {
        s.at(2_000_000, () -> note("b"));
        s.at(1_000_000, () -> note("a"));
        s.at(2_000_000, () -> note("c"));
        s.runUntil(5_000_000);
        assertEquals(List.of("1ms a", "2ms b", "2ms c"), log);
        assertEquals(Instant.EPOCH.plusMillis(5), s.instant());
    }

    @Test
    void process_sleepsInVirtualTime_whileOtherEventsRun() {
        s.at(0, () -> s.run(() -> {
            note("p starts");
            s.sleep(Duration.ofMillis(300));
            note("p after 300");
            s.sleep(Duration.ofMillis(100));
            note("p ends");
        }, () -> note("yield"), () -> note("end")));
        s.at(100_000_000, () -> note("other"));
        s.runUntil(1_000_000_000);
        assertEquals(List.of("0ms p starts", "0ms yield", "100ms other", "300ms p after 300", "300ms yield",
                "400ms p ends", "400ms end"), log);
    }

    @Test
    void processThatNeverSleeps_endsInline() {
        s.at(7_000_000, () -> s.run(() -> note("body"), () -> note("yield"), () -> note("end")));
        s.runUntil(10_000_000);
        assertEquals(List.of("7ms body", "7ms end"), log);
    }

    @Test
    void manyProcesses_interleaveByWakeTime() {
        for (int i = 0; i < 50; i++) {
            int n = i;
            s.at(i, () -> s.run(() -> {
                s.sleep(Duration.ofNanos(1000 - 20L * n));
                note("p" + n);
            }, () -> { }, () -> { }));
        }
        s.runUntil(1_000_000);
        List<String> expected = new ArrayList<>();
        for (int i = 49; i >= 0; i--) {
            expected.add("0ms p" + i); // later starters sleep less and wake first
        }
        assertEquals(expected, log);
    }

    @Test
    void failureInAProcess_surfacesInRunUntil() {
        s.at(0, () -> s.run(() -> {
            s.sleep(Duration.ofMillis(1));
            throw new IllegalArgumentException("boom");
        }, () -> { }, () -> { }));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.runUntil(5_000_000));
        assertEquals("boom", e.getMessage());
    }

    @Test
    void close_unwindsProcessesStillAsleep() {
        List<String> unwound = new ArrayList<>();
        s.at(0, () -> s.run(() -> {
            try {
                s.sleep(Duration.ofHours(1));
                note("never");
            } finally {
                unwound.add("finally ran");
            }
        }, () -> { }, () -> note("end")));
        s.runUntil(1_000_000);
        s.close();
        assertEquals(List.of("finally ran"), unwound);
        assertEquals(List.of(), log);
    }

    @Test
    void sleepOutsideAProcess_isRefused() {
        assertThrows(IllegalStateException.class, () -> s.sleep(Duration.ofMillis(1)));
    }
}
