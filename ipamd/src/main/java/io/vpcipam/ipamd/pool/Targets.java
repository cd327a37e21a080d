package io.vpcipam.ipamd.pool;

/**
 * The warm-pool targets, named as in the AWS VPC CNI so operators can carry their knowledge over.
 * Zero means unset. With {@code warmIp} or {@code minimumIp} set, ENI and prefix targets are ignored
 * (as in the AWS CNI); otherwise the pool keeps {@code warmEni} whole interfaces' worth of free addresses,
 * or {@code warmPrefix} whole free prefixes in prefix mode.
 *
 * @param warmIp       WARM_IP_TARGET: free addresses to keep
 * @param minimumIp    MINIMUM_IP_TARGET: floor on addresses held
 * @param warmEni      WARM_ENI_TARGET: whole free interfaces' worth of addresses to keep
 * @param warmPrefix   WARM_PREFIX_TARGET: whole free prefixes to keep (prefix mode)
 * @param prefixMode   ENABLE_PREFIX_DELEGATION: grow by prefixes instead of single addresses
 * @param maxInterfaces MAX_ENI: cap on interfaces (0 = the instance's limit)
 */
public record Targets(int warmIp, int minimumIp, int warmEni, int warmPrefix, boolean prefixMode, int maxInterfaces) {

    public Targets {
        if (warmIp < 0 || minimumIp < 0 || warmEni < 0 || warmPrefix < 0 || maxInterfaces < 0) {
            throw new IllegalArgumentException("targets must be >= 0");
        }
    }

    /** The AWS CNI's defaults: one warm ENI, single addresses. */
    public static Targets defaults() {
        return new Targets(0, 0, 1, 0, false, 0);
    }

    /** Whether the address targets (WARM_IP_TARGET / MINIMUM_IP_TARGET) rule, which allows releasing single addresses. */
    public boolean addressTargets() {
        return warmIp > 0 || minimumIp > 0;
    }
}
