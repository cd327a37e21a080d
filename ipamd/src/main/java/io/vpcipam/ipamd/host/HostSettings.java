package io.vpcipam.ipamd.host;

import io.vpcipam.provider.Cidr;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How ipamd sets up the node's side of the pool's interfaces (the AWS CNI's names where one exists).
 *
 * @param enabled          whether ipamd programs the host at all ({@code IPAMD_HOST_NETWORK})
 * @param externalSnat     {@code AWS_VPC_K8S_CNI_EXTERNALSNAT}: no SNAT; pods on secondary interfaces send every
 *                         destination through their interface
 * @param excludeSnatCidrs {@code AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS}: destinations outside the VPC never SNATed
 * @param snatPorts        {@code AWS_VPC_K8S_CNI_RANDOMIZESNAT}: how SNAT picks source ports
 * @param nodePortSupport  {@code AWS_VPC_CNI_NODE_PORT_SUPPORT}: connmark + fwmark rule + loose rp_filter so
 *                         replies of NodePort traffic leave through the primary interface
 * @param interfaceMtu     MTU of the secondary interfaces' links ({@code AWS_VPC_ENI_MTU}); 0 = leave it
 * @param linkWait         how long an attached interface's link may take to appear before it is reported missing
 */
public record HostSettings(boolean enabled, boolean externalSnat, List<Cidr> excludeSnatCidrs, SnatPorts snatPorts,
                           boolean nodePortSupport, int interfaceMtu, Duration linkWait) {

    public HostSettings {
        excludeSnatCidrs = List.copyOf(excludeSnatCidrs);
        Objects.requireNonNull(snatPorts, "snatPorts");
        Objects.requireNonNull(linkWait, "linkWait");
        if (interfaceMtu != 0 && (interfaceMtu < 576 || interfaceMtu > 9001)) {
            throw new IllegalArgumentException("interface MTU must be 576..9001 (or 0), got " + interfaceMtu);
        }
    }

    /** Host programming off (tests and the simulated cloud without plugged links). */
    public static HostSettings disabled() {
        return new HostSettings(false, false, List.of(), SnatPorts.PRNG, true, 0, Duration.ofSeconds(10));
    }

    /** {@code AWS_VPC_K8S_CNI_RANDOMIZESNAT}: the SNAT target's port option. */
    public enum SnatPorts {
        /** {@code --random-fully} (the default): fully random ports, fewest collisions across pods. */
        PRNG("--random-fully"),
        /** {@code --random}: a hash-based random port. */
        HASHRANDOM("--random"),
        /** No port option: the kernel keeps the source port where it can. */
        NONE("");

        private final String option;

        SnatPorts(String option) {
            this.option = option;
        }

        /** The iptables SNAT option, "" for none. */
        public String option() {
            return option;
        }
    }
}
