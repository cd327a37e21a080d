package io.vpcipam.ipamd.lease;

/**
 * What identifies one attachment, as the CNI specification does: (network name, container id, interface name).
 * A repeated ADD with the same key gets the same lease; a DEL of an unknown key succeeds.
 */
public record LeaseKey(String network, String containerId, String ifName) {

    public LeaseKey {
        if (network == null || network.isBlank() || containerId == null || containerId.isBlank()
                || ifName == null || ifName.isBlank()) {
            throw new IllegalArgumentException("lease key needs network, containerId and ifName, got "
                    + network + "/" + containerId + "/" + ifName);
        }
    }

    @Override
    public String toString() {
        return network + "/" + containerId + "/" + ifName;
    }
}
