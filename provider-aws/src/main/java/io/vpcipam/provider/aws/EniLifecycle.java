package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.InterfaceSpec;
import io.vpcipam.provider.Limits;
import io.vpcipam.provider.NetworkInterface;
import io.vpcipam.provider.OwnerTags;

import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Logger;

import static io.vpcipam.provider.aws.Enis.partlyApplied;
import static io.vpcipam.provider.aws.Enis.prefixesIgnored;
import static io.vpcipam.provider.aws.Enis.refuseExcluded;
import static io.vpcipam.provider.aws.Enis.toInterface;

/**
 * An ENI's life on the node: create (in the subnet {@link SubnetRoom} picks, tagged for its owner), attach at the
 * lowest free device index, DeleteOnTermination; detach, wait until EC2 reports it available, delete. Undoes
 * partial work: a created ENI whose attach (or DeleteOnTermination) fails is deleted before the error is thrown,
 * so a failed create leaks nothing the leaked-ENI collector must find. Called under {@link AwsProvider}'s mutation
 * lock, which keeps two creates from picking the same device index.
 */
final class EniLifecycle {

    /** aws-node's tag naming the instance that created an ENI (written, never read: ownership is vpc-ipam.io/*). */
    static final String AWS_NODE_INSTANCE_ID_TAG = "node.k8s.amazonaws.com/instance_id";
    /** aws-node's cluster tag (CLUSTER_NAME), written beside vpc-ipam.io/cluster. */
    static final String AWS_NODE_CLUSTER_TAG = "cluster.k8s.amazonaws.com/name";

    private static final Logger LOG = Logger.getLogger(EniLifecycle.class.getName());

    private final Ec2 ec2;
    private final Guard guard;
    private final String instanceId;
    private final AwsSettings settings;
    private final InstantSource clock;
    private final NodeReads reads;
    private final SubnetRoom room;

    EniLifecycle(Ec2 ec2, Guard guard, String instanceId, AwsSettings settings, InstantSource clock,
                 NodeReads reads, SubnetRoom room) {
        this.ec2 = ec2;
        this.guard = guard;
        this.instanceId = instanceId;
        this.settings = settings;
        this.clock = clock;
        this.reads = reads;
        this.room = room;
    }

    /** Creates, attaches and (for prefixes beside addresses) fills a new ENI; see {@link AwsProvider#createInterface}. */
    NetworkInterface create(InterfaceSpec spec) throws CloudException {
        Ec2.Instance self = reads.instance();
        // card 0's: the pool's ENIs go there, and device indexes are numbered per card
        List<Ec2.Eni> attached = guard.call("DescribeNetworkInterfaces", () -> ec2.enisOfInstance(instanceId))
                .stream().filter(e -> Enis.attachedTo(e, instanceId)).filter(e -> e.attachment().networkCard() == 0)
                .toList();
        Limits max = reads.limits(self.type());
        int index = Enis.lowestFreeIndex(attached);
        if (attached.size() >= max.maxInterfaces()) {
            // checked here as well as by EC2: saves a create that could only be undone (and moto checks nothing)
            throw new CloudException.CapacityExhausted("AttachmentLimitExceeded", "instance " + instanceId + " ("
                    + self.type() + ") has all " + max.maxInterfaces() + " interfaces it may",
                    CloudException.CapacityExhausted.Scope.INSTANCE_INTERFACES);
        }
        List<String> groups = spec.securityGroups();
        if (groups.isEmpty()) {
            groups = attached.stream().filter(e -> e.attachment().deviceIndex() == 0).findFirst()
                    .map(Ec2.Eni::groups).orElse(List.of());
        }
        Map<String, String> tags = new LinkedHashMap<>(spec.tags());
        tags.putIfAbsent(OwnerTags.INSTANCE_ID, instanceId);
        tags.putIfAbsent(OwnerTags.CREATED_AT, clock.instant().toString());
        // aws-node's own keys as well, so IAM conditions and cost reports written for aws-node keep matching
        tags.putIfAbsent(AWS_NODE_INSTANCE_ID_TAG, instanceId);
        if (tags.containsKey(OwnerTags.CLUSTER)) {
            tags.putIfAbsent(AWS_NODE_CLUSTER_TAG, tags.get(OwnerTags.CLUSTER));
        }
        String description = spec.description().isEmpty() ? "vpc-ipam " + instanceId : spec.description();
        // EC2 takes an address count or a prefix count on create, not both: prefixes then follow after attach
        boolean both = spec.addresses() > 0 && spec.prefixes() > 0;
        List<String> finalGroups = groups;
        // one token for every attempt: a retry after a lost answer gets the ENI the first attempt made
        // instead of a second one that nobody attaches (a leak until the collector's grace period ends)
        String token = UUID.randomUUID().toString();
        Ec2.SubnetInfo target = room.placement(self, spec.subnetId());
        if (spec.prefixes() == 0) {
            SubnetRoom.refuseIfShort(target.id(), target.available(), spec.addresses() + 1,
                    "a new interface with " + spec.addresses() + " secondary addresses");
        }
        Ec2.Eni made;
        try {
            made = guard.call("CreateNetworkInterface", () -> ec2.createEni(token, target.id(),
                    finalGroups, spec.addresses(), both ? 0 : spec.prefixes(), tags, description));
        } catch (CloudException.CapacityExhausted e) {
            throw room.withSubnetFree(e, target.id());
        }
        try {
            String attachment = guard.call("AttachNetworkInterface", () -> ec2.attach(made.id(), instanceId, index));
            guard.run("ModifyNetworkInterfaceAttribute", () -> ec2.deleteOnTermination(made.id(), attachment));
            if (both) {
                guard.run("AssignPrivateIpAddresses", () -> ec2.assignPrefixes(made.id(), spec.prefixes()));
                return toInterface(guard.call("DescribeNetworkInterfaces", () -> ec2.eni(made.id())), index);
            }
        } catch (CloudException e) {
            undoCreate(made.id(), e);
            throw e;
        }
        if (!both && spec.prefixes() > 0 && made.prefixes().size() < spec.prefixes()) {
            CloudException e = prefixesIgnored(made.id(), spec.prefixes(), made.prefixes().size());
            undoCreate(made.id(), e);
            throw e;
        }
        return toInterface(made, index);
    }

