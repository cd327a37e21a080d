package io.vpcipam.ipamd.takeover;

import io.vpcipam.provider.Ipv4Address;

import java.util.List;

/**
 * The pods Kubernetes lists on this node that can hold a pod address (not host-network, not finished), read in one
 * quorum list: the takeover's strongest evidence.
 *
 * @param pods every such pod
 */
public record NodePods(List<Pod> pods) {

    /**
     * One pod.
     *
     * @param addresses its status.podIPs (IPv4 ones); empty while the kubelet has not reported one yet
     */
    public record Pod(String namespace, String name, List<Ipv4Address> addresses) {
        public Pod {
            addresses = List.copyOf(addresses);
        }

        /** "namespace/name". */
        public String key() {
            return namespace + "/" + name;
        }
    }

    public NodePods {
        pods = List.copyOf(pods);
    }
}
