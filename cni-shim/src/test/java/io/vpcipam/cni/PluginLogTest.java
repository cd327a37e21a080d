package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PluginLogTest {

    private static final DateTimeFormatter MICROS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    @Test
    void iso_formatsLikeJavaTime_toTheMicrosecond() {
        Random rnd = new Random(20261202L);
        for (int i = 0; i < 20_000; i++) {
            // 1970 .. 2400, leap years and centuries included.
            Instant t = Instant.ofEpochSecond(rnd.nextLong(13_569_465_600L), rnd.nextInt(1_000_000_000));
            assertEquals(MICROS.format(t.truncatedTo(ChronoUnit.MICROS)), PluginLog.iso(t), t.toString());
        }
        assertEquals("2000-02-29T23:59:59.000001Z", PluginLog.iso(Instant.parse("2000-02-29T23:59:59.000001999Z")));
        assertEquals("1970-01-01T00:00:00.000000Z", PluginLog.iso(Instant.EPOCH));
    }

    @Test
    void ms_roundsToATenth() {
        assertEquals("0.0 ms", Dispatcher.ms(0));
        assertEquals("0.1 ms", Dispatcher.ms(50_000));
        assertEquals("12.3 ms", Dispatcher.ms(12_349_999));
        assertEquals("1234.6 ms", Dispatcher.ms(1_234_550_000));
    }
}