    private void undoCreate(String eniId, CloudException cause) {
        try {
            detachAndDelete(eniId);
            LOG.info("deleted " + eniId + " after its set-up failed: " + cause.getMessage());
        } catch (CloudException e) {
            cause.addSuppressed(e);
            LOG.warning("could not delete " + eniId + " after its set-up failed (" + e.getMessage()
                    + "); the leaked-interface collector will find it by its tags");
        }
    }

    /** Detach (if attached), wait until EC2 reports it available, delete; retried while EC2 says it is in use. */
    void detachAndDelete(String eniId) throws CloudException {
        Ec2.Eni eni = guard.call("DescribeNetworkInterfaces", () -> ec2.eni(eniId));
        Ec2.Attachment att = eni.attachment();
        refuseExcluded(eni, "delete");
        if (att != null) {
            if (att.deviceIndex() == 0 && att.networkCard() == 0) {
                throw new CloudException.Fatal("OperationNotPermitted", eniId + " is the primary interface of "
                        + att.instanceId() + "; it is never deleted", null);
            }
            if (!instanceId.equals(att.instanceId())) {
                throw new CloudException.Conflict("InvalidNetworkInterface.InUse", eniId + " is attached to "
                        + att.instanceId() + ", not to this node " + instanceId);
            }
            try {
                guard.run("DetachNetworkInterface", () -> ec2.detach(att.attachmentId()));
            } catch (CloudException.NotFound e) {
                // detached meanwhile (InvalidAttachmentID.NotFound): nothing to wait for
            }
        }
        try {
            deleteDetached(eniId, att != null);
        } catch (CloudException.Throttled e) {
            if (att == null) {
                throw e;
            }
            throw partlyApplied(e, "the detach of " + eniId);
        }
    }

    /** The delete half of {@link #detachAndDelete}: waits for a detach to finish when there was one. */
    private void deleteDetached(String eniId, boolean wasAttached) throws CloudException {
        long deadline = System.nanoTime() + settings.detachTimeout().toNanos();
        long pause = 100;
        while (true) {
            try {
                if (wasAttached) {
                    Ec2.Eni now = guard.call("DescribeNetworkInterfaces", () -> ec2.eni(eniId));
                    if (now.attachment() != null && !"available".equals(now.status())) {
                        throw new CloudException.Conflict("IncorrectState", eniId + " is still "
                                + now.attachment().status() + " to " + now.attachment().instanceId());
                    }
                }
                guard.run("DeleteNetworkInterface", () -> ec2.deleteEni(eniId));
                return;
            } catch (CloudException.NotFound e) {
                return; // gone already: what we wanted
            } catch (CloudException.Conflict e) {
                if (System.nanoTime() + pause * 1_000_000 > deadline) {
                    throw new CloudException.Conflict(e.code(), eniId + " could not be deleted within "
                            + settings.detachTimeout() + ": " + e.getMessage());
                }
                sleep(pause);
                pause = Math.min(2_000, pause * 2);
            }
        }
    }

    private static void sleep(long millis) throws CloudException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CloudException.Fatal("Interrupted", "interrupted while waiting for a detach", e, true);
        }
    }
}
