package io.vpcipam.protocol;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayoutTest {

    @Test
    void spoolFileName_sortsByTimeThenKey_andIsAnEntryIpamdReads() {
        String early = Layout.spoolFileName(Instant.ofEpochMilli(999), "b");
        String late = Layout.spoolFileName(Instant.ofEpochMilli(1000), "a");

        assertEquals("0000000000000000999-b.json", early);
        assertTrue(early.compareTo(late) < 0, "names sort by time whatever the number of digits");
        assertTrue(Layout.isSpoolEntry(late));
        assertFalse(Layout.isSpoolEntry(Layout.SPOOL_TEMP_PREFIX + late), "a file being written is never read");
        assertFalse(Layout.isSpoolEntry(late + Layout.SPOOL_BAD_SUFFIX), "a file set aside is never read again");
        assertEquals(Path.of("/var/lib/vpc-ipam/release-spool"),
                Layout.releaseSpool(Path.of(Layout.DEFAULT_STATE_DIR)));
    }
}
