package io.vpcipam.ipamd.takeover;

import io.vpcipam.provider.Ipv4Address;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which of the addresses found at a takeover no pod can hold. Pure: the evidence is read elsewhere.
 *
 * <p>The rule errs on the side of keeping, since an address wrongly proven free is handed to a second pod:
 * <ul>
 *   <li>With Kubernetes: the node's pods are the truth. An address is held when a listed pod reports it, or when
 *       aws-node's checkpoint gives it to a pod that is still listed (its status may lag). The list proves the rest
 *       free only when it is complete: a pod with no address reported yet that ipamd did not wire may be holding one
 *       of them, so nothing is proven until it reports.</li>
 *   <li>Without Kubernetes, with aws-node's checkpoint: what it does not name is free (aws-node has stopped, so it
 *       gives out nothing more); what it names stays unproven, since nothing says when that pod is gone.</li>
 *   <li>With neither: nothing is proven.</li>
 * </ul>
 */
public final class Takeover {

    private Takeover() {
    }

    /**
     * The decision.
     *
     * @param free   addresses proven free of pods
     * @param reason why the rest (if any) stay unproven, for logs and explain
     */
    public record Verdict(Set<Ipv4Address> free, String reason) {
        public Verdict {
            free = Set.copyOf(free);
        }
    }

    /**
     * Decides.
     *
     * @param unproven addresses not yet proven free
     * @param awsNode  aws-node's checkpoint, when there is one
     * @param pods     the node's pods, when Kubernetes answered
     * @param ourPods  "namespace/name" of the pods ipamd leased an address to (a pod of ours without a reported
     *                 address holds no unproven one)
     */
    public static Verdict provenFree(Set<Ipv4Address> unproven, Optional<AwsNodeCheckpoint> awsNode,
                                     Optional<NodePods> pods, Set<String> ourPods) {
        if (unproven.isEmpty()) {
            return new Verdict(Set.of(), "nothing to prove");
        }
        Set<Ipv4Address> held = new HashSet<>();
        if (pods.isPresent()) {
            List<String> silent = new ArrayList<>();
            Set<String> listed = new HashSet<>();
            for (NodePods.Pod p : pods.get().pods()) {
                listed.add(p.key());
                held.addAll(p.addresses());
                if (p.addresses().isEmpty() && !ourPods.contains(p.key())) {
                    silent.add(p.key());
                }
            }
            if (!silent.isEmpty()) {
                return new Verdict(Set.of(), silent.size() + " pods on the node report no address yet and were not"
                        + " wired by ipamd (" + String.join(", ", silent.subList(0, Math.min(5, silent.size())))
                        + (silent.size() > 5 ? ", ..." : "") + "): one may hold an unproven address");
            }
            awsNode.ifPresent(cp -> cp.allocations().forEach((a, h) -> {
                if (listed.contains(h.namespace() + "/" + h.name())) {
                    held.add(a);
                }
            }));
            return verdict(unproven, held, "held by pods Kubernetes lists on the node");
        }
        if (awsNode.isPresent()) {
            held.addAll(awsNode.get().allocations().keySet());
            return verdict(unproven, held, "given to pods by aws-node's checkpoint (without Kubernetes nothing says"
                    + " when those pods are gone)");
        }
        return new Verdict(Set.of(), "no evidence: Kubernetes is not reachable and there is no aws-node checkpoint");
    }

    private static Verdict verdict(Set<Ipv4Address> unproven, Set<Ipv4Address> held, String why) {
        Set<Ipv4Address> free = new TreeSet<>(unproven);
        free.removeAll(held);
        int kept = unproven.size() - free.size();
        return new Verdict(free, kept == 0 ? "all proven free" : kept + " " + why);
    }
}
