package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.Op;
import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared scripted ipamd, through the plugin's real socket client. */
class ScriptedIpamdTest {

    private static final Request ADD = Request.add("net", "c1", "eth0", "/proc/1/ns/net", "default", "p");

    @TempDir
    Path tmp;

    private static SocketIpamdClient client(ScriptedIpamd ipamd, long timeoutMs) {
        return new SocketIpamdClient(ipamd.socket(), timeoutMs);
    }

    @Test
    void byDefault_leasesPerKey_checkFindsOnlyAKnownKey_delForgetsIt_andEveryRequestIsRecorded() throws Exception {
        try (ScriptedIpamd ipamd = Fakes.ipamd(tmp)) {
            SocketIpamdClient c = client(ipamd, 60_000);
            LeaseInfo first = c.call(ADD).lease();
            assertEquals("10.0.0.5", first.address());
            assertEquals(first, c.call(ADD).lease(), "a known key gets its lease again");
            assertEquals("10.0.0.6", c.call(Request.add("net", "c2", "eth0", "/proc/1/ns/net", "", "")).lease()
                    .address());
            assertEquals(first, c.call(Request.check("net", "c1", "eth0")).lease());
            assertTrue(c.call(Request.del("net", "c1", "eth0")).ok());
            Reply gone = c.call(Request.check("net", "c1", "eth0"));
            assertEquals("NOT_FOUND", gone.error().code());
            assertTrue(c.call(Request.del("net", "c1", "eth0")).ok(), "DEL of an unknown key succeeds");
            assertEquals(0, c.call(Request.gc("net", List.of())).released());
            assertTrue(c.call(Request.status()).ok());
            assertEquals(List.of(Op.ADD, Op.ADD, Op.ADD, Op.CHECK, Op.DEL, Op.CHECK, Op.DEL, Op.GC, Op.STATUS),
                    ipamd.requests().stream().map(Request::op).toList());
        }
    }

    @Test
    void aFrameThatIsNotARequest_getsTheProtocolError_andTheNextCallIsServed() throws Exception {
        try (ScriptedIpamd ipamd = Fakes.ipamd(tmp);
             SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(ipamd.socket()));
            new FrameWriter(Channels.newOutputStream(ch)).writeFrame("{not json");
            Reply reply = new FrameReader(Channels.newInputStream(ch)).readReply();
            assertFalse(reply.ok());
            assertEquals("BAD_REQUEST", reply.error().code());
            assertTrue(client(ipamd, 60_000).call(ADD).ok());
            assertEquals(List.of(ADD), ipamd.requests());
        }
    }

    @Test
    void answer_repliesAsScriptedWithoutActing_untilCleared() throws Exception {
        try (ScriptedIpamd ipamd = Fakes.ipamd(tmp)) {
            SocketIpamdClient c = client(ipamd, 60_000);
            ipamd.answer(Reply.error("NODE_FULL", "at limits", false), Op.ADD);
            assertEquals("NODE_FULL", c.call(ADD).error().code());
            assertTrue(ipamd.leased().isEmpty());
            assertTrue(c.call(Request.status()).ok(), "only the scripted op is answered so");
            ipamd.answer(null, Op.ADD);
            assertTrue(c.call(ADD).ok());
        }
    }

    @Test
    void faultGarble_isAProtocolErrorAtTheClient_afterTheLeaseIsMade() throws Exception {
        try (ScriptedIpamd ipamd = Fakes.ipamd(tmp)) {
            ipamd.fault(ScriptedIpamd.Fault.GARBLE, Op.ADD);
            assertThrows(ProtocolException.class, () -> client(ipamd, 60_000).call(ADD));
            assertEquals(1, ipamd.leased().size());
        }
    }

    @Test
    void faultNoReply_timesTheClientOut_andTheLeaseIsMadeAllTheSame() throws Exception {
        try (ScriptedIpamd ipamd = Fakes.ipamd(tmp)) {
            ipamd.fault(ScriptedIpamd.Fault.NO_REPLY, Op.ADD);
            IpamdClient.Unavailable e = assertThrows(IpamdClient.Unavailable.class,
                    () -> client(ipamd, 300).call(ADD));
            assertInstanceOf(IpamdClient.TimedOut.class, e, e.getMessage());
            assertEquals(1, ipamd.leased().size());
            assertTrue(client(ipamd, 60_000).call(Request.del("net", "c1", "eth0")).ok(), "a held call stops nothing");
            assertTrue(ipamd.leased().isEmpty());
        }
    }

    @Test
    void faultClose_isUnavailable_notATimeout_andNothingIsActedOn() throws Exception {
        try (ScriptedIpamd ipamd = Fakes.ipamd(tmp)) {
            ipamd.fault(ScriptedIpamd.Fault.CLOSE, Op.ADD);
            IpamdClient.Unavailable e = assertThrows(IpamdClient.Unavailable.class,
                    () -> client(ipamd, 60_000).call(ADD));
            assertFalse(e instanceof IpamdClient.TimedOut, e.getMessage());
            assertTrue(ipamd.leased().isEmpty());
            assertEquals(List.of(ADD), ipamd.requests());
        }
    }

    @Test
    void stop_nobodyListens_thenStartServesAgain() throws Exception {
        try (ScriptedIpamd ipamd = Fakes.ipamd(tmp)) {
            ipamd.stop();
            assertFalse(Files.exists(ipamd.socket()));
            IpamdClient.Unavailable e = assertThrows(IpamdClient.Unavailable.class,
                    () -> client(ipamd, 60_000).send(ADD));
            assertTrue(e.getMessage().startsWith("ipamd is not listening on "), e.getMessage());
            ipamd.start();
            assertTrue(client(ipamd, 60_000).call(ADD).ok());
        }
    }

    @Test
    void close_dropsAHeldCall_andRemovesTheSocket() throws Exception {
        ScriptedIpamd ipamd = Fakes.ipamd(tmp);
        ipamd.fault(ScriptedIpamd.Fault.HOLD, Op.ADD);
        try (IpamdClient.Pending p = client(ipamd, 60_000).send(ADD)) {
            ipamd.awaitRequests(1, java.time.Duration.ofSeconds(60));
            ipamd.close();
            assertThrows(IpamdClient.Unavailable.class, p::reply);
        }
        assertFalse(Files.exists(ipamd.socket()));
    }

    @Test
    void trainingLease_isOnASecondaryInterface_soTheTrainingMakesRulesToo() {
        assertTrue(ScriptedIpamd.TRAINING_LEASE.routeTable() > 0);
        assertTrue(ScriptedIpamd.TRAINING_LEASE.deviceIndex() > 0);
    }
}
