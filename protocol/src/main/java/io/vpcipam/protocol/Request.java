package io.vpcipam.protocol;

import java.util.List;
import java.util.Objects;

/**
 * A protocol v1 request from the shim (or {@code ipamd status}) to ipamd. The wire
 * {@code version} is not a field: the {@link Codec} writes and demands {@value Codec#VERSION}.
 *
 * <p>Validated on construction, so every Request that exists can be encoded and decoded back:
 * ADD, DEL and CHECK need network, containerId and ifName; ADD also needs netns; GC needs network
 * and attachments (an empty list means no attachment is valid any more). Every string is at most
 * {@link #MAX_STRING_CHARS} characters of valid Unicode ({@link #checkString}), and there are at most
 * {@link #MAX_ATTACHMENTS} attachments.
 *
 * @param op           the operation (required)
 * @param network      the CNI network name (the lease key's first part)
 * @param containerId  the CNI container id
 * @param ifName       the interface name inside the container, e.g. {@code eth0}
 * @param netns        the network namespace path (required for ADD)
 * @param podNamespace the pod's namespace (K8S_POD_NAMESPACE), optional
 * @param podName      the pod's name (K8S_POD_NAME), optional
 * @param attachments  GC only: the attachments still valid; never null (empty for other ops)
 */
public record Request(Op op, String network, String containerId, String ifName, String netns,
                      String podNamespace, String podName, List<Attachment> attachments) {

    /** The longest string field a request may carry, in characters. */
    public static final int MAX_STRING_CHARS = 1024;
    /** The most attachments a GC request may carry (the frame limit usually binds first). */
    public static final int MAX_ATTACHMENTS = 100_000;

    /** Validates the fields the op needs and the size bounds. */
    public Request {
        Objects.requireNonNull(op, "op");
        String what = op.wireName();
        switch (op) {
            case ADD, DEL, CHECK -> {
                requireField(what, "network", network);
                requireField(what, "containerId", containerId);
                requireField(what, "ifName", ifName);
                if (op == Op.ADD) {
                    requireField(what, "netns", netns);
                }
            }
            case GC -> {
                requireField(what, "network", network);
                if (attachments == null) {
                    throw new IllegalArgumentException(
                            "gc needs attachments (an empty list means none is still valid)");
                }
            }
            case STATUS -> { }
        }
        checkLength("network", network);
        checkLength("containerId", containerId);
        checkLength("ifName", ifName);
        checkLength("netns", netns);
        checkLength("podNamespace", podNamespace);
        checkLength("podName", podName);
        if (attachments == null) {
            attachments = List.of();
        } else {
            if (attachments.size() > MAX_ATTACHMENTS) {
                throw new IllegalArgumentException("attachments has " + attachments.size()
                        + " entries, more than the limit of " + MAX_ATTACHMENTS);
            }
            for (int i = 0; i < attachments.size(); i++) {
                if (attachments.get(i) == null) {
                    throw new IllegalArgumentException("attachments[" + i + "] must not be null");
                }
            }
            attachments = List.copyOf(attachments);
        }
    }

    /** ADD: allocate (or return the existing) lease for network+containerId+ifName. */
    public static Request add(String network, String containerId, String ifName, String netns,
                              String podNamespace, String podName) {
        return new Request(Op.ADD, network, containerId, ifName, netns, podNamespace, podName, null);
    }

    /** DEL: release the lease for network+containerId+ifName (netns and pod names are optional). */
    public static Request del(String network, String containerId, String ifName, String netns,
                              String podNamespace, String podName) {
        return new Request(Op.DEL, network, containerId, ifName, netns, podNamespace, podName, null);
    }

    /** DEL with only the lease key. */
    public static Request del(String network, String containerId, String ifName) {
        return del(network, containerId, ifName, null, null, null);
    }

    /** CHECK: confirm the lease for network+containerId+ifName exists. */
    public static Request check(String network, String containerId, String ifName, String netns,
                                String podNamespace, String podName) {
        return new Request(Op.CHECK, network, containerId, ifName, netns, podNamespace, podName, null);
    }

    /** CHECK with only the lease key. */
    public static Request check(String network, String containerId, String ifName) {
        return check(network, containerId, ifName, null, null, null);
    }

    /** GC: free every lease of {@code network} not listed in {@code attachments}. */
    public static Request gc(String network, List<Attachment> attachments) {
        return new Request(Op.GC, network, null, null, null, null, null, attachments);
    }

    /** STATUS: describe the node, the pool and the leases. */
    public static Request status() {
        return new Request(Op.STATUS, null, null, null, null, null, null, null);
    }

    static void requireField(String what, String field, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException(what + " needs a non-empty " + field);
        }
        checkLength(field, value);
    }

    private static void checkLength(String field, String value) {
        checkString(field, value);
    }

    /**
     * The one rule for a request string: at most {@link #MAX_STRING_CHARS} characters, and valid Unicode. JSON may
     * carry an unpaired UTF-16 surrogate ({@code "\\ud800"}), but no UTF-8 file can: a key holding one would be
     * written to ipamd's checkpoint as '?' and, after a restart, name a different attachment (the lease orphaned).
     *
     * @throws IllegalArgumentException naming {@code field} and what is wrong
     */
    public static void checkString(String field, String value) {
        if (value == null) {
            return;
        }
        if (value.length() > MAX_STRING_CHARS) {
            throw new IllegalArgumentException(field + " is " + value.length()
                    + " characters long, more than the limit of " + MAX_STRING_CHARS);
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(field + " has an unpaired UTF-16 surrogate (\\u"
                        + Integer.toHexString(c) + " at index " + i + "); strings must be valid Unicode");
            }
        }
    }
}
