package io.vpcipam.cni;

import io.vpcipam.cni.netns.IpWiring;
import io.vpcipam.cni.netns.PodWiring;
import io.vpcipam.cni.netns.ProcessIpRunner;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;

/**
 * The plugin executable's entry point ({@code vpc-ipam}): wires the real environment, stdin,
 * stdout, ipamd socket and {@code ip} into a {@link Dispatcher} and exits with its status.
 */
public final class Main {

    private Main() {
    }

    /** Runs one CNI call as the runtime made it. */
    public static void main(String[] args) {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        PluginLog log = new PluginLog(InstantSource.system(), System.err);
        int rc = new Dispatcher(System.getenv(), System.in, out, log, InstantSource.system(), system()).run();
        out.flush();
        // halt: nothing is left to run at exit, and skipping the shutdown sequence is a
        // measurable part of a ~50 ms plugin start.
        Runtime.getRuntime().halt(rc);
    }

    /** The real ipamd socket and the real {@code ip}. */
    static Dispatcher.Services system() {
        return new Dispatcher.Services() {
            @Override
            public IpamdClient ipamd(NetConf conf) {
                return new SocketIpamdClient(Path.of(conf.ipamdSocket()), conf.ipamdTimeoutMs());
            }

            @Override
            public PodWiring wiring() {
                return new IpWiring(ProcessIpRunner.system(), ProcessHandle.current().pid());
            }
        };
    }
}
