package io.vpcipam.ipamd.simulate;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashSet;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * The simulator's discrete-event scheduler and its virtual clock. Events run in time order (ties in the order they
 * were scheduled), each at its virtual instant; nothing sleeps in real time, so an hour passes as fast as the events
 * can run.
 *
 * <p>The engine's code is synchronous: a reconciler pass calls the cloud and waits for the answer (latency) or for a
 * throttle's retry-after. Such work is {@link #run run} as a <em>process</em>: it starts inline on the event loop's
 * thread and, most of the time (an idle pass), ends there without any thread switch. Only when it {@link #sleep
 * sleeps} does it become a coroutine: its thread parks, the event loop goes on in a fresh virtual thread, and an event
 * at the wake-up time hands the turn back to it. Exactly one thread runs at any moment (the loop, or the one process
 * it resumed, while the loop waits for it to sleep or end), with every hand-over through a volatile flag, so a run is
 * a pure function of its inputs: same seed, same result. A process lives only while its work lasts (one pass); a node
 * has no thread of its own.
 */
final class Scheduler implements InstantSource {

    private record Event(long at, long seq, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** Thrown into a parked process by {@link #close}, to unwind it. */
    private static final class Abandoned extends Error {
        Abandoned() {
            super("the simulation ended while this process slept", null, false, false);
        }
    }

    /** A process: work started by {@link #run}; once it slept, a coroutine resumed only by the loop. */
    private static final class Process {
        final Thread thread;
        final Runnable onYield;
        final Runnable onEnd;
        boolean converted; // it slept once: its thread is no longer the loop's
        volatile boolean turn; // true while it runs and the loop waits
        volatile boolean done;
        volatile boolean abandoned;
        Throwable failure;

        Process(Thread thread, Runnable onYield, Runnable onEnd) {
            this.thread = thread;
            this.onYield = onYield;
            this.onEnd = onEnd;
        }
    }

    private final Instant epoch;
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final Set<Process> parked = new LinkedHashSet<>();
    private long now; // nanoseconds since the epoch
    private long seq;
    private long events;
    private long until;
    private volatile Thread owner; // the thread running the event loop
    private volatile Thread caller; // the thread waiting in runUntil
    private volatile boolean finished;
    private volatile Throwable failure;
    private Process current; // the process the loop resumed and waits for; null while the loop runs
    private Process inline; // the process running inline on the loop's thread, not yet converted

    /** A scheduler whose virtual time starts at {@code epoch}. */
    Scheduler(Instant epoch) {
        this.epoch = epoch;
    }

    @Override
    public Instant instant() {
        return epoch.plusNanos(now);
    }

    /** Virtual nanoseconds since the start. */
    long nanos() {
        return now;
    }

    /** Events run so far. */
    long events() {
        return events;
    }

    /** Runs {@code action} at virtual time {@code atNanos} (not before now). */
    void at(long atNanos, Runnable action) {
        queue.add(new Event(Math.max(now, atNanos), seq++, action));
    }

    /** Runs {@code action} after {@code delay}. */
    void after(Duration delay, Runnable action) {
        at(now + Math.max(0, delay.toNanos()), action);
    }

    /**
     * Runs events in order until none is left at or before {@code untilNanos}; the clock then reads that time.
     * A failure in an event or a process is rethrown here.
     */
    void runUntil(long untilNanos) {
        caller = Thread.currentThread();
        until = untilNanos;
        finished = false;
        failure = null;
        Thread loop = Thread.ofVirtual().name("simulation").unstarted(() -> loop(null));
        owner = loop;
        loop.start();
        while (!finished) {
            LockSupport.park(this);
        }
        owner = caller;
        Throwable t = failure;
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
        now = Math.max(now, untilNanos);
    }

    /** Unwinds every process still asleep (their work is cut off where it stands). Called after the last run. */
    void close() {
        owner = Thread.currentThread();
        for (Process p : parked) {
            p.abandoned = true;
            handTurn(p);
        }
        parked.clear();
    }

    /** The event loop, on whichever thread owns it; {@code resumed}: a process that just slept (its yield first). */
    private void loop(Process resumed) {
        Thread me = Thread.currentThread();
        try {
            if (resumed != null) {
                resumed.onYield.run();
            }
            while (owner == me) {
                Event e = queue.peek();
                if (e == null || e.at() > until) {
                    finished = true;
                    LockSupport.unpark(caller);
                    return;
                }
                queue.poll();
                now = e.at();
                events++;
                e.action().run();
            }
            // the loop moved to another thread while an event ran here: this was a process, and it has ended
        } catch (Throwable t) {
            failure = t;
            finished = true;
            LockSupport.unpark(caller);
        }
    }

    /**
     * Runs {@code body} now, on the loop's thread. If it never sleeps, {@code onEnd} runs right after it. If it
     * sleeps, it becomes a process: the loop goes on elsewhere, {@code onYield} runs on the loop each time the
     * process gives control back, and {@code onEnd} when it ends. Must be the last thing its caller does (once the
     * body slept, the frames above it no longer own the loop).
     */
    void run(Runnable body, Runnable onYield, Runnable onEnd) {
        Thread me = Thread.currentThread();
        if (owner != me || current != null || inline != null) {
            throw new IllegalStateException("run is for the event loop's thread, one at a time");
        }
        Process p = new Process(me, onYield, onEnd);
        inline = p;
        try {
            body.run();
        } catch (Abandoned a) {
            // close() unwound it: nobody waits for its end but close
        } catch (RuntimeException | Error t) {
            if (!p.converted) {
                inline = null;
                throw t;
            }
            p.failure = t;
        }
        if (!p.converted) {
            inline = null;
            onEnd.run();
            return;
        }
        // a process that slept has ended: hand the turn back to the loop, which runs onEnd (or rethrows)
        p.done = true;
        p.turn = false;
        LockSupport.unpark(owner);
    }

    /**
     * Pauses the calling process for {@code d} of virtual time; the loop runs other events meanwhile and resumes
     * it at {@code now + d}.
     */
    void sleep(Duration d) {
        Thread me = Thread.currentThread();
        Process p;
        if (current != null && current.thread == me) {
            p = current;
            current = null;
            after(d, () -> resume(p));
            parked.add(p);
            p.turn = false;
            LockSupport.unpark(owner);
        } else if (inline != null && inline.thread == me && owner == me) {
            p = inline;
            inline = null;
            p.converted = true;
            after(d, () -> resume(p));
            parked.add(p);
            Thread next = Thread.ofVirtual().name("simulation").unstarted(() -> loop(p));
            owner = next;
            next.start();
        } else {
            throw new IllegalStateException("only a process can sleep in virtual time");
        }
        while (!p.turn) {
            LockSupport.park(this);
        }
        if (p.abandoned) {
            throw new Abandoned();
        }
    }

    /** Hands the turn to a sleeping process and waits until it sleeps again or ends. */
    private void resume(Process p) {
        parked.remove(p);
        handTurn(p);
        if (!p.done) {
            p.onYield.run();
            return;
        }
        if (p.failure instanceof RuntimeException e) {
            throw e;
        }
        if (p.failure instanceof Error e) {
            throw e;
        }
        p.onEnd.run();
    }

    /** Gives {@code p} the turn and waits, parked, until it sleeps again or ends. */
    private void handTurn(Process p) {
        current = p;
        p.turn = true;
        LockSupport.unpark(p.thread);
        while (p.turn) {
            LockSupport.park(this);
        }
        current = null;
    }
}
