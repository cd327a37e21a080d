package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingIpamdTest {

    @Test
    void answer_addAndCheck_getALeaseOnASecondaryInterface_soTheTrainingMakesRulesToo() {
        for (Request r : List.of(Request.add("train", "c1", "eth0", "/proc/1/ns/net", "default", "train"),
                Request.check("train", "c1", "eth0"))) {
            Reply reply = TrainingIpamd.answer(Codec.encode(r));
            assertTrue(reply.ok());
            assertEquals(TrainingIpamd.LEASE, reply.lease());
            assertTrue(reply.lease().routeTable() > 0);
        }
    }

    @Test
    void answer_delGcStatus_succeed_andGarbageIsAProtocolError() {
        assertTrue(TrainingIpamd.answer(Codec.encode(Request.del("train", "c1", "eth0"))).ok());
        assertEquals(0, TrainingIpamd.answer(Codec.encode(Request.gc("train", List.of()))).released());
        assertTrue(TrainingIpamd.answer(Codec.encode(Request.status())).ok());
        assertFalse(TrainingIpamd.answer("{not json").ok());
    }
}
