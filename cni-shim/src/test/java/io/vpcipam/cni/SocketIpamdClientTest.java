package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vpcipam.protocol.Op;
import io.vpcipam.protocol.Request;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketIpamdClientTest {

    @TempDir
    Path tmp;

    @Test
    void send_ipamdHasTheRequestBeforeTheReplyIsAskedFor_thenReplyReadsIt() throws Exception {
        try (ScriptedIpamd ipamd = Fakes.ipamd(tmp)) {
            ipamd.fault(ScriptedIpamd.Fault.HOLD, Op.DEL);
            SocketIpamdClient client = new SocketIpamdClient(ipamd.socket(), 60_000);
            Request del = Request.del("net", "c1", "eth0");
            try (IpamdClient.Pending p = client.send(del)) {
                // ipamd has the whole request while the caller still works (no reply asked for yet)
                assertEquals(List.of(del), ipamd.awaitRequests(1, Duration.ofSeconds(60)));
                ipamd.release();
                assertTrue(p.reply().ok());
            }
        }
    }

    @Test
    void send_nobodyListening_isUnavailableAtOnce() {
        SocketIpamdClient client = new SocketIpamdClient(tmp.resolve("none.sock"), 60_000);
        IpamdClient.Unavailable e = assertThrows(IpamdClient.Unavailable.class,
                () -> client.send(Request.del("net", "c1", "eth0")));
        assertTrue(e.getMessage().startsWith("ipamd is not listening on "), e.getMessage());
    }
}
