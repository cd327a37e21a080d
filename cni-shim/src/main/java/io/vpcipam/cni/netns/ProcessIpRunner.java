package io.vpcipam.cni.netns;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link IpRunner} over iproute2's {@code ip}: for a pod netns through {@code nsenter --net=PATH}
 * (works for any netns path: /run/netns names, /proc/PID/ns/net, bind mounts; {@code ip -n}
 * would take only names and remount /sys on every call). nsenter execs ip in place, so a batch
 * is one fork. {@link #start} forks at once and {@code ip} blocks reading its stdin, so the fork
 * and exec overlap with whatever the caller does before it has the lines.
 */
public final class ProcessIpRunner implements IpRunner {

    private final String ip;
    private final String nsenter;

    ProcessIpRunner(String ip, String nsenter) {
        this.ip = ip;
        this.nsenter = nsenter;
    }

    /**
     * Finds ip and nsenter at their usual absolute paths: runtimes call plugins with a minimal
     * (sometimes empty) PATH.
     */
    public static ProcessIpRunner system() {
        return new ProcessIpRunner(find("ip", "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"),
                find("nsenter", "/usr/bin/nsenter", "/bin/nsenter", "/usr/sbin/nsenter", "/sbin/nsenter"));
    }

    private static String find(String name, String... candidates) {
        for (String c : candidates) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        return name;
    }

    @Override
    public Outcome run(String netns, boolean json, boolean force, List<String> lines) throws IOException {
        return start(netns, json, force).finish(lines);
    }

    /**
     * Forks {@code ip -batch -} (through nsenter for a pod netns) now; it waits on its stdin for the
     * lines. A process that cannot start reports that at {@link Batch#finish}.
     */
    @Override
    public Batch start(String netns, boolean json, boolean force) {
        List<String> cmd = new ArrayList<>(8);
        if (netns != null) {
            cmd.add(nsenter);
            cmd.add("--net=" + netns);
            cmd.add("--");
        }
        cmd.add(ip);
        if (json) {
            cmd.add("-j");
        }
        if (force) {
            cmd.add("-force");
        }
        cmd.add("-batch");
        cmd.add("-");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().put("LC_ALL", "C"); // its errors are matched ("File exists"): never in another language
            return new Started(pb.start());
        } catch (IOException e) {
            return new Batch() {
                @Override
                public Outcome finish(List<String> lines) throws IOException {
                    throw e;
                }

                @Override
                public void abort() {
                    // nothing runs
                }
            };
        }
    }

    /** A running {@code ip -batch -}. */
    private static final class Started implements Batch {
        private final Process p;

        Started(Process p) {
            this.p = p;
        }

        @Override
        public Outcome finish(List<String> lines) throws IOException {
            StringBuilder in = new StringBuilder();
            for (String l : lines) {
                in.append(l).append('\n');
            }
            try (OutputStream os = p.getOutputStream()) {
                os.write(in.toString().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // ip exits early when nsenter cannot enter the netns; its stderr says why.
            }
            String out = readAll(p.getInputStream());
            String err = readAll(p.getErrorStream());
            try {
                int rc = p.waitFor();
                return new Outcome(rc, out, err);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                throw new IOException("interrupted while waiting for ip", e);
            }
        }

        @Override
        public void abort() {
            try {
                p.getOutputStream().close();
            } catch (IOException e) {
                // an ip that already ended needs no end of input
            }
        }
    }

    private static String readAll(InputStream s) throws IOException {
        try (s) {
            return new String(s.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
