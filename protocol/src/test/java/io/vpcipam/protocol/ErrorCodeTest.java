package io.vpcipam.protocol;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrorCodeTest {

    @Test
    void wire_isTheStableName_andReadsBack_unknownCodesAreEmpty() {
        for (ErrorCode c : ErrorCode.values()) {
            assertEquals(c.name(), c.wire());
            assertEquals(Optional.of(c), ErrorCode.fromWire(c.wire()));
            assertTrue(ErrorCodes.ALL.contains(c.wire()));
        }
        assertEquals(ErrorCode.values().length, ErrorCodes.ALL.size());
        assertEquals(Optional.empty(), ErrorCode.fromWire("A_NEWER_PEERS_CODE"));
    }

    @Test
    void retryableByDefault_onlyForAnEmptyPoolAndAStoppingDaemon() {
        assertTrue(ErrorCode.NO_ADDRESS_AVAILABLE.retryableByDefault());
        assertTrue(ErrorCodes.defaultRetryable("SHUTTING_DOWN"));
        assertFalse(ErrorCode.NODE_FULL.retryableByDefault());
        assertFalse(ErrorCodes.defaultRetryable("A_NEWER_PEERS_CODE"));
    }
}
