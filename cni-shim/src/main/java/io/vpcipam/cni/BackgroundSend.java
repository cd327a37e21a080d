package io.vpcipam.cni;

import io.vpcipam.protocol.Request;

/**
 * {@link IpamdClient#send} on a thread of its own. Measured in a fresh plugin JVM (interpreted, on
 * 2 cores), the first Unix socket takes ~15-25 ms to initialise and starting the two {@code ip}
 * processes ~10-20 ms: one after the other they add up, side by side they overlap.
 */
final class BackgroundSend implements Runnable {
    private final IpamdClient ipamd;
    private final Request request;
    private final Thread thread;
    private IpamdClient.Pending pending;
    private IpamdClient.Unavailable unavailable;
    private RuntimeException bug;
    private long sentAt;

    BackgroundSend(IpamdClient ipamd, Request request) {
        this.ipamd = ipamd;
        this.request = request;
        this.thread = new Thread(this, "ipamd-send");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void run() {
        try {
            pending = ipamd.send(request);
        } catch (IpamdClient.Unavailable e) {
            unavailable = e;
        } catch (RuntimeException e) {
            bug = e;
        }
        sentAt = System.nanoTime();
    }

    /** When the send ended ({@link System#nanoTime}), for the call's timings; after {@link #sent}. */
    long sentAt() {
        return sentAt;
    }

    /** Waits for the send (join: its fields are then visible here); the request is with ipamd. */
    IpamdClient.Pending sent() throws IpamdClient.Unavailable {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the send is short and bounded: finish it, keep the interrupt
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (unavailable != null) {
            throw unavailable;
        }
        if (bug != null) {
            throw bug;
        }
        return pending;
    }
}
