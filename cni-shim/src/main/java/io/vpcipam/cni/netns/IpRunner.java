package io.vpcipam.cni.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one {@code ip -batch} in the host netns or in a pod's netns, and reads the host's
 * {@code /proc/net} tables. One process per batch is the cost model of the wiring: ADD is two
 * batches whose processes start while ipamd answers, DEL one; the host's main-table routes and
 * links are read from {@code /proc/net} without a process.
 */
public interface IpRunner {

    /** A batch whose process runs from {@link #start}; it acts only once {@link #finish} gives it lines. */
    interface Batch {
        /** Runs {@code lines} in the started process and waits for it. */
        Outcome finish(List<String> lines) throws IOException;

        /** Lets the process end without running anything (empty input); never throws. */
        void abort();
    }

    /**
     * Starts a batch's process now, so its start-up overlaps with other work; the default runs
     * everything at {@link Batch#finish}.
     */
    default Batch start(String netns, boolean json, boolean force) {
        return new Batch() {
            @Override
            public Outcome finish(List<String> lines) throws IOException {
                return run(netns, json, force, lines);
            }

            @Override
            public void abort() {
                // nothing was started
            }
        };
    }

    /**
     * The text of {@code /proc/net/<file>} as this process sees it (its netns: the host's): {@code route}
     * (the main table's IPv4 routes) or {@code dev} (the links).
     */
    default String procNet(String file) throws IOException {
        return Files.readString(Path.of("/proc/net", file), StandardCharsets.US_ASCII);
    }

    /**
     * Runs {@code lines} as one batch.
     *
     * @param netns null for the caller's (host) netns, else the path of the pod's netns
     * @param json  {@code ip -j}: every show command prints one JSON array
     * @param force {@code ip -force}: go on after a failing line (each failure is reported)
     */
    Outcome run(String netns, boolean json, boolean force, List<String> lines) throws IOException;

    /** What {@code ip} printed and which lines failed. */
    record Outcome(int exitCode, String stdout, String stderr) {

        /** A line that failed: its 1-based number in the batch and the message ip printed for it. */
        public record Failure(int line, String message) {
        }

        /**
         * The failing lines, from ip's {@code Command failed -:N} markers; the message is what ip
         * printed before the marker. A failure without a marker (ip could not start the batch)
         * is reported as line 0.
         */
        public List<Failure> failures() {
            List<Failure> out = new ArrayList<>();
            StringBuilder pending = new StringBuilder();
            for (String l : stderr.split("\n")) {
                if (l.startsWith("Command failed -:")) {
                    int n;
                    try {
                        n = Integer.parseInt(l.substring("Command failed -:".length()).trim());
                    } catch (NumberFormatException e) {
                        n = 0;
                    }
                    out.add(new Failure(n, pending.toString().trim()));
                    pending.setLength(0);
                } else if (!l.isBlank()) {
                    pending.append(l).append(' ');
                }
            }
            if (out.isEmpty() && exitCode != 0) {
                out.add(new Failure(0, pending.length() > 0 ? pending.toString().trim() : "ip exited with " + exitCode));
            }
            return out;
        }
    }
}
