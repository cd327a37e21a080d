package io.vpcipam.ipamd.host;

import java.util.Map;
import java.util.Set;

/** The pool as the host data path sees it: what to set up, and where to report what was set up. */
public interface PoolSide {

    /** The interfaces and VPC blocks to set the node up for; no interfaces before the first describe. */
    HostView hostView();

    /**
     * Reports each interface's Linux link ({@code links}, by interface id) and which interfaces are ready for pods.
     * Called by the host data path's thread after each pass; never blocks for long.
     */
    void hostApplied(Map<String, String> links, Set<String> ready);
}
