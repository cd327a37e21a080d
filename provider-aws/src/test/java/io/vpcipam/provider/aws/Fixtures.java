package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudCallListener;
import io.vpcipam.provider.ProviderContext;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Settings and providers over the {@link FakeEc2} with fast backoff, for unit tests. */
final class Fixtures {

    private Fixtures() {
    }

    /** Settings from {@code env} on top of fast, generous test defaults. */
    static AwsSettings settings(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(Map.of(
                "AWS_REGION", "us-east-1", "IPAMD_INSTANCE_ID", FakeEc2.INSTANCE,
                AwsSettings.API_RATE, "10000", AwsSettings.API_BURST, "1000",
                AwsSettings.BACKOFF_BASE, "1ms", AwsSettings.BACKOFF_MAX, "5ms",
                AwsSettings.DETACH_TIMEOUT, "5s"));
        all.putAll(env);
        return AwsSettings.from(context(all, null));
    }

    static ProviderContext context(Map<String, String> env, CloudCallListener listener) {
        return new ProviderContext(env, Path.of("target"), Clock.systemUTC(), listener);
    }

    static AwsProvider provider(FakeEc2 fake, Map<String, String> env, CloudCallListener listener) {
        AwsSettings s = settings(env);
        return new AwsProvider(fake, new Guard(s, listener), FakeEc2.INSTANCE, s, Clock.systemUTC());
    }

    /** A listener that keeps every event as a line: "call VERB condition", "throttle VERB", "wait VERB". */
    static final class Recorder implements CloudCallListener {
        final List<String> events = new CopyOnWriteArrayList<>();
        volatile Duration waited = Duration.ZERO;

        @Override
        public void onCall(String verb, Duration elapsed, String condition) {
            events.add("call " + verb + " " + (condition == null ? "ok" : condition));
        }

        @Override
        public void onThrottle(String verb) {
            events.add("throttle " + verb);
        }

        @Override
        public synchronized void onLimiterWait(String verb, Duration w) {
            events.add("wait " + verb);
            waited = waited.plus(w);
        }

        long count(String prefix) {
            return events.stream().filter(e -> e.startsWith(prefix)).count();
        }
    }
}
