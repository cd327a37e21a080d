package io.vpcipam.ipamd.pool;

/**
 * What the pool engine has to tell the cluster's operators, beyond its log: on Kubernetes each becomes a Warning
 * Event on the Node (and on the Pod when one is named). Implementations never block and never throw: they are
 * called on the reconciler's thread and on the socket's threads, and an ADD must not wait for an API server.
 */
@FunctionalInterface
public interface Warnings {

    /** Why; {@link #reason()} is the Event's reason (a stable CamelCase word, as Kubernetes' own reasons). */
    enum Reason {
        /** The subnet has no free address (or prefix) for this node's pool. */
        SUBNET_EXHAUSTED("SubnetExhausted"),
        /** The cloud refused a call for lack of permission (IAM policy, Azure role). */
        CLOUD_PERMISSION_DENIED("CloudPermissionDenied"),
        /** The cloud refused to grow the pool for an instance or interface limit (Azure's per-VM limit, EC2's). */
        CLOUD_LIMIT_REFUSED("CloudLimitRefused"),
        /** An ADD waited for an address for its whole timeout and got none. */
        ADD_TIMED_OUT("AddTimedOut");

        private final String reason;

        Reason(String reason) {
            this.reason = reason;
        }

        /** The Event's reason. */
        public String reason() {
            return reason;
        }
    }

    /** Tells nothing to anyone (no Kubernetes, tests). */
    Warnings NONE = (reason, podNamespace, podName, message) -> { };

    /**
     * Reports one occurrence; returns at once.
     *
     * @param podNamespace the pod concerned, or "" when the warning is about the node only
     * @param podName      the pod concerned, or ""
     * @param message      what happened, for people (the first occurrence's message is the Event's note)
     */
    void warn(Reason reason, String podNamespace, String podName, String message);
}
