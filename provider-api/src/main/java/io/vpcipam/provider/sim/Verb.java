package io.vpcipam.provider.sim;

/**
 * The SPI verbs as the simulated cloud counts them, each with the EC2 operation name it stands for (the name
 * reported to {@link io.vpcipam.provider.CloudCallListener}, so sim and AWS metrics line up).
 */
public enum Verb {
    /** {@code describeNode}. */
    DESCRIBE_NODE("DescribeNetworkInterfaces", false),
    /** {@code createInterface} (EC2: create, attach and tag in one go). */
    CREATE_INTERFACE("CreateNetworkInterface", true),
    /** {@code deleteInterface}. */
    DELETE_INTERFACE("DeleteNetworkInterface", true),
    /** {@code assign}. */
    ASSIGN("AssignPrivateIpAddresses", true),
    /** {@code unassign}. */
    UNASSIGN("UnassignPrivateIpAddresses", true),
    /** {@code findOrphanedInterfaces} (EC2: a filtered DescribeNetworkInterfaces). */
    FIND_ORPHANS("DescribeNetworkInterfaces", false);

    private final String ec2Name;
    private final boolean mutating;

    Verb(String ec2Name, boolean mutating) {
        this.ec2Name = ec2Name;
        this.mutating = mutating;
    }

    /** The EC2 operation name, e.g. {@code AssignPrivateIpAddresses}. */
    public String ec2Name() {
        return ec2Name;
    }

    /** Whether the call changes the cloud (and so pays the configured latency and rewrites the state file). */
    public boolean mutating() {
        return mutating;
    }
}
