package io.vpcipam.ipamd;

import io.vpcipam.provider.CloudProviderFactory;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Finds cloud providers with {@link ServiceLoader}: those on ipamd's class path (the simulated cloud always is), and
 * those installed as {@code providers/<name>/*.jar} beside {@code ipamd.jar}, each in its own class loader so the
 * AWS and Azure SDKs never meet.
 */
final class Providers {

    private Providers() {
    }

    static CloudProviderFactory find(String name) {
        List<CloudProviderFactory> all = all();
        return all.stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("IPAMD_PROVIDER='" + name + "': no such provider; available: "
                        + new TreeSet<>(all.stream().map(CloudProviderFactory::name).toList())));
    }

    static List<CloudProviderFactory> all() {
        List<CloudProviderFactory> found = new ArrayList<>();
        ServiceLoader.load(CloudProviderFactory.class, Providers.class.getClassLoader()).forEach(found::add);
        Path dir = providersDir();
        if (dir != null && Files.isDirectory(dir)) {
            try (Stream<Path> subdirs = Files.list(dir)) {
                for (Path sub : subdirs.filter(Files::isDirectory).sorted().toList()) {
                    URL[] jars = jars(sub);
                    if (jars.length > 0) {
                        ClassLoader loader = new URLClassLoader("provider-" + sub.getFileName(), jars,
                                Providers.class.getClassLoader());
                        ServiceLoader.load(CloudProviderFactory.class, loader).forEach(f -> {
                            if (found.stream().noneMatch(g -> g.name().equals(f.name()))) {
                                found.add(f);
                            }
                        });
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot list " + dir + ": " + e.getMessage(), e);
            }
        }
        return found;
    }

    private static URL[] jars(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir, 2)) {
            List<URL> urls = new ArrayList<>();
            for (Path p : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
                try {
                    urls.add(p.toUri().toURL());
                } catch (MalformedURLException e) {
                    throw new IOException(e);
                }
            }
            return urls.toArray(URL[]::new);
        }
    }

    /** {@code providers/} beside the jar ipamd runs from, or null when running from classes (tests). */
    private static Path providersDir() {
        try {
            URI self = Providers.class.getProtectionDomain().getCodeSource().getLocation().toURI();
            Path location = Path.of(self);
            return Files.isRegularFile(location) ? location.getParent().resolve("providers") : null;
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }
}
