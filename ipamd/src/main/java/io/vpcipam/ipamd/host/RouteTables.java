package io.vpcipam.ipamd.host;

/**
 * The one place route tables are numbered, as the AWS CNI does on network card 0: pods on the primary interface
 * use the main table, pods on the interface with device index {@code d >= 1} use table {@code d + 1}. The lease the
 * plugin receives and the table ipamd fills both come from here.
 */
public final class RouteTables {

    /** The kernel's main table. */
    public static final int MAIN = 254;

    private RouteTables() {
    }

    /** The table of pods on the interface with this device index; 0 means the main table (no policy rule). */
    public static int forDevice(int deviceIndex) {
        if (deviceIndex < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + deviceIndex);
        }
        return deviceIndex == 0 ? 0 : deviceIndex + 1;
    }
}
