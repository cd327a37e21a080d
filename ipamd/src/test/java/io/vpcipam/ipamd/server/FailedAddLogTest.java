package io.vpcipam.ipamd.server;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FailedAddLogTest {

    private static final long S = 1_000_000_000L;

    @Test
    void admit_burstOfOneCode_logsTheFirst_thenOnePerInterval_countingTheRest() {
        FailedAddLog log = new FailedAddLog(10 * S);
        assertEquals(0, log.admit("NO_ADDRESS_AVAILABLE", 0));
        for (int i = 1; i <= 500; i++) {
            assertEquals(-1, log.admit("NO_ADDRESS_AVAILABLE", i * S / 100));
        }
        assertEquals(500, log.admit("NO_ADDRESS_AVAILABLE", 10 * S), "the next line says 500 were not logged");
        assertEquals(-1, log.admit("NO_ADDRESS_AVAILABLE", 11 * S));
        assertEquals(1, log.admit("NO_ADDRESS_AVAILABLE", 25 * S));
    }

    @Test
    void admit_eachCodeHasItsOwnBudget() {
        FailedAddLog log = new FailedAddLog(10 * S);
        assertEquals(0, log.admit("NO_ADDRESS_AVAILABLE", 0));
        assertEquals(0, log.admit("NODE_FULL", S), "another reason is not hidden behind the first");
        assertEquals(-1, log.admit("NODE_FULL", 2 * S));
    }
}
