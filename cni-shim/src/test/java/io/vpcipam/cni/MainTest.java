package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the entry point warms ahead of the call, per command. */
class MainTest {

    @Test
    void prewarm_versionOrNoCommand_startsNothing() {
        assertTrue(Main.prewarm("VERSION").isEmpty());
        assertTrue(Main.prewarm(null).isEmpty());
    }

    @Test
    void prewarm_status_warmsOnlyTheSocket() throws InterruptedException {
        assertEquals(List.of("prewarm-sockets"), namesAfterJoin(Main.prewarm("STATUS")));
    }

    @Test
    void prewarm_addAndDel_warmSocketsAndProcessStart() throws InterruptedException {
        for (String command : List.of("ADD", "DEL", "CHECK", "GC")) {
            assertEquals(List.of("prewarm-sockets", "prewarm-processes"), namesAfterJoin(Main.prewarm(command)), command);
        }
    }

    /** The threads' names, once each has ended (a daemon that never ends would be a leak in a training run). */
    private static List<String> namesAfterJoin(List<Thread> threads) throws InterruptedException {
        List<String> names = new ArrayList<>();
        for (Thread t : threads) {
            assertTrue(t.isDaemon(), t.getName());
            t.join(60_000);
            assertFalse(t.isAlive(), t.getName() + " still runs");
            names.add(t.getName());
        }
        return names;
    }
}
