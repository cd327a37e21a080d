package io.vpcipam.provider.sim;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.CloudProviderFactory;
import io.vpcipam.provider.ProviderContext;

import java.time.Duration;

/**
 * {@code --provider sim}: the simulated cloud, configured from the environment and kept in
 * {@code <stateDir>/sim-cloud.state} so it survives ipamd restarts and crashes like a real cloud. Variables:
 * {@code IPAMD_SIM_INSTANCE_TYPE} (default c5.4xlarge), {@code IPAMD_SIM_LATENCY_MS} (per mutating call, default 0),
 * {@code IPAMD_SIM_API_RATE} (account calls per second, default unlimited), {@code IPAMD_SIM_SUBNET} (the node's
 * subnet, default 10.0.0.0/20, inside the VPC 10.0.0.0/16). A bad value fails here, naming the variable.
 */
public final class SimProviderFactory implements CloudProviderFactory {

    /** Instance type variable. */
    public static final String INSTANCE_TYPE = "IPAMD_SIM_INSTANCE_TYPE";
    /** Latency variable, milliseconds per mutating call. */
    public static final String LATENCY_MS = "IPAMD_SIM_LATENCY_MS";
    /** API rate variable, calls per second for the account. */
    public static final String API_RATE = "IPAMD_SIM_API_RATE";
    /** Node subnet variable, a CIDR inside 10.0.0.0/16. */
    public static final String SUBNET = "IPAMD_SIM_SUBNET";

    /** For ServiceLoader. */
    public SimProviderFactory() {
    }

    @Override
    public String name() {
        return "sim";
    }

    @Override
    public CloudProvider create(ProviderContext context) {
        SimulatedCloud.Builder b = SimulatedCloud.builder()
                .clock(context.clock())
                .listener(context.listener())
                .stateFile(context.stateDir().resolve(SimulatedCloud.STATE_FILE_NAME));
        String type = context.env(INSTANCE_TYPE, "c5.4xlarge");
        try {
            b.instanceType(type);
        } catch (IllegalArgumentException e) {
            throw bad(INSTANCE_TYPE, type, e.getMessage());
        }
        String latency = context.env(LATENCY_MS, "0");
        long ms;
        try {
            ms = Long.parseLong(latency);
        } catch (NumberFormatException e) {
            ms = -1;
        }
        if (ms < 0) {
            throw bad(LATENCY_MS, latency, "expected a whole number of milliseconds >= 0");
        }
        b.latency(Duration.ofMillis(ms));
        String rate = context.env(API_RATE, "unlimited");
        if (!rate.equalsIgnoreCase("unlimited")) {
            double r;
            try {
                r = Double.parseDouble(rate);
            } catch (NumberFormatException e) {
                r = Double.NaN;
            }
            if (!(r > 0) || Double.isInfinite(r)) {
                throw bad(API_RATE, rate, "expected calls per second > 0, or 'unlimited'");
            }
            b.apiRate(r);
        }
        String subnet = context.env(SUBNET, "10.0.0.0/20");
        try {
            b.subnet(Cidr.parse(subnet));
            return b.build();
        } catch (IllegalArgumentException e) {
            throw bad(SUBNET, subnet, e.getMessage());
        }
    }

    private static IllegalArgumentException bad(String variable, String value, String why) {
        return new IllegalArgumentException(variable + "='" + value + "' is invalid: " + why);
    }
}
