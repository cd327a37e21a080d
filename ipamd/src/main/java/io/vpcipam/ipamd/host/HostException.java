package io.vpcipam.ipamd.host;

/** A host read or change that failed, with the step it failed in (a metric label) and what the tool said. */
public final class HostException extends Exception {

    /** Where it failed; the label of {@code vpc_ipam_host_setup_errors}. */
    public enum Step { READ, IP, IPTABLES, SYSCTL }

    private final Step step;

    public HostException(Step step, String message) {
        super(message);
        this.step = step;
    }

    /** The step that failed. */
    public Step step() {
        return step;
    }
}
