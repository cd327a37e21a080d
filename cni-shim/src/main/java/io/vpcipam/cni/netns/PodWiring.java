package io.vpcipam.cni.netns;

import java.util.List;

/**
 * The pod-network half of the plugin: everything it does to the host and the pod netns. The
 * dispatcher only decides; this does. Tests use a fake.
 */
public interface PodWiring {

    /** Link-local gateway every pod routes through; its neighbour entry is static, so no ARP. */
    String GATEWAY = "169.254.1.1";
    /** Priority of the "to pod -> main" rule: above the system's 32766 main and ipamd's 32765. */
    int TO_POD_PRIORITY = 512;
    /** Priority of the "from pod -> interface table" rule, after to-pod (pod-to-pod stays on main). */
    int FROM_POD_PRIORITY = 1536;

    /**
     * Wires the pod. On failure it has already undone its own partial work (veth, routes, rules)
     * before throwing. A leftover of an earlier attempt for the same key is replaced.
     */
    void add(WireSpec spec) throws WiringException;

    /**
     * Prepares an ADD before its address is known, and fails if the wiring could not be done at all,
     * before any address is taken ({@link Started#begin} then starts what can run ahead of ipamd's
     * answer). The default starts nothing and wires at {@link Started#add}.
     */
    default Started startAdd(String netns) throws WiringException {
        return new Started() {
            @Override
            public void add(WireSpec spec) throws WiringException {
                PodWiring.this.add(spec);
            }

            @Override
            public void close() {
                // nothing was started
            }
        };
    }

    /**
     * An ADD started by {@link #startAdd}: {@link #begin} when ipamd has the request, {@link #add} at
     * most once, {@link #close} always.
     */
    interface Started extends AutoCloseable {
        /**
         * Starts what can run before the address is known (the wiring's processes), while ipamd
         * answers; {@link #add} does it if this was not called. The default starts nothing.
         */
        default void begin() {
        }

        /** As {@link PodWiring#add}. */
        void add(WireSpec spec) throws WiringException;

        /** Ends what was started for nothing when {@link #add} was not called; never throws. */
        @Override
        void close();
    }

    /**
     * Tears an attachment down: the host veth (its pod peer goes with it), the host route and the
     * rules for {@code addresses}. Succeeds when any of it is already gone. When
     * {@code addresses} is empty, the addresses routed to the host veth are used.
     */
    void del(String hostVeth, List<String> addresses) throws WiringException;

    /**
     * GC: removes the policy rules at our two priorities whose address has no host /32 route any
     * more (a pod whose netns died without a DEL); the {@code rule del} lines it ran, empty when none.
     */
    List<String> sweepRules() throws WiringException;

    /** Compares what is really on the host and in the pod with {@code spec}; the differences, empty when none. */
    List<String> check(WireSpec spec) throws WiringException;
}
