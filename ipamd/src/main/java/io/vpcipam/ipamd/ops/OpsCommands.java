package io.vpcipam.ipamd.ops;

import io.vpcipam.ipamd.pool.LeaseView;
import io.vpcipam.protocol.Layout;
import com.fasterxml.jackson.jr.ob.JSON;
import io.vpcipam.protocol.FrameReader;
import io.vpcipam.protocol.FrameWriter;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import io.vpcipam.protocol.StatusInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The operator's read-only commands' common ground (where to read from, and the socket fallback for when
 * introspection is off or unreachable: {@code ipamd status}, {@code ipamd leases}, {@code ipamd explain}) and
 * {@code ipamd leases} itself; {@link Explain} is {@code ipamd explain}.
 */
public final class OpsCommands {

    /** Pretty JSON for --json, null values written (a missing key and "never" read differently). */
    static final JSON PRETTY = JSON.builder().enable(JSON.Feature.PRETTY_PRINT_OUTPUT)
            .enable(JSON.Feature.WRITE_NULL_PROPERTIES).build();

    private OpsCommands() {
    }

    /**
     * Where a command reads: introspection first (null when off, or when the operator named only a socket: then
     * they meant that daemon), the socket as the fallback.
     */
    public record Source(OpsConfig.Endpoint introspection, Path socket) {

        /** Resolves flags, then the environment, then the defaults. */
        public static Source resolve(String introspectionFlag, Path socketFlag, Map<String, String> env) {
            Path socket = socketFlag != null ? socketFlag : Path.of(value(env, "IPAMD_SOCKET", Layout.DEFAULT_SOCKET));
            if (introspectionFlag == null && socketFlag != null) {
                return new Source(null, socket);
            }
            String text = introspectionFlag != null ? introspectionFlag
                    : value(env, "IPAMD_INTROSPECTION_ADDRESS", OpsConfig.DEFAULT_INTROSPECTION);
            if (text.equalsIgnoreCase("off")) {
                return new Source(null, socket);
            }
            try {
                return new Source(OpsConfig.Endpoint.parse(text), socket);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--introspection '" + text + "': must be host:port or off");
            }
        }

        private static String value(Map<String, String> env, String name, String fallback) {
            String v = env.get(name);
            return v == null || v.isBlank() ? fallback : v.trim();
        }
    }

    /** The {@code --introspection} option of the read-only commands, and the {@link Source} it leads to. */
    static final class IntrospectionOption {
        @Option(names = "--introspection", paramLabel = "HOST:PORT",
                description = "introspection address (IPAMD_INTROSPECTION_ADDRESS; default "
                        + OpsConfig.DEFAULT_INTROSPECTION + ")")
        String introspection;

        /** Where {@code command} reads; null after saying why on {@code err} (a bad address: exit 2). */
        Source resolve(String command, Path socket, PrintStream err) {
            try {
                return Source.resolve(introspection, socket, System.getenv());
            } catch (IllegalArgumentException e) {
                err.println(command + ": " + e.getMessage());
                return null;
            }
        }
    }

    /**
     * The daemon's status: from introspection if it answers, else over the socket (STATUS op).
     *
     * @param err where a note goes when the fallback is taken
     * @throws IOException if neither answers
     */
    public static StatusInfo status(Source source, PrintStream err) throws IOException {
        if (source.introspection() != null) {
            try {
                return new IntrospectionClient(source.introspection()).status();
            } catch (IOException e) {
                err.println("ipamd: introspection at " + source.introspection() + " did not answer (" + e.getMessage()
                        + "); asking the socket " + source.socket());
            }
        }
        return socketStatus(source.socket());
    }

    /** STATUS over the Unix socket. */
    public static StatusInfo socketStatus(Path socket) throws IOException {
        Reply reply;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            new FrameWriter(Channels.newOutputStream(ch)).write(Request.status());
            reply = new FrameReader(Channels.newInputStream(ch), FrameReader.MAX_REPLY_FRAME_BYTES).readReply();
        } catch (IOException e) {
            throw new IOException("cannot reach ipamd at " + socket + ": " + e.getMessage(), e);
        }
        if (reply == null || !reply.ok()) {
            throw new IOException(reply == null ? "no reply from " + socket
                    : reply.error().code() + ": " + reply.error().message());
        }
        return reply.status();
    }

    /** {@code ipamd leases}: every lease, who holds it and for how long. */
    @Command(name = "leases", mixinStandardHelpOptions = true,
            description = "List the leases of the running daemon (introspection, else the socket).")
    public static final class Leases implements Callable<Integer> {
        @Mixin
        IntrospectionOption from;
        @Option(names = "--socket", description = "socket to ask when introspection is off or unreachable"
                + " (IPAMD_SOCKET; default " + Layout.DEFAULT_SOCKET + ")")
        Path socket;
        @Option(names = "--json", description = "print the leases as JSON")
        boolean json;

        @Override
        public Integer call() throws IOException {
            Source source = from.resolve("ipamd leases", socket, System.err);
            if (source == null) {
                return 2;
            }
            List<LeaseView> leases;
            try {
                leases = fetchLeases(source, System.err);
            } catch (IOException e) {
                System.err.println("ipamd leases: " + e.getMessage());
                return 1;
            }
            if (json) {
                System.out.println(PRETTY.asString(new LeaseView.All(leases)));
            } else {
                printLeases(leases, InstantSource.system().instant(), System.out);
            }
            return 0;
        }
    }

    /** The leases: from introspection if it answers, else over the socket (STATUS op, which has no netns). */
    static List<LeaseView> fetchLeases(Source source, PrintStream err) throws IOException {
        if (source.introspection() != null) {
            try {
                return new IntrospectionClient(source.introspection()).leases();
            } catch (IOException e) {
                err.println("ipamd: introspection at " + source.introspection() + " did not answer (" + e.getMessage()
                        + "); asking the socket " + source.socket());
            }
        }
        return socketStatus(source.socket()).leases().stream().map(LeaseView::of).toList();
    }

    static void printLeases(List<LeaseView> leases, Instant now, PrintStream out) {
        out.printf("%-15s %-24s %-40s %-8s %-14s %s%n", "ADDRESS", "INTERFACE", "POD", "IFNAME", "CONTAINER", "AGE");
        for (LeaseView l : leases) {
            String ns = orEmpty(l.podNamespace());
            String name = orEmpty(l.podName());
            String cid = orEmpty(l.containerId());
            out.printf("%-15s %-24s %-40s %-8s %-14s %s%n", l.address(), l.interfaceId(),
                    name.isEmpty() ? "-" : ns + "/" + name, l.ifName(),
                    cid.length() > 12 ? cid.substring(0, 12) : cid, age(orEmpty(l.assignedAt()), now));
        }
        out.printf("%d leases%n", leases.size());
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    /** An ISO-8601 instant, or null when empty or not one. */
    static Instant parse(String text) {
        if (text.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** A short age such as {@code 42s}, {@code 5m3s}, {@code 2h10m} or {@code 3d4h}; {@code -} if unknown. */
    static String age(String since, Instant now) {
        Instant at = parse(since);
        if (at == null) {
            return "-";
        }
        Duration d = Duration.between(at, now);
        if (d.isNegative()) {
            return "0s";
        }
        long s = d.toSeconds();
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + s % 60 + "s";
        }
        if (s < 86_400) {
            return s / 3600 + "h" + s % 3600 / 60 + "m";
        }
        return s / 86_400 + "d" + s % 86_400 / 3600 + "h";
    }
}
