package io.vpcipam.cni;

import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.io.IOException;

/** One request to ipamd, one reply. Tests use a fake with fault controls. */
interface IpamdClient {

    /**
     * Sends {@code request} and returns ipamd's reply.
     *
     * @throws Unavailable       nobody answers: no socket, connection refused, closed or timed out
     * @throws ProtocolException the reply is not protocol v1
     */
    Reply call(Request request) throws Unavailable, ProtocolException;

    /** ipamd did not answer: for ADD "try again later", for DEL the release goes to the spool. */
    final class Unavailable extends IOException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message, null);
        }
    }
}
