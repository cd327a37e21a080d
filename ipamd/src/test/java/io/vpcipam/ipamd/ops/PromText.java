package io.vpcipam.ipamd.ops;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: anything a Prometheus server would
 * reject, or would read differently from what we meant, throws. Checked: line grammar (names, label quoting and
 * escapes, float values, optional integer timestamp, final newline), one HELP and one TYPE per family and TYPE
 * before its samples, a family's samples contiguous, sample names matching their family's type, no duplicate
 * series, counters non-negative, and histograms whole (cumulative buckets, a +Inf bucket equal to _count, _sum).
 */
public final class PromText {

    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One sample line. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    /** One metric family. */
    public record Family(String name, String type, String help, List<Sample> samples) {
    }

    private PromText() {
    }

    /** Parses {@code text}; throws {@link IllegalArgumentException} naming the line on any violation. */
    public static Map<String, Family> parse(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("exposition does not end with a newline");
        }
        Map<String, String> types = new HashMap<>();
        Map<String, String> helps = new HashMap<>();
        Map<String, List<Sample>> samples = new LinkedHashMap<>();
        Set<String> closed = new HashSet<>();
        Set<String> series = new HashSet<>();
        String current = null;
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length - 1; n++) {
            String line = lines[n];
            String where = "line " + (n + 1) + " '" + line + "': ";
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 3 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
                    String family = parts[2];
                    require(METRIC_NAME.matcher(family).matches(), where + "bad metric name");
                    if (!family.equals(current)) {
                        require(!closed.contains(family) && !samples.containsKey(family),
                                where + "metadata for a family whose samples already ended");
                        if (current != null) {
                            closed.add(current);
                        }
                        current = family;
                    }
                    if (parts[1].equals("TYPE")) {
                        require(parts.length == 4 && TYPES.contains(parts[3]), where + "bad TYPE");
                        require(types.put(family, parts[3]) == null, where + "second TYPE");
                        require(!samples.containsKey(family), where + "TYPE after samples");
                    } else {
                        require(helps.put(family, parts.length == 4 ? unescapeHelp(parts[3], where) : "") == null,
                                where + "second HELP");
                    }
                }
                continue; // other comments are allowed
            }
            Sample s = sample(line, where);
            String family = familyOf(s.name(), types);
            require(!closed.contains(family), where + "samples of " + family + " are not contiguous");
            if (!family.equals(current)) {
                if (current != null) {
                    closed.add(current);
                }
                current = family;
            }
            require(series.add(s.name() + new TreeMap<>(s.labels())), where + "duplicate series");
            samples.computeIfAbsent(family, k -> new ArrayList<>()).add(s);
        }
        Map<String, Family> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<Sample>> e : samples.entrySet()) {
            String type = types.getOrDefault(e.getKey(), "untyped");
            Family f = new Family(e.getKey(), type, helps.get(e.getKey()), List.copyOf(e.getValue()));
            check(f);
            out.put(f.name(), f);
        }
        return out;
    }

    private static String familyOf(String sampleName, Map<String, String> types) {
        if (types.containsKey(sampleName)) {
            String t = types.get(sampleName);
            require(!t.equals("histogram"), "sample '" + sampleName + "' of histogram without a suffix");
            return sampleName;
        }
        for (String suffix : List.of("_bucket", "_count", "_sum")) {
            if (sampleName.endsWith(suffix)) {
                String base = sampleName.substring(0, sampleName.length() - suffix.length());
                String t = types.get(base);
                if ("histogram".equals(t) || "summary".equals(t) && !suffix.equals("_bucket")) {
                    return base;
                }
            }
        }
        return sampleName; // untyped
    }

    private static void check(Family f) {
        switch (f.type()) {
            case "counter", "gauge", "untyped" -> {
                for (Sample s : f.samples()) {
                    require(s.name().equals(f.name()), f.name() + ": sample " + s.name() + " does not match its TYPE");
                    require(!f.type().equals("counter") || s.value() >= 0, f.name() + ": negative counter");
                }
            }
            case "histogram" -> checkHistogram(f);
            default -> { }
        }
    }

    private static void checkHistogram(Family f) {
        Map<Map<String, String>, List<Sample>> byLabels = new LinkedHashMap<>();
        for (Sample s : f.samples()) {
            Map<String, String> rest = new TreeMap<>(s.labels());
            if (s.name().endsWith("_bucket")) {
                require(rest.remove("le") != null, f.name() + ": bucket without le");
            } else {
                require(!s.labels().containsKey("le"), f.name() + ": le on " + s.name());
            }
            byLabels.computeIfAbsent(rest, k -> new ArrayList<>()).add(s);
        }
        for (Map.Entry<Map<String, String>, List<Sample>> e : byLabels.entrySet()) {
            double lastLe = Double.NEGATIVE_INFINITY;
            double lastCount = 0;
            Double inf = null;
            Double count = null;
            boolean sum = false;
            for (Sample s : e.getValue()) {
                if (s.name().endsWith("_bucket")) {
                    double le = parseValue(s.labels().get("le"), f.name() + ": le");
                    require(le > lastLe, f.name() + e.getKey() + ": buckets not in increasing le order");
                    require(s.value() >= lastCount, f.name() + e.getKey() + ": buckets not cumulative");
                    lastLe = le;
                    lastCount = s.value();
                    if (le == Double.POSITIVE_INFINITY) {
                        inf = s.value();
                    }
                } else if (s.name().endsWith("_count")) {
                    count = s.value();
                } else {
                    sum = true;
                }
            }
            require(inf != null, f.name() + e.getKey() + ": no +Inf bucket");
            require(count != null && count.equals(inf), f.name() + e.getKey() + ": _count missing or not the +Inf bucket");
            require(sum, f.name() + e.getKey() + ": no _sum");
        }
    }

    private static Sample sample(String line, String where) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        require(METRIC_NAME.matcher(name).matches(), where + "bad metric name");
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (true) {
                require(i < line.length(), where + "unterminated labels");
                if (line.charAt(i) == '}') {
                    i++;
                    break;
                }
                int eq = line.indexOf('=', i);
                require(eq > i, where + "label without '='");
                String label = line.substring(i, eq);
                require(LABEL_NAME.matcher(label).matches() && !label.startsWith("__"), where + "bad label name");
                i = eq + 1;
                require(i < line.length() && line.charAt(i) == '"', where + "label value not quoted");
                i++;
                StringBuilder v = new StringBuilder();
                while (true) {
                    require(i < line.length(), where + "unterminated label value");
                    char c = line.charAt(i++);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        require(i < line.length(), where + "dangling escape");
                        char e = line.charAt(i++);
                        switch (e) {
                            case '\\' -> v.append('\\');
                            case '"' -> v.append('"');
                            case 'n' -> v.append('\n');
                            default -> throw new IllegalArgumentException(where + "bad escape \\" + e);
                        }
                    } else {
                        v.append(c);
                    }
                }
                require(labels.put(label, v.toString()) == null, where + "repeated label " + label);
                require(i < line.length(), where + "unterminated labels");
                if (line.charAt(i) == ',') {
                    i++;
                } else {
                    require(line.charAt(i) == '}', where + "expected ',' or '}'");
                }
            }
        }
        require(i < line.length() && line.charAt(i) == ' ', where + "no space before the value");
        String[] rest = line.substring(i + 1).split(" ", -1);
        require(rest.length == 1 || rest.length == 2, where + "expected value [timestamp]");
        double value = parseValue(rest[0], where + "value");
        if (rest.length == 2) {
            require(rest[1].matches("-?[0-9]+"), where + "bad timestamp");
        }
        return new Sample(name, labels, value);
    }

    private static double parseValue(String text, String where) {
        switch (text) {
            case "+Inf", "Inf" -> {
                return Double.POSITIVE_INFINITY;
            }
            case "-Inf" -> {
                return Double.NEGATIVE_INFINITY;
            }
            case "NaN" -> {
                return Double.NaN;
            }
            default -> {
                require(text.matches("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?"), where + " '" + text
                        + "' is not a float");
                return Double.parseDouble(text);
            }
        }
    }

    private static String unescapeHelp(String text, String where) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                require(i + 1 < text.length(), where + "dangling escape in HELP");
                char e = text.charAt(++i);
                require(e == '\\' || e == 'n', where + "bad escape in HELP");
                b.append(e == 'n' ? '\n' : '\\');
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The value of the one sample named {@code name} with exactly {@code labels}; throws if absent. */
    public static double value(Map<String, Family> families, String name, Map<String, String> labels) {
        for (Family f : families.values()) {
            for (Sample s : f.samples()) {
                if (s.name().equals(name) && s.labels().equals(labels)) {
                    return s.value();
                }
            }
        }
        throw new AssertionError("no sample " + name + labels);
    }
}
