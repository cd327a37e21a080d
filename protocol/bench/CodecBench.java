package io.vpcipam.protocol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The codec's four ADD steps (ipamd decodes the request and encodes the reply, the plugin encodes the request and
 * decodes the reply), the codec against the jackson-jr codec it replaced ({@link JacksonCodecV1}, test scope), in
 * one warmed JVM. Rounds alternate the two (which goes first alternates too) so the machine's load falls on both
 * alike; the figure is the median of the rounds' ns/op. Run by run.sh beside it.
 */
public final class CodecBench {

    static volatile Object sink;

    private record Case(String name, Supplier<Object> jackson, Supplier<Object> now) {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        long roundNanos = (args.length > 1 ? Long.parseLong(args[1]) : 300) * 1_000_000L;
        Request add = Request.add("aws-cni", "5f0c2a9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f", "eth0",
                "/var/run/netns/cni-3f2e1d0c-9b8a-7f6e-5d4c-3b2a1f0e9d8c", "kube-system", "coredns-5d78c9869d-abcde");
        Reply reply = Reply.ok(new LeaseInfo("10.0.1.5", 32, "eni-0abc1234def567890", "0a:1b:2c:3d:4e:5f", 1, 2,
                "10.0.0.1", List.of("10.0.0.0/16", "100.64.0.0/16"), 9001));
        String addLine = Codec.encode(add);
        String replyLine = Codec.encode(reply);
        if (!addLine.equals(JacksonCodecV1.encode(add)) || !replyLine.equals(JacksonCodecV1.encode(reply))) {
            throw new AssertionError("the two codecs disagree");
        }
        List<Case> cases = List.of(
                new Case("encode ADD request (plugin)", () -> JacksonCodecV1.encode(add), () -> Codec.encode(add)),
                new Case("decode ADD request (ipamd)", () -> call(() -> JacksonCodecV1.decodeRequest(addLine)),
                        () -> call(() -> Codec.decodeRequest(addLine))),
                new Case("encode ADD reply (ipamd)", () -> JacksonCodecV1.encode(reply), () -> Codec.encode(reply)),
                new Case("decode ADD reply (plugin)", () -> call(() -> JacksonCodecV1.decodeReply(replyLine)),
                        () -> call(() -> Codec.decodeReply(replyLine))));
        // Warm-up: both, long enough for C2 on every path.
        for (int w = 0; w < 3; w++) {
            for (Case c : cases) {
                time(c.jackson(), roundNanos);
                time(c.now(), roundNanos);
            }
        }
        System.out.printf(Locale.ROOT, "%-30s %14s %14s %8s%n", "ns/op (median of " + rounds + " rounds)",
                "jackson-jr", "hand-written", "ratio");
        for (Case c : cases) {
            List<Double> jackson = new ArrayList<>();
            List<Double> now = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                if (r % 2 == 0) {
                    jackson.add(time(c.jackson(), roundNanos));
                    now.add(time(c.now(), roundNanos));
                } else {
                    now.add(time(c.now(), roundNanos));
                    jackson.add(time(c.jackson(), roundNanos));
                }
            }
            double j = median(jackson);
            double n = median(now);
            System.out.printf(Locale.ROOT, "%-30s %8.0f ±%4.0f %8.0f ±%4.0f %7.2fx%n", c.name(), j, spread(jackson), n,
                    spread(now), n / j);
        }
    }

    private interface Decode {
        Object get() throws ProtocolException;
    }

    private static Object call(Decode d) {
        try {
            return d.get();
        } catch (ProtocolException e) {
            throw new AssertionError(e);
        }
    }

    /** ns per call of {@code op}, run for about {@code nanos}. */
    private static double time(Supplier<Object> op, long nanos) {
        long calls = 0;
        long start = System.nanoTime();
        long end;
        do {
            for (int k = 0; k < 256; k++) {
                sink = op.get();
            }
            calls += 256;
            end = System.nanoTime();
        } while (end - start < nanos);
        return (double) (end - start) / calls;
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /** Half the interquartile range: how much the rounds moved. */
    private static double spread(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return (a[(a.length * 3) / 4] - a[a.length / 4]) / 2;
    }
}
