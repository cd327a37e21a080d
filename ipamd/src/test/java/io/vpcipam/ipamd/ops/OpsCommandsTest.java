package io.vpcipam.ipamd.ops;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class OpsCommandsTest {

    private static final Instant NOW = Instant.parse("2025-01-31T12:00:00Z");

    @Test
    void source_onlySocketGiven_asksThatSocketOnly() {
        OpsCommands.Source s = OpsCommands.Source.resolve(null, Path.of("/tmp/x.sock"), Map.of());
        assertNull(s.introspection());
        assertEquals(Path.of("/tmp/x.sock"), s.socket());
    }

    @Test
    void source_defaultsAndEnvironment_introspectionFirst() {
        OpsCommands.Source d = OpsCommands.Source.resolve(null, null, Map.of());
        assertEquals("127.0.0.1:61679", d.introspection().toString());
        assertEquals(Path.of("/run/vpc-ipam/ipamd.sock"), d.socket());
        OpsCommands.Source e = OpsCommands.Source.resolve(null, null,
                Map.of("IPAMD_INTROSPECTION_ADDRESS", "off", "IPAMD_SOCKET", "/s"));
        assertNull(e.introspection());
        assertEquals(Path.of("/s"), e.socket());
        assertThrows(IllegalArgumentException.class, () -> OpsCommands.Source.resolve("nope", null, Map.of()));
    }

    @Test
    void age_isShortAndHuman() {
        assertEquals("42s", OpsCommands.age("2025-01-31T11:59:18Z", NOW));
        assertEquals("5m3s", OpsCommands.age("2025-01-31T11:54:57Z", NOW));
        assertEquals("3d4h", OpsCommands.age("2025-01-28T08:00:00Z", NOW));
        assertEquals("-", OpsCommands.age("", NOW));
    }
}
