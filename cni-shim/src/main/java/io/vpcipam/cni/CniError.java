package io.vpcipam.cni;

/**
 * The closed set of error codes this plugin prints: the CNI 1.1.0 well-known codes (0-99) and
 * our own (100+). Every failure leaves the plugin as exactly one of these, printed as
 * {@code {"cniVersion","code","msg","details"}} on stdout with exit status 1.
 */
public enum CniError {
    /** 1: the config's cniVersion is not one we support (or the command needs a newer one). */
    INCOMPATIBLE_CNI_VERSION(1),
    /** 2: a config field has a value we do not support. */
    UNSUPPORTED_FIELD(2),
    /** 3: the container (its netns) does not exist: the runtime need not clean up. */
    UNKNOWN_CONTAINER(3),
    /** 4: a CNI_* environment variable is missing or malformed. */
    INVALID_ENVIRONMENT_VARIABLES(4),
    /** 5: reading stdin, writing the spool or another local I/O failed. */
    IO_FAILURE(5),
    /** 6: stdin is not a JSON object. */
    DECODING_FAILURE(6),
    /** 7: the network config is well-formed JSON but invalid (missing name, bad types...). */
    INVALID_NETWORK_CONFIG(7),
    /** 11: try again later: ipamd is unreachable, or answered with a retryable error. */
    TRY_AGAIN_LATER(11),
    /** 50: STATUS: the plugin cannot serve ADD now (ipamd is not answering). */
    PLUGIN_NOT_AVAILABLE(50),
    /** 999: an unexpected failure in the plugin itself. */
    INTERNAL(999),
    /** 100: ipamd refused the request with a non-retryable error (its code is in the details). */
    IPAMD_REJECTED(100),
    /** 101: ipamd answered with something that is not protocol v1. */
    IPAMD_BAD_REPLY(101),
    /** 102: wiring the pod's network failed; everything done was undone and the address given back. */
    WIRING_FAILED(102),
    /** 103: CHECK: the pod's interfaces, addresses or routes differ from prevResult. */
    INTERFACE_DRIFT(103),
    /** 104: CHECK: ipamd does not hold the lease prevResult describes. */
    LEASE_DRIFT(104),
    /** 105: DEL: tearing the pod's network down failed for a reason other than "already gone". */
    TEARDOWN_FAILED(105);

    private final int code;

    CniError(int code) {
        this.code = code;
    }

    /** The numeric code printed in the error JSON. */
    public int code() {
        return code;
    }

    /** An exception carrying this code. */
    public CniException error(String msg) {
        return new CniException(this, msg, null);
    }

    /** An exception carrying this code, with details. */
    public CniException error(String msg, String details) {
        return new CniException(this, msg, details);
    }
}
