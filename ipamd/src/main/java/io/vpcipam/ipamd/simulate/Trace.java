package io.vpcipam.ipamd.simulate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A recorded workload: CSV lines {@code time,node,add|del,pod}. The time is seconds from the start (a decimal such
 * as {@code 12.5}) or an ISO-8601 instant ({@code 2026-03-01T10:00:00Z}; the first line's is the start). An
 * optional header line whose first field is {@code time} is skipped, so are blank lines and {@code #} comments.
 * Every bad line is reported with its number; nothing of a bad file is used.
 *
 * @param events the lines in time order (ties in file order)
 * @param nodes  the node names in order of first appearance
 */
record Trace(List<Event> events, List<String> nodes) {

    /** One line: at {@code nanos} after the start, {@code pod} on {@code node} is added or deleted. */
    record Event(long nanos, String node, boolean add, String pod) {
    }

    static Trace read(Path file) throws IOException, TraceException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Event> events = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Set<String> nodes = new LinkedHashSet<>();
        Instant start = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(",", -1);
            if (events.isEmpty() && problems.isEmpty() && f[0].strip().equalsIgnoreCase("time")) {
                continue;
            }
            String where = file + ":" + (i + 1) + ": ";
            if (f.length != 4) {
                problems.add(where + "expected time,node,add|del,pod, got '" + line + "'");
                continue;
            }
            String node = f[1].strip();
            String op = f[2].strip().toLowerCase(Locale.ROOT);
            String pod = f[3].strip();
            if (node.isEmpty() || pod.isEmpty()) {
                problems.add(where + "node and pod must not be empty");
                continue;
            }
            if (!op.equals("add") && !op.equals("del")) {
                problems.add(where + "'" + f[2].strip() + "' is neither add nor del");
                continue;
            }
            long nanos;
            String t = f[0].strip();
            try {
                if (t.contains("T")) {
                    Instant at = Instant.parse(t);
                    start = start == null ? at : start;
                    nanos = java.time.Duration.between(start, at).toNanos();
                } else {
                    double seconds = Double.parseDouble(t);
                    if (!Double.isFinite(seconds)) {
                        throw new NumberFormatException();
                    }
                    nanos = Math.round(seconds * 1e9);
                }
            } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
                problems.add(where + "time '" + t + "' is neither seconds (12.5) nor an instant (2026-03-01T10:00:00Z)");
                continue;
            }
            if (nanos < 0) {
                problems.add(where + "time '" + t + "' is before the start");
                continue;
            }
            nodes.add(node);
            events.add(new Event(nanos, node, op.equals("add"), pod));
        }
        if (!problems.isEmpty()) {
            throw new TraceException(problems);
        }
        if (events.isEmpty()) {
            throw new TraceException(List.of(file + ": no events"));
        }
        List<Event> sorted = new ArrayList<>(events);
        sorted.sort(java.util.Comparator.comparingLong(Event::nanos)); // stable: ties keep file order
        return new Trace(List.copyOf(sorted), List.copyOf(nodes));
    }

    /** A trace file that cannot be used, with every bad line. */
    static final class TraceException extends Exception {
        private final List<String> problems;

        TraceException(List<String> problems) {
            super(String.join("\n", problems));
            this.problems = List.copyOf(problems);
        }

        List<String> problems() {
            return problems;
        }
    }
}
