package io.vpcipam.protocol;

/**
 * One attachment a GC request says is still valid: the lease key (network, containerId, ifName).
 * All three are required, non-empty and at most {@link Request#MAX_STRING_CHARS} characters.
 */
public record Attachment(String network, String containerId, String ifName) {

    /** Validates the three key fields. */
    public Attachment {
        Request.requireField("attachment", "network", network);
        Request.requireField("attachment", "containerId", containerId);
        Request.requireField("attachment", "ifName", ifName);
    }
}
