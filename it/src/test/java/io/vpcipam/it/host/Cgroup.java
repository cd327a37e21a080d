package io.vpcipam.it.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A cgroup of a fixture's own, which every process the fixture starts joins (and so everything they fork): the
 * fixture stops them by PID from the group's list even after their parent died or they were reparented (containerd's
 * shims, CNI plugins), which walking a process tree cannot. Only the list is used, no limit: on cgroup v1 the pids
 * hierarchy, on v2 the unified root. Removing a group needs it empty, so {@link #killAll} comes first.
 */
public final class Cgroup {

    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    private final String name;

    private Cgroup(String name) {
        this.name = name;
    }

    /** Makes group {@code name} (a unique one, see {@link Host#suffix()}) in {@link #pidsHierarchy()}. */
    public static Cgroup create(String name) throws IOException {
        Files.createDirectories(pidsHierarchy().resolve(name));
        return new Cgroup(name);
    }

    /** The group's directory, for {@link #killAll}. */
    public Path path() {
        return pidsHierarchy().resolve(name);
    }

    /** A shell prefix ({@code ... && }) that moves the shell, and whatever it execs and forks, into this group. */
    public String join() {
        return "echo $$ > " + path().resolve("cgroup.procs") + " && ";
    }

    /** Removes this group and any child groups (once {@link #killAll} has emptied them). */
    public void remove() {
        remove(name, true);
    }

    /** The cgroup hierarchy whose {@code cgroup.procs} lists a group's processes: v1's pids, or the v2 root. */
    public static Path pidsHierarchy() {
        return Files.isRegularFile(ROOT.resolve("cgroup.controllers")) ? ROOT : ROOT.resolve("pids");
    }

    /** Every pid in {@code group} and below. */
    private static List<Long> pids(Path group) {
        List<Long> out = new ArrayList<>();
        for (Path d : directories(group)) {
            try {
                for (String l : Files.readAllLines(d.resolve("cgroup.procs"))) {
                    if (!l.isBlank()) {
                        out.add(Long.parseLong(l.strip()));
                    }
                }
            } catch (IOException e) {
                // the group went away meanwhile: nothing left in it
            }
        }
        return out;
    }

    /** {@code group} and every group below it, deepest first; a group that vanishes meanwhile is skipped. */
    private static List<Path> directories(Path group) {
        List<Path> out = new ArrayList<>();
        Host.walk(group, out::add, f -> { }, d -> { });
        out.sort((a, b) -> b.getNameCount() - a.getNameCount());
        return out;
    }

    /** SIGKILLs every process of these groups until none is left (at most 30 s). */
    public static void killAll(List<Path> groups) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            List<Long> left = groups.stream().flatMap(g -> pids(g).stream()).toList();
            if (left.isEmpty()) {
                return;
            }
            for (long pid : left) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            Thread.sleep(100);
        }
    }

    /**
     * Removes a cgroup (with {@code children}: and its children) from every hierarchy; the kernel refuses a group
     * that still has processes or child groups.
     */
    public static void remove(String relative, boolean children) {
        List<Path> roots = new ArrayList<>();
        if (Files.isRegularFile(ROOT.resolve("cgroup.controllers"))) {
            roots.add(ROOT);
        } else {
            try (Stream<Path> s = Files.list(ROOT)) {
                s.filter(p -> Files.isRegularFile(p.resolve("cgroup.procs"))).forEach(roots::add);
            } catch (IOException ignored) {
                // no hierarchies
            }
        }
        for (Path root : roots) {
            Path g = root.resolve(relative);
            if (!Files.isDirectory(g)) {
                continue;
            }
            if (!children) {
                g.toFile().delete();
                continue;
            }
            directories(g).forEach(d -> d.toFile().delete());
        }
    }
}
