package io.vpcipam.provider;

/** Tag keys ipamd puts on every interface it creates, and by which it finds the ones it leaked. */
public final class OwnerTags {

    /** The id of the instance that created the interface. */
    public static final String INSTANCE_ID = "vpc-ipam.io/instance-id";
    /** ISO-8601 time of creation, for the leaked-interface grace period. */
    public static final String CREATED_AT = "vpc-ipam.io/created-at";
    /** The cluster name, when configured, so one cluster never collects another's interfaces. */
    public static final String CLUSTER = "vpc-ipam.io/cluster";

    private OwnerTags() {
    }
}
