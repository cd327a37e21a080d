package io.vpcipam.provider.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelineSyncPolicy;

import java.time.OffsetDateTime;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/** The provider's own HTTP pipeline policies. */
final class Policies {

    /** Context key carrying the ETag a write must match. */
    static final String IF_MATCH_KEY = "vpc-ipam-if-match";

    private Policies() {
    }

    /**
     * Puts {@code If-Match} on the PUT or DELETE itself only: the context also reaches the long-running operation's
     * polls and the final GET, which must not carry the (by then stale) ETag.
     */
    static final class IfMatch extends HttpPipelineSyncPolicy {
        @Override
        protected void beforeSendingRequest(HttpPipelineCallContext context) {
            HttpMethod m = context.getHttpRequest().getHttpMethod();
            if (m == HttpMethod.PUT || m == HttpMethod.DELETE) {
                context.getData(IF_MATCH_KEY).ifPresent(etag ->
                        context.getHttpRequest().setHeader(HttpHeaderName.IF_MATCH, etag.toString()));
            }
        }
    }

    /**
     * Bearer tokens for a plain-http loopback endpoint (a test fake): the SDK's bearer policy refuses http outright,
     * and {@link AzureSettings} has already refused http to anything but loopback.
     */
    static final class LoopbackBearer extends HttpPipelineSyncPolicy {
        private final TokenCredential credential;
        private final TokenRequestContext scopes;
        private volatile AccessToken token;

        LoopbackBearer(TokenCredential credential, String scope) {
            this.credential = credential;
            this.scopes = new TokenRequestContext().addScopes(scope);
        }

        @Override
        protected void beforeSendingRequest(HttpPipelineCallContext context) {
            AccessToken t = token;
            if (t == null || t.getExpiresAt().isBefore(OffsetDateTime.now().plusMinutes(5))) {
                t = credential.getTokenSync(scopes);
                token = t;
            }
            context.getHttpRequest().setHeader(HttpHeaderName.AUTHORIZATION, "Bearer " + t.getToken());
        }
    }

    /**
     * Keeps the latest {@code x-ms-ratelimit-remaining-*} values ARM sends, so the budget left is visible before ARM
     * starts answering 429, and warns once each time one drops to {@code lowWater} or below.
     */
    static final class RateLimitHeaders extends HttpPipelineSyncPolicy {
        private static final Logger LOG = Logger.getLogger(RateLimitHeaders.class.getName());
        private static final String PREFIX = "x-ms-ratelimit-remaining-";
        private final Map<String, Long> remaining = new ConcurrentHashMap<>();
        private final long lowWater;

        RateLimitHeaders(long lowWater) {
            this.lowWater = lowWater;
        }

        @Override
        protected HttpResponse afterReceivedResponse(HttpPipelineCallContext context, HttpResponse response) {
            response.getHeaders().stream().filter(h -> h.getName().toLowerCase(java.util.Locale.ROOT).startsWith(PREFIX))
                    .forEach(h -> {
                        try {
                            String name = h.getName().toLowerCase(java.util.Locale.ROOT).substring(PREFIX.length());
                            long value = Long.parseLong(h.getValue().trim());
                            Long before = remaining.put(name, value);
                            if (value <= lowWater && (before == null || before > lowWater)) {
                                LOG.warning("ARM budget low: " + PREFIX + name + "=" + value);
                            }
                        } catch (NumberFormatException ignored) {
                            // a header we do not understand is no budget signal
                        }
                    });
            return response;
        }
    }
}
