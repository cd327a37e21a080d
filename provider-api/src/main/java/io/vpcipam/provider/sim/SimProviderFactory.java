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
 * subnet, default 10.0.0.0/20, inside the VPC 10.0.0.0/16). Fault injection: {@code IPAMD_SIM_FAULT_RATE} (share of
 * calls, 0 to 1, that fail; default 0), {@code IPAMD_SIM_FAULT_KINDS} (comma list of {@code failed}, {@code throttled},
 * {@code lost}; default all), {@code IPAMD_SIM_FAULT_AFTER_MS} (faults start this long after start; default 0),
 * {@code IPAMD_SIM_FAULT_FOR_MS} (and last this long; default for ever),
 * {@code IPAMD_SIM_FAULT_SEED} (a whole number, to repeat a run; default random). {@code IPAMD_SIM_FABRIC_NETNS} (a
 * network namespace acting as the VPC fabric: when set, every attached interface is plugged into the real kernel as
 * a veth with the interface's MAC, its other end a port of the fabric delivering the interface's addresses; see
 * {@link SimulatedCloud.Builder#plug}), {@code IPAMD_SIM_PLUG_NETNS} (where the interfaces' links go; default the
 * namespace ipamd runs in). A bad value fails here, naming the variable; so does a fault setting without a rate.
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
    /** Share of calls (0 to 1) that get a random fault. */
    public static final String FAULT_RATE = "IPAMD_SIM_FAULT_RATE";
    /** Which faults: a comma list of {@link Fault} labels. */
    public static final String FAULT_KINDS = "IPAMD_SIM_FAULT_KINDS";
    /** How long after start faults begin, in milliseconds. */
    public static final String FAULT_AFTER_MS = "IPAMD_SIM_FAULT_AFTER_MS";
    /** How long faults are injected once they began, in milliseconds. */
    public static final String FAULT_FOR_MS = "IPAMD_SIM_FAULT_FOR_MS";
    /** The seed of the fault dice. */
    public static final String FAULT_SEED = "IPAMD_SIM_FAULT_SEED";

    /** The VPC fabric namespace; set, attached interfaces are plugged in as real links. */
    public static final String FABRIC_NETNS = "IPAMD_SIM_FABRIC_NETNS";
    /** The namespace the interfaces' links are plugged into (default: ipamd's own). */
    public static final String PLUG_NETNS = "IPAMD_SIM_PLUG_NETNS";

    /** For ServiceLoader. */
    public SimProviderFactory() {
    }

    @Override
    public String name() {
        return "sim";
    }

    @Override
    public java.util.List<String> validate(java.util.Map<String, String> env) {
        try {
            ProviderContext context = new ProviderContext(env, java.nio.file.Path.of("."),
                    java.time.InstantSource.system(), null);
            configure(context, SimulatedCloud.builder(), false);
            String subnet = context.env(SUBNET, "10.0.0.0/20");
            build(SimulatedCloud.builder().subnet(Cidr.parse(subnet)), context); // in memory: no state file, no links
            return java.util.List.of();
        } catch (IllegalArgumentException e) {
            return java.util.List.of(e.getMessage());
        }
    }

    @Override
    public CloudProvider create(ProviderContext context) {
        SimulatedCloud.Builder b = SimulatedCloud.builder()
                .clock(context.clock())
                .listener(context.listener())
                .stateFile(context.stateDir().resolve(SimulatedCloud.STATE_FILE_NAME));
        configure(context, b, true);
        return build(b, context);
    }

    /** Builds; the subnet is checked against the VPC here, so a refusal names {@link #SUBNET}. */
    private static SimulatedCloud build(SimulatedCloud.Builder b, ProviderContext context) {
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw bad(SUBNET, context.env(SUBNET, "10.0.0.0/20"), e.getMessage());
        }
    }

    /** Reads every setting into {@code b}; the first bad one is an IllegalArgumentException naming it. */
    private static void configure(ProviderContext context, SimulatedCloud.Builder b, boolean announce) {
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
        faults(context, b, announce);
        String fabric = context.env(FABRIC_NETNS, "");
        String plugInto = context.env(PLUG_NETNS, "");
        for (String[] ns : new String[][] {{FABRIC_NETNS, fabric}, {PLUG_NETNS, plugInto}}) {
            if (!ns[1].isEmpty() && !java.nio.file.Files.exists(java.nio.file.Path.of("/run/netns", ns[1]))) {
                throw bad(ns[0], ns[1], "no such network namespace (/run/netns/" + ns[1] + ")");
            }
        }
        if (!plugInto.isEmpty() && fabric.isEmpty()) {
            throw bad(PLUG_NETNS, plugInto, "needs " + FABRIC_NETNS + " (the fabric the links are plugged into)");
        }
        if (!fabric.isEmpty()) {
            b.plug(plugInto.isEmpty() ? null : plugInto, fabric);
        }
        String subnet = context.env(SUBNET, "10.0.0.0/20");
        try {
            b.subnet(Cidr.parse(subnet));
        } catch (IllegalArgumentException e) {
            throw bad(SUBNET, subnet, e.getMessage());
        }
    }

    private static void faults(ProviderContext context, SimulatedCloud.Builder b, boolean announce) {
        String rateText = context.env(FAULT_RATE, null);
        if (rateText == null) {
            for (String other : new String[] {FAULT_KINDS, FAULT_AFTER_MS, FAULT_FOR_MS, FAULT_SEED}) {
                String v = context.env(other, null);
                if (v != null) {
                    throw bad(other, v, "it does nothing without " + FAULT_RATE + " (the share of calls that fail)");
                }
            }
            return;
        }
        double rate;
        try {
            rate = Double.parseDouble(rateText);
        } catch (NumberFormatException e) {
            rate = Double.NaN;
        }
        if (!(rate >= 0 && rate <= 1)) {
            throw bad(FAULT_RATE, rateText, "expected a share of calls between 0 and 1, such as 0.3");
        }
        String kindsText = context.env(FAULT_KINDS, "failed,throttled,lost");
        java.util.Set<Fault> kinds = java.util.EnumSet.noneOf(Fault.class);
        for (String k : kindsText.split(",", -1)) {
            String label = k.trim();
            Fault f = java.util.Arrays.stream(Fault.values()).filter(x -> x.label().equals(label)).findFirst()
                    .orElseThrow(() -> bad(FAULT_KINDS, kindsText, "'" + label + "' is not one of failed, throttled,"
                            + " lost"));
            kinds.add(f);
        }
        Duration delay = millis(context, FAULT_AFTER_MS);
        Duration window = millis(context, FAULT_FOR_MS);
        long seed = new java.util.Random().nextLong();
        String seedText = context.env(FAULT_SEED, null);
        if (seedText != null) {
            try {
                seed = Long.parseLong(seedText);
            } catch (NumberFormatException e) {
                throw bad(FAULT_SEED, seedText, "expected a whole number");
            }
        }
        b.randomFaults(rate, kinds, delay == null ? Duration.ZERO : delay, window, seed);
        if (!announce) {
            return;
        }
        System.getLogger(SimProviderFactory.class.getName()).log(System.Logger.Level.INFO, "simulated cloud faults: "
                + rate + " of calls (" + kinds + ")" + (delay == null ? "" : " from " + delay + " after start")
                + (window == null ? "" : " for " + window) + ", seed " + seed);
    }

    /** A whole number of milliseconds >= 0, or null when unset. */
    private static Duration millis(ProviderContext context, String variable) {
        String text = context.env(variable, null);
        if (text == null) {
            return null;
        }
        long ms;
        try {
            ms = Long.parseLong(text);
        } catch (NumberFormatException e) {
            ms = -1;
        }
        if (ms < 0) {
            throw bad(variable, text, "expected a whole number of milliseconds >= 0");
        }
        return Duration.ofMillis(ms);
    }

    private static IllegalArgumentException bad(String variable, String value, String why) {
        return new IllegalArgumentException(variable + "='" + value + "' is invalid: " + why);
    }
}
