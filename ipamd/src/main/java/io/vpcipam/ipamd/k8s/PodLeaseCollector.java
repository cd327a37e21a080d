package io.vpcipam.ipamd.k8s;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.vpcipam.ipamd.lease.Lease;
import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.ipamd.pool.AddressPool;
import io.vpcipam.ipamd.pool.PoolException;
import io.vpcipam.ipamd.takeover.NodePods;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Releases leases whose pod is gone: the DEL that should have released them never reached ipamd (it was down, or
 * the runtime lost it). The kubelet's DEL stays the normal path; this only collects what it missed, so it errs on
 * the side of keeping: an address held a few minutes too long costs little, an address handed out twice breaks two
 * pods.
 *
 * <p>A lease is released only when all of these hold: the runtime told us its pod (ctr-style calls without
 * K8S_POD_* are never judged); the lease is older than the grace period (a list served from the API server's
 * watch cache may predate the pod); its pod has been missing from every list of this node's pods for the whole
 * grace period; and a direct GET of the pod (a quorum read) says it is gone, finished (Succeeded/Failed) or on
 * another node. A pod that exists keeps its lease, whenever the lease was made and however often ipamd restarted.
 * When the API server cannot be asked, nothing is released.
 *
 * <p>Which pods are on this node comes from a watch ({@code fieldSelector=spec.nodeName=<node>}, a fabric8
 * informer: one list, then one long-lived watch that fabric8 resumes from the last resourceVersion and re-lists
 * after a 410), so an idle node costs the API server no request per tick. Whenever the watch is not up (not yet
 * synced, the API server restarting, a watch refused) each round lists instead, as before: the list is the resync.
 *
 * <p>{@link #collect} is called from one thread only (the integration's timer); the informer has its own.
 */
final class PodLeaseCollector {

    private static final Logger LOG = Logger.getLogger(PodLeaseCollector.class.getName());

    private final KubernetesClient client;
    private final String nodeName;
    private final Duration grace;
    private final InstantSource clock;
    private final AddressPool pool;
    private final Map<LeaseKey, Instant> missingSince = new HashMap<>();
    private boolean asked;
    private SharedIndexInformer<Pod> watch;

    PodLeaseCollector(KubernetesClient client, String nodeName, Duration grace, InstantSource clock, AddressPool pool) {
        this.client = client;
        this.nodeName = nodeName;
        this.grace = grace;
        this.clock = clock;
        this.pool = pool;
    }

    /**
     * Starts watching this node's pods (returns at once; the informer lists, then watches, and retries with
     * backoff whenever the API server is away). Until it has synced, each round lists.
     */
    synchronized void startWatch() {
        if (watch != null) {
            return;
        }
        watch = client.pods().inAnyNamespace().withField("spec.nodeName", nodeName).runnableInformer(0)
                .exceptionHandler((started, t) -> {
                    LOG.log(Level.FINE, "watch of node " + nodeName + "'s pods failed; retrying", t);
                    return true; // never give up: the list covers the rounds until the watch is back
                });
        watch.start();
    }

    /** Stops the watch. */
    synchronized void stopWatch() {
        if (watch != null) {
            watch.stop();
            watch = null;
        }
    }

    /** Whether the pods on this node come from a live watch (else each round lists). */
    synchronized boolean watching() {
        return watch != null && watch.hasSynced() && watch.isWatching();
    }

    /**
     * One round: takes this node's pods from the watch (or lists them) and releases what is due.
     *
     * @return how many leases were released
     * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server cannot be asked (nothing
     *                                                                was released)
     */
    int collect() throws InterruptedException {
        List<Lease> leases = pool.status().leases().stream().filter(l -> !l.podName().isEmpty()).toList();
        asked = false;
        if (leases.isEmpty()) {
            missingSince.clear();
            return 0; // nothing to judge: no need to ask the API server
        }
        Set<String> live = livePods();
        asked = true;
        Instant now = clock.instant();
        Set<LeaseKey> seen = new HashSet<>();
        int released = 0;
        for (Lease lease : leases) {
            seen.add(lease.key());
            if (live.contains(podKey(lease.podNamespace(), lease.podName()))) {
                missingSince.remove(lease.key());
                continue;
            }
            if (lease.assignedAt().plus(grace).isAfter(now)) {
                continue;
            }
            Instant since = missingSince.computeIfAbsent(lease.key(), k -> now);
            if (Duration.between(since, now).compareTo(grace) < 0) {
                continue;
            }
            String gone = whyGone(lease.podNamespace(), lease.podName());
            if (gone == null) {
                missingSince.remove(lease.key()); // the list was stale; the pod is here
                continue;
            }
            try {
                if (pool.release(lease, AddressPool.DropReason.POD_GONE)) {
                    released++;
                    LOG.info("released " + lease.address() + " of " + lease.key() + ": pod " + lease.podNamespace()
                            + "/" + lease.podName() + " " + gone + " (missing from node " + nodeName
                            + "'s pods since " + since + ")");
                }
                missingSince.remove(lease.key());
            } catch (PoolException e) {
                LOG.warning("could not release " + lease.key() + " of pod " + lease.podName() + " (" + gone + "): "
                        + e.getMessage());
            }
        }
        missingSince.keySet().retainAll(seen);
        return released;
    }

    /** Whether the last round got an answer from the API server (false when there was nothing to ask). */
    boolean asked() {
        return asked;
    }

    /** Leases whose pod is currently seen missing (for tests and introspection). */
    Set<LeaseKey> missing() {
        return Set.copyOf(missingSince.keySet());
    }

    /**
     * The pods that can hold a lease on this node, as "namespace/name": the watch's cache when it is live, else a
     * list with resourceVersion=0 (served from the API server's watch cache, not etcd).
     */
    private Set<String> livePods() {
        List<Pod> pods;
        SharedIndexInformer<Pod> w;
        synchronized (this) {
            w = watch;
        }
        if (w != null && w.hasSynced() && w.isWatching()) {
            pods = w.getStore().list();
        } else {
            pods = client.pods().inAnyNamespace().withField("spec.nodeName", nodeName)
                    .list(new ListOptionsBuilder().withResourceVersion("0").build()).getItems();
        }
        Set<String> live = new HashSet<>();
        for (Pod pod : pods) {
            if (canHoldLease(pod)) {
                live.add(podKey(pod.getMetadata().getNamespace(), pod.getMetadata().getName()));
            }
        }
        return live;
    }

    /**
     * Why pod {@code namespace/name} can no longer hold a lease on this node, by a direct GET (a quorum read); null
     * when it still can.
     */
    private String whyGone(String namespace, String name) {
        Pod pod = client.pods().inNamespace(namespace).withName(name).get();
        return pod == null ? "no longer exists" : whyNot(pod);
    }

    /** Null when {@code pod} can hold a lease here; else why not, as a log phrase. */
    private String whyNot(Pod pod) {
        String podNode = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        if (!nodeName.equals(podNode)) {
            return podNode == null || podNode.isEmpty() ? "is not scheduled on any node"
                    : "is now a pod on node " + podNode + " (recreated under the same name)";
        }
        if (Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            return "uses the host network";
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            return "has finished (phase " + phase + ")";
        }
        return null;
    }

    /** On this node (checked here too, not only by the selector), not host-network, not finished. */
    private boolean canHoldLease(Pod pod) {
        return whyNot(pod) == null;
    }

    /**
     * This node's pods that can hold a pod address (not host-network, not finished), in one quorum read (no
     * resourceVersion: a list from the watch cache could miss a pod's newest address), for the takeover's evidence.
     *
     * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server cannot be asked
     */
    NodePods nodePods() {
        java.util.List<NodePods.Pod> out = new java.util.ArrayList<>();
        for (Pod pod : client.pods().inAnyNamespace().withField("spec.nodeName", nodeName).list()
                .getItems()) {
            if (pod.getSpec() == null || !nodeName.equals(pod.getSpec().getNodeName())
                    || Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
                continue;
            }
            String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
            if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
                continue;
            }
            java.util.List<io.vpcipam.provider.Ipv4Address> ips = new java.util.ArrayList<>();
            if (pod.getStatus() != null) {
                java.util.Set<String> texts = new java.util.LinkedHashSet<>();
                if (pod.getStatus().getPodIP() != null) {
                    texts.add(pod.getStatus().getPodIP());
                }
                if (pod.getStatus().getPodIPs() != null) {
                    pod.getStatus().getPodIPs().forEach(ip -> texts.add(ip.getIp()));
                }
                for (String t : texts) {
                    try {
                        ips.add(io.vpcipam.provider.Ipv4Address.parse(t));
                    } catch (IllegalArgumentException notIpv4) {
                        // an IPv6 address: no IPv4 pool address is held by it
                    }
                }
            }
            out.add(new NodePods.Pod(pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                    ips));
        }
        return new NodePods(out);
    }

    /** Pod {@code namespace/name}'s uid as the watch last saw it, or null when the watch does not have it. */
    synchronized String podUid(String namespace, String name) {
        if (watch == null || !watch.hasSynced()) {
            return null;
        }
        Pod pod = watch.getStore().getByKey(namespace + "/" + name);
        return pod == null ? null : pod.getMetadata().getUid();
    }

    private static String podKey(String namespace, String name) {
        return namespace + "/" + name;
    }
}
