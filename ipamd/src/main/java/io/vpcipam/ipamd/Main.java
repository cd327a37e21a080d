package io.vpcipam.ipamd;

import io.vpcipam.ipamd.config.BuildInfo;
import io.vpcipam.ipamd.config.Config;
import io.vpcipam.ipamd.config.ConfigException;
import io.vpcipam.protocol.Layout;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.StatusInfo;
import io.vpcipam.protocol.Codec;
import io.vpcipam.ipamd.ops.ConfigView;
import io.vpcipam.ipamd.ops.LogSetup;
import io.vpcipam.ipamd.ops.Explain;
import io.vpcipam.ipamd.ops.OpsCommands;
import io.vpcipam.ipamd.ops.OpsConfig;
import io.vpcipam.ipamd.ops.OpsServers;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Logger;

/** {@code ipamd run | status | leases | explain | support-bundle | simulate | max-pods | generate-completion}. */
@Command(name = "ipamd", mixinStandardHelpOptions = true, versionProvider = BuildInfo.VersionProvider.class,
        description = "Per-node IPAM daemon: keeps a warm pool of VPC addresses and serves them to the CNI plugin.",
        subcommands = {Main.Run.class, Main.Status.class, OpsCommands.Leases.class, Explain.class,
                io.vpcipam.ipamd.ops.SupportBundleCommand.class, io.vpcipam.ipamd.simulate.SimulateCommand.class,
                Main.MaxPods.class,
                AutoComplete.GenerateCompletion.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

    /** Process entry point. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
        // picocli hides it by default; operators should find it in 'ipamd --help'
        cl.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().hidden(false);
        return cl;
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.err);
        return 2;
    }

    /** {@code ipamd run}: the daemon. */
    @Command(name = "run", description = "Run the daemon (flags override the environment variables).")
    static final class Run implements Callable<Integer> {
        @Option(names = "--provider", description = "sim, aws or azure (IPAMD_PROVIDER; default sim)")
        String provider;
        @Option(names = "--socket", description = "socket path (IPAMD_SOCKET; default " + Layout.DEFAULT_SOCKET + ")")
        Path socket;
        @Option(names = "--state-dir", description = "state dir (IPAMD_STATE_DIR; default " + Layout.DEFAULT_STATE_DIR + ")")
        Path stateDir;

        @Override
        public Integer call() throws Exception {
            Map<String, String> env = new HashMap<>(System.getenv());
            if (provider != null) {
                env.put("IPAMD_PROVIDER", provider);
            }
            if (socket != null) {
                env.put("IPAMD_SOCKET", socket.toString());
            }
            if (stateDir != null) {
                env.put("IPAMD_STATE_DIR", stateDir.toString());
            }
            // both halves of the configuration are read before either is used, so every problem shows at once
            List<String> problems = new ArrayList<>();
            OpsConfig opsConfig = null;
            Config config = null;
            try {
                opsConfig = OpsConfig.fromEnv(env);
            } catch (ConfigException e) {
                problems.addAll(e.problems());
            }
            try {
                config = Config.fromEnv(env);
            } catch (ConfigException e) {
                problems.addAll(e.problems());
            }
            // the provider, the state dir and the socket too, before the ops servers bind: every problem in one pass
            String providerName = env.getOrDefault("IPAMD_PROVIDER", "").trim().toLowerCase(java.util.Locale.ROOT);
            if (providerName.isEmpty()) {
                providerName = "sim";
            }
            if (providerName.matches("[a-z0-9-]+")) { // else Config already said what is wrong with it
                try {
                    problems.addAll(Providers.find(providerName).validate(env)); // its settings, not yet the cloud
                } catch (IllegalArgumentException | IllegalStateException e) {
                    problems.add(e.getMessage());
                }
            }
            problems.addAll(Daemon.preflight( // even when other settings are wrong: one pass shows everything
                    Config.pathSetting(env, "IPAMD_STATE_DIR", Layout.DEFAULT_STATE_DIR),
                    Config.pathSetting(env, "IPAMD_SOCKET", Layout.DEFAULT_SOCKET)));
            if (!problems.isEmpty()) {
                System.err.println("ipamd: " + (problems.size() == 1 ? "invalid configuration: " + problems.getFirst()
                        : new ConfigException(problems).getMessage()));
                return 2;
            }
            configureLogging(opsConfig.logFormat(), opsConfig.logLevel());
            Logger.getLogger(Main.class.getName()).info("effective configuration: " + ConfigView.of(config, opsConfig));
            for (String warning : config.warnings()) {
                Logger.getLogger(Main.class.getName()).warning("setting: " + warning);
            }
            OpsServers ops;
            try {
                ops = OpsServers.start(opsConfig, InstantSource.system());
            } catch (IOException e) {
                System.err.println("ipamd: " + e.getMessage());
                return 2;
            }
            Daemon daemon;
            try {
                daemon = Daemon.start(config, env, InstantSource.system(), ops.metrics());
            } catch (IllegalArgumentException | IllegalStateException | StartupException
                     | io.vpcipam.ipamd.lease.CheckpointException e) {
                ops.close();
                System.err.println("ipamd: " + e.getMessage());
                return 2;
            }
            ops.attach(daemon);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                daemon.close();
                ops.close();
                stopped.countDown();
            }, "shutdown"));
            stopped.await();
            return 0;
        }
    }

    /** {@code ipamd status}: asks the running daemon's introspection endpoint, else its socket. */
    @Command(name = "status", description = {"Show the pool, interfaces and leases of the running daemon.",
            "Reads the introspection endpoint; falls back to the socket's STATUS when it is off or unreachable."
                    + " With only --socket given, asks that socket."})
    static final class Status implements Callable<Integer> {
        @Option(names = "--socket", description = "socket path (IPAMD_SOCKET; default " + Layout.DEFAULT_SOCKET + ")")
        Path socket;
        @Option(names = "--introspection", paramLabel = "HOST:PORT", description = "introspection address"
                + " (IPAMD_INTROSPECTION_ADDRESS; default " + OpsConfig.DEFAULT_INTROSPECTION + "; off = socket only)")
        String introspection;
        @Option(names = "--json", description = "print the status as JSON (the socket's STATUS reply, whichever source)")
        boolean json;

        @Override
        public Integer call() {
            StatusInfo status;
            try {
                status = OpsCommands.status(OpsCommands.Source.resolve(introspection, socket, System.getenv()),
                        System.err);
            } catch (IllegalArgumentException e) {
                System.err.println("ipamd status: " + e.getMessage());
                return 2;
            } catch (IOException e) {
                System.err.println("ipamd status: " + e.getMessage());
                return 1;
            }
            if (json) {
                System.out.println(Codec.encode(Reply.status(status)));
            } else {
                printTable(status, System.out);
            }
            return 0;
        }
    }

    /** {@code ipamd max-pods}: the figure kubelet's --max-pods needs, for node bootstrap scripts. */
    @Command(name = "max-pods", description = {"Print the number kubelet's --max-pods needs on an instance type, as the"
            + " EKS max-pods calculator works it out (110 for up to 30 vCPUs, 250 above).",
            "Asks DescribeInstanceTypes when AWS_EC2_ENDPOINT or credentials are set in the environment (AWS_REGION"
                    + " names the region), else uses the built-in table."})
    static final class MaxPods implements Callable<Integer> {
        @Option(names = "--instance-type", required = true, paramLabel = "TYPE", description = "e.g. m5.large")
        String instanceType;
        @Option(names = "--prefix-delegation", description = "interfaces hold /28 prefixes (ENABLE_PREFIX_DELEGATION)")
        boolean prefixDelegation;
        @Option(names = "--cni-custom-networking", description = "pods use no address of the primary interface")
        boolean customNetworking;
        @Option(names = "--show-max-allowed", description = "the uncapped figure (as in eni-max-pods.txt)")
        boolean uncapped;
        @Option(names = "--provider", defaultValue = "aws", description = "cloud provider (default aws)")
        String provider;

        @Override
        public Integer call() {
            if (instanceType.isBlank()) {
                System.err.println("ipamd max-pods: --instance-type must name an instance type, e.g. m5.large");
                return 2;
            }
            try {
                var type = Providers.find(provider).instanceType(instanceType.trim(), new io.vpcipam.provider
                        .ProviderContext(System.getenv(), Path.of(System.getProperty("java.io.tmpdir")),
                        InstantSource.system(), null));
                if (type.isEmpty()) {
                    System.err.println("ipamd max-pods: unknown instance type '" + instanceType + "' for provider "
                            + provider + " (not in the built-in table; set AWS_REGION and credentials to ask"
                            + " DescribeInstanceTypes)");
                    return 2;
                }
                var t = type.get();
                System.out.println(io.vpcipam.ipamd.pool.PoolMath.maxPods(t.maxInterfaces(),
                        t.addressesPerInterface(), t.vcpus(), prefixDelegation && t.prefixDelegation(),
                        customNetworking, uncapped));
                return 0;
            } catch (IllegalArgumentException | IllegalStateException e) {
                System.err.println("ipamd max-pods: " + e.getMessage());
                return 2;
            } catch (io.vpcipam.provider.CloudException e) {
                System.err.println("ipamd max-pods: " + e.code() + ": " + e.getMessage());
                return 1;
            }
        }
    }

    static void printTable(StatusInfo s, PrintStream out) {
        out.printf("node      %s (%s, %s) provider=%s%s%n", s.instanceId(), s.instanceType(), s.zone(), s.provider(),
                s.prefixMode() ? " prefix-mode" : "");
        StatusInfo.PoolCounts p = s.pool();
        out.printf("pool      total=%d free=%d assigned=%d cooling=%d pending=%d releasing=%d max=%d%n",
                p.total(), p.free(), p.assigned(), p.cooling(), p.pending(), p.releasing(), s.maxAddresses());
        out.println();
        out.printf("%-24s %-4s %-26s %-15s %6s %8s %5s %8s  %-17s %-12s %-5s %s%n", "INTERFACE", "DEV", "SUBNET",
                "PRIMARY", "ADDRS", "PREFIXES", "FREE", "ASSIGNED", "MAC", "LINK", "TABLE", "MANAGED");
        for (StatusInfo.InterfaceStatus i : s.interfaces()) {
            out.printf("%-24s %-4d %-26s %-15s %6d %8d %5d %8d  %-17s %-12s %-5s %s%n", i.id(), i.deviceIndex(),
                    i.subnetId(), i.primaryAddress(), i.addresses().size(), i.prefixes().size(), i.free(),
                    i.assigned(), i.mac() == null || i.mac().isEmpty() ? "-" : i.mac(),
                    i.linkName() == null || i.linkName().isEmpty() ? "-" : i.linkName(),
                    i.routeTable() == 0 ? "main" : String.valueOf(i.routeTable()),
                    i.unmanaged() == null ? "yes" : "no (" + i.unmanaged() + ")");
        }
        out.println();
        out.printf("%-15s %-24s %-30s %-10s %s%n", "ADDRESS", "INTERFACE", "POD", "IFNAME", "CONTAINER");
        for (StatusInfo.LeaseStatus l : s.leases()) {
            String pod = l.podName() == null || l.podName().isEmpty() ? "-" : l.podNamespace() + "/" + l.podName();
            String cid = l.containerId().length() > 12 ? l.containerId().substring(0, 12) : l.containerId();
            out.printf("%-15s %-24s %-30s %-10s %s%n", l.address(), l.interfaceId(), pod, l.ifName(), cid);
        }
    }

    /** Logs go to stderr (stdout is for command output), plain or JSON lines, credentials redacted. */
    static void configureLogging(OpsConfig.LogFormat format, OpsConfig.LogLevel level) {
        LogSetup.configure(format, level, System.err);
    }
}
