package io.vpcipam.cni;

import java.util.List;

/** The CNI spec versions this plugin speaks, and what each allows. */
final class CniVersion {

    /** The newest version: what we answer with when the caller gave none we know. */
    static final String LATEST = "1.1.0";
    /** What VERSION reports; 0.4.0 is the oldest with CHECK and prevResult on DEL. */
    static final List<String> SUPPORTED = List.of("0.4.0", "1.0.0", "1.1.0");

    private CniVersion() {
    }

    static boolean supported(String v) {
        return v != null && SUPPORTED.contains(v);
    }

    /** GC and STATUS exist from 1.1.0 on. */
    static boolean atLeast110(String v) {
        return "1.1.0".equals(v);
    }

    /** 0.x results carry {@code "version":"4"} in each ip entry; 1.x dropped it. */
    static boolean legacyIps(String v) {
        return v.startsWith("0.");
    }
}
