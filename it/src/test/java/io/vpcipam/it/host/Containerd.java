package io.vpcipam.it.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private containerd 1.6 for one test: root, state, sockets and its opt dir under one directory, nothing in the
 * machine's {@code /var/lib/containerd} or {@code /run/containerd}. ContainerdIT, ImageNode and TestNode each start
 * one; they differ only in the CRI plugin (off for {@code ctr run}, on for a kubelet) and in where it runs, which the
 * caller gives as a launcher: straight on the machine, or inside a node's network and private mount namespaces and
 * its cgroup, with a shell set-up run first and containerd exec'd in its place (so {@link #pid()} is containerd's).
 * It is ready once {@code ctr version} answers on its socket; {@link #close()} stops it with SIGTERM, then SIGKILL.
 */
public final class Containerd implements AutoCloseable {

    private final Path dir;
    private final Process process;

    private Containerd(Path dir, Process process) {
        this.dir = dir;
        this.process = process;
    }

    /**
     * Writes the config to {@code config} (state under {@code dir}; {@code criTable} null: no CRI plugin, else the
     * {@code [plugins."io.containerd.grpc.v1.cri"]} tables) and starts containerd as
     * {@code launcher sh -c 'SETUP exec containerd --config CONFIG'}, its output appended to {@code log}. Returns
     * once it answers; fails with its log when it exits or is not ready within {@code timeout}.
     */
    public static Containerd start(Path dir, Path config, String criTable, List<String> launcher, String setup,
            Path log, Duration timeout) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Files.writeString(config, config(dir, criTable));
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of("sh", "-c", setup + "exec containerd --config " + config));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        Containerd c = new Containerd(dir, p);
        try {
            Host.await(timeout, p, "containerd", () -> Files.exists(c.socket())
                    && Host.status(c.ctr("version").toArray(String[]::new)) == 0, () -> Host.tail(log, 60));
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** The config: everything under {@code dir}; the CRI plugin disabled unless {@code criTable} is given. */
    static String config(Path dir, String criTable) {
        return """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                %2$s[grpc]
                  address = "%1$s/containerd.sock"
                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"
                [debug]
                  address = "%1$s/debug.sock"
                [plugins."io.containerd.internal.v1.opt"]
                  path = "%1$s/opt"
                """.formatted(dir, criTable == null ? "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n" : "")
                + (criTable == null ? "" : criTable);
    }

    /** The gRPC socket (ctr's {@code --address}, the kubelet's runtime endpoint). */
    public Path socket() {
        return dir.resolve("containerd.sock");
    }

    /** The directory holding root, state and sockets. */
    public Path dir() {
        return dir;
    }

    /** containerd's pid (after the launcher's exec): enter its namespaces with {@code nsenter -t}. */
    public long pid() {
        return process.pid();
    }

    /** Whether containerd still runs. */
    public boolean alive() {
        return process.isAlive();
    }

    /** The command line {@code ctr --address SOCKET ARGS}, run from the machine. */
    public List<String> ctr(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ctr", "--address", socket().toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Stops containerd (SIGTERM, then SIGKILL after 20 s); its shims and containers are the caller's to stop. */
    @Override
    public void close() throws InterruptedException {
        Host.stop(process);
    }
}
