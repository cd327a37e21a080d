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

    /**
     * Sends {@code request} now and returns before the reply, so the caller can work while ipamd
     * answers; the call's deadline runs from here. The default sends at {@link Pending#reply()}.
     *
     * @throws Unavailable nobody takes the request: no socket, connection refused or closed
     */
    default Pending send(Request request) throws Unavailable {
        return new Pending() {
            @Override
            public Reply reply() throws Unavailable, ProtocolException {
                return call(request);
            }

            @Override
            public void close() {
                // nothing is open
            }
        };
    }

    /** A request that ipamd has (or will have at {@link #reply()}); close it whether or not the reply was read. */
    interface Pending extends AutoCloseable {
        /** Waits for the reply, as {@link #call} does after sending; at most once. */
        Reply reply() throws Unavailable, ProtocolException;

        /** Closes the connection; never throws. */
        @Override
        void close();
    }

    /** ipamd did not answer: for ADD "try again later", for DEL the release goes to the spool. */
    class Unavailable extends IOException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message, null);
        }
    }

    /**
     * ipamd took the request but did not answer within the call's deadline: it is slow (waiting for
     * the cloud on an empty pool, say), not gone, and may still act on the request.
     */
    final class TimedOut extends Unavailable {
        private static final long serialVersionUID = 1L;
        private final long timeoutMs;

        TimedOut(long timeoutMs) {
            super("ipamd did not reply within " + timeoutMs + " ms");
            this.timeoutMs = timeoutMs;
        }

        /** The deadline that passed. */
        long timeoutMs() {
            return timeoutMs;
        }
    }
}
