package io.vpcipam.cni.netns;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one {@code ip -batch} in the host netns or in a pod's netns. One process per batch is
 * the whole cost model of the wiring: ADD is two batches, DEL two.
 */
public interface IpRunner {

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
