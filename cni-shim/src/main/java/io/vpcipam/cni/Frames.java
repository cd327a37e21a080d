package io.vpcipam.cni;

import io.vpcipam.protocol.Attachment;
import io.vpcipam.protocol.Codec;
import io.vpcipam.protocol.ErrorInfo;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Protocol v1 frames the plugin sends and reads, through {@link MiniJson} instead of the
 * protocol module's jackson-jr {@link Codec}: the same bytes out, the same records in, without
 * jackson-jr's one-time start-up cost in every plugin process.
 *
 * <p>Design: {@link Codec} stays the definition. Requests are built field by field in Codec's
 * order (tests compare the bytes with {@link Codec#encode(Request)} on random requests). A
 * reply is decoded here only when it has the plain shape of an ADD/CHECK/DEL/GC answer with
 * every field of the type Codec wants; anything else (a status reply, a type error, a bad
 * value, JSON this path refuses) is handed to {@link Codec#decodeReply}, so every
 * {@link ProtocolException} and its message is still Codec's (tests compare both on random
 * and broken replies).
 */
final class Frames {

    private Frames() {
    }

    /** One request as one line of JSON without the '\n', byte-identical to {@link Codec#encode(Request)}. */
    static String encode(Request request) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", Codec.VERSION);
        m.put("op", request.op().wireName());
        m.put("network", request.network());
        m.put("containerId", request.containerId());
        m.put("ifName", request.ifName());
        m.put("netns", request.netns());
        m.put("podNamespace", request.podNamespace());
        m.put("podName", request.podName());
        if (request.op() == io.vpcipam.protocol.Op.GC || !request.attachments().isEmpty()) {
            List<Object> list = new ArrayList<>(request.attachments().size());
            for (Attachment a : request.attachments()) {
                Map<String, Object> am = new LinkedHashMap<>();
                am.put("network", a.network());
                am.put("containerId", a.containerId());
                am.put("ifName", a.ifName());
                list.add(am);
            }
            m.put("attachments", list);
        }
        try {
            // Null values are skipped by the writer, as Codec omits null fields.
            return MiniJson.write(m);
        } catch (MiniJson.Unsupported e) {
            return Codec.encode(request);
        }
    }

    /** One reply line, decoded exactly as {@link Codec#decodeReply} does. */
    static Reply decodeReply(String line) throws ProtocolException {
        Reply fast = fastReply(line);
        return fast != null ? fast : Codec.decodeReply(line);
    }

    /** The reply when it has the plain shape, else null (Codec decides). */
    private static Reply fastReply(String line) {
        Object tree;
        try {
            tree = MiniJson.parse(line);
        } catch (MiniJson.Unsupported e) {
            return null;
        }
        if (!(tree instanceof Map<?, ?> m) || m.get("status") != null || !(m.get("ok") instanceof Boolean ok)) {
            return null;
        }
        Object released = m.get("released");
        if (released != null && !(released instanceof Integer r && r >= 0)) {
            return null;
        }
        LeaseInfo lease = null;
        Object l = m.get("lease");
        if (l != null) {
            lease = lease(l);
            if (lease == null) {
                return null;
            }
        }
        ErrorInfo error = null;
        Object e = m.get("error");
        if (e != null) {
            if (!(e instanceof Map<?, ?> em) || !(em.get("code") instanceof String code) || code.isBlank()
                    || !nullOr(em.get("message"), String.class) || !nullOr(em.get("retryable"), Boolean.class)) {
                return null;
            }
            error = new ErrorInfo(code, (String) em.get("message"), Boolean.TRUE.equals(em.get("retryable")));
        }
        if (ok) {
            error = null;
        } else if (error == null) {
            return null;
        }
        return new Reply(ok, lease, error, (Integer) released, null);
    }

    private static LeaseInfo lease(Object l) {
        if (!(l instanceof Map<?, ?> m) || !(m.get("address") instanceof String address) || address.isEmpty()
                || !(m.get("prefixLength") instanceof Integer prefixLength)
                || !nullOr(m.get("interfaceId"), String.class) || !nullOr(m.get("mac"), String.class)
                || !nullOr(m.get("gateway"), String.class) || !nullOr(m.get("deviceIndex"), Integer.class)
                || !nullOr(m.get("routeTable"), Integer.class) || !nullOr(m.get("mtu"), Integer.class)) {
            return null;
        }
        List<String> cidrs = new ArrayList<>();
        Object c = m.get("vpcCidrs");
        if (c != null) {
            if (!(c instanceof List<?> list)) {
                return null;
            }
            for (Object o : list) {
                if (!(o instanceof String s)) {
                    return null;
                }
                cidrs.add(s);
            }
        }
        try {
            return new LeaseInfo(address, prefixLength, (String) m.get("interfaceId"), (String) m.get("mac"),
                    intOr0(m.get("deviceIndex")), intOr0(m.get("routeTable")), (String) m.get("gateway"), cidrs,
                    intOr0(m.get("mtu")));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean nullOr(Object v, Class<?> type) {
        return v == null || type.isInstance(v);
    }

    private static int intOr0(Object v) {
        return v == null ? 0 : (Integer) v;
    }
}
