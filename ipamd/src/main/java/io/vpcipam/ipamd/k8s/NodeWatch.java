package io.vpcipam.ipamd.k8s;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Whether this node is cordoned, from a watch of its own Node object ({@code fieldSelector=metadata.name=<node>}, as
 * the kubelet watches it): {@code kubectl cordon} sets {@code spec.unschedulable}, and the node lifecycle controller
 * then adds the {@code node.kubernetes.io/unschedulable:NoSchedule} taint (which aws-node reads); either counts.
 * Each change is handed to {@code onChange} on the informer's thread. While the watch is down the last state stands.
 */
final class NodeWatch {

    private static final Logger LOG = Logger.getLogger(NodeWatch.class.getName());
    /** The taint the node lifecycle controller puts on a cordoned node. */
    static final String UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable";

    private final KubernetesClient client;
    private final String nodeName;
    private final Consumer<Boolean> onChange;
    private Boolean cordoned; // null until first seen
    private SharedIndexInformer<Node> informer;

    NodeWatch(KubernetesClient client, String nodeName, Consumer<Boolean> onChange) {
        this.client = client;
        this.nodeName = nodeName;
        this.onChange = onChange;
    }

    /** Whether {@code node} is cordoned (false for null). */
    static boolean cordoned(Node node) {
        if (node == null || node.getSpec() == null) {
            return false;
        }
        if (Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
            return true;
        }
        return node.getSpec().getTaints() != null && node.getSpec().getTaints().stream().anyMatch(t ->
                UNSCHEDULABLE_TAINT.equals(t.getKey()) && "NoSchedule".equals(t.getEffect()));
    }

    /** Takes the state of a Node read some other way (at start, before the watch has synced). */
    synchronized void seen(Node node) {
        if (node == null) {
            return;
        }
        boolean now = cordoned(node);
        if (cordoned == null || cordoned != now) {
            cordoned = now;
            LOG.info("Node " + nodeName + " is " + (now ? "cordoned: no interface is created or deleted until it is"
                    + " uncordoned (AWS_MANAGE_ENIS_NON_SCHEDULABLE=false)" : "schedulable: interfaces are managed"));
            onChange.accept(now);
        }
    }

    /** Starts the watch (returns at once; the informer lists, then watches, retrying with backoff). */
    synchronized void start() {
        if (informer != null) {
            return;
        }
        informer = client.nodes().withField("metadata.name", nodeName).runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node node) {
                seen(node);
            }

            @Override
            public void onUpdate(Node before, Node node) {
                seen(node);
            }

            @Override
            public void onDelete(Node node, boolean unknownFinalState) {
                // a deleted Node says nothing about scheduling: keep the last state
            }
        });
        informer.exceptionHandler((started, t) -> {
            LOG.log(Level.FINE, "watch of Node " + nodeName + " failed; retrying", t);
            return true;
        });
        informer.start();
    }

    /** Stops the watch. */
    synchronized void stop() {
        if (informer != null) {
            informer.stop();
            informer = null;
        }
    }
}
