package io.vpcipam.ipamd;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No two packages of ipamd depend on each other, directly or round a longer loop: each package can be read, tested
 * and moved with only the packages below it. The JDK's jdeps lists the class-to-class dependences of the compiled
 * classes; a cycle is reported with the packages round it and, for each step, one class that makes it.
 */
class PackageCyclesTest {

    private static final String ROOT = "io.vpcipam.ipamd";
    /** jdeps -verbose:class: "   a.b.C    -> d.e.F    where" (same-package dependences are filtered out). */
    private static final Pattern EDGE = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)\\s+\\S.*$");

    @Test
    void ipamdClasses_haveNoPackageCycle() throws Exception {
        Map<String, Map<String, String>> graph = packageGraph(jdepsClassLines(classesOf(Main.class)));
        assertTrue(graph.containsKey(ROOT) && graph.get(ROOT).containsKey(ROOT + ".pool"),
                "jdeps saw the root package use the pool: " + graph.keySet());
        Optional<String> cycle = findCycle(graph);
        assertFalse(cycle.isPresent(), () -> "package cycle in ipamd: " + cycle.orElseThrow());
    }

    @Test
    void findCycle_aLoopOfThree_namesEachPackageAndAClassThatMakesTheStep() {
        Map<String, Map<String, String>> graph = packageGraph(List.of(
                "   a.Main          -> b.Service        classes",
                "   b.Service       -> c.Store          classes",
                "   b.Service$Inner -> java.lang.String java.base",
                "   c.Store         -> a.Config         classes",
                "   a.Main          -> c.Store          classes"));
        assertEquals(Optional.of("a -> b (a.Main -> b.Service) -> c (b.Service -> c.Store) -> a (c.Store -> a.Config)"),
                findCycle(graph));
    }

    @Test
    void findCycle_aLayeredGraph_findsNone() {
        Map<String, Map<String, String>> graph = packageGraph(List.of(
                "   a.Main    -> b.Service classes",
                "   a.Main    -> c.Store   classes",
                "   b.Service -> c.Store   classes"));
        assertEquals(Optional.empty(), findCycle(graph));
    }

    private static Path classesOf(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static List<String> jdepsClassLines(Path classes) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new AssertionError("no jdeps in this JDK"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = jdeps.run(new PrintWriter(out), new PrintWriter(err), "-verbose:class", classes.toString());
        assertEquals(0, code, () -> "jdeps " + classes + ": " + err + out);
        return out.toString().lines().toList();
    }

    /** ipamd's package-to-package dependences from jdeps' class lines, each with the first class pair making it. */
    private static Map<String, Map<String, String>> packageGraph(List<String> lines) {
        Map<String, Map<String, String>> graph = new TreeMap<>();
        for (String line : lines) {
            Matcher m = EDGE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String from = packageOf(m.group(1));
            String to = packageOf(m.group(2));
            if (!from.equals(to)) {
                graph.computeIfAbsent(from, k -> new TreeMap<>()).putIfAbsent(to, m.group(1) + " -> " + m.group(2));
            }
        }
        return graph;
    }

    private static String packageOf(String className) {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    /** The first cycle a depth-first walk meets, as "p -> q (why) -> p (why)"; empty if the graph is layered. */
    private static Optional<String> findCycle(Map<String, Map<String, String>> graph) {
        Set<String> done = new TreeSet<>();
        for (String start : graph.keySet()) {
            Optional<String> cycle = walk(start, graph, new ArrayList<>(), done);
            if (cycle.isPresent()) {
                return cycle;
            }
        }
        return Optional.empty();
    }

    private static Optional<String> walk(String pkg, Map<String, Map<String, String>> graph, List<String> path,
                                         Set<String> done) {
        int seen = path.indexOf(pkg);
        if (seen >= 0) {
            StringBuilder named = new StringBuilder(path.get(seen));
            for (int i = seen + 1; i <= path.size(); i++) {
                String from = path.get(i - 1);
                String to = i < path.size() ? path.get(i) : pkg;
                named.append(" -> ").append(to).append(" (").append(graph.get(from).get(to)).append(')');
            }
            return Optional.of(named.toString());
        }
        if (done.contains(pkg)) {
            return Optional.empty();
        }
        path.add(pkg);
        for (String next : graph.getOrDefault(pkg, Map.of()).keySet()) {
            Optional<String> cycle = walk(next, graph, path, done);
            if (cycle.isPresent()) {
                return cycle;
            }
        }
        path.remove(path.size() - 1);
        done.add(pkg);
        return Optional.empty();
    }
}
