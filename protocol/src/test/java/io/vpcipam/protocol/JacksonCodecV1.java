package io.vpcipam.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference the codec is tested against: protocol v1's codec as it was before it moved onto the hand-written
 * {@link Json} (main at a267ef9), on jackson-jr, kept unchanged but for its name. {@code JacksonCodecV1Test} checks
 * that {@link Codec} writes the same bytes and reads every line, valid or not, the same way. Test scope only.
 *
 * <p>Its own comment, then: encodes and decodes protocol v1 messages: one JSON object, without the terminating
 * newline (framing is {@link FrameReader} / {@link FrameWriter}).
 *
 * <p>Design: jackson-jr parses into plain Map/List trees and we map them by hand, so the wire
 * names live here as literals (never derived from Java names a refactoring could change),
 * unknown fields are ignored, a JSON {@code null} counts as absent, and every type error names
 * the field. Decoding throws nothing but {@link ProtocolException}. Encoding omits null fields.
 * Thread-safe: no mutable state.
 */
final class JacksonCodecV1 {

    /** The protocol version this codec writes and accepts. */
    static final int VERSION = 1;

    /** Duplicate keys are rejected: two readers must never disagree about what "op" was. */
    private static final JSON JSON_RW = JSON.std.with(JSON.Feature.FAIL_ON_DUPLICATE_MAP_KEYS)
            .with(JSON.Feature.USE_DEFERRED_MAPS, false);

    private JacksonCodecV1() {
    }

    // ---------------------------------------------------------------- encode

    /** One request as one line of JSON, without the '\n'. */
    static String encode(Request request) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", VERSION);
        m.put("op", request.op().wireName());
        put(m, "network", request.network());
        put(m, "containerId", request.containerId());
        put(m, "ifName", request.ifName());
        put(m, "netns", request.netns());
        put(m, "podNamespace", request.podNamespace());
        put(m, "podName", request.podName());
        if (request.op() == Op.GC || !request.attachments().isEmpty()) {
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
        return write(m);
    }

    /** One reply as one line of JSON, without the '\n'. */
    static String encode(Reply reply) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", reply.ok());
        if (reply.lease() != null) {
            m.put("lease", leaseMap(reply.lease()));
        }
        if (reply.error() != null) {
            ErrorInfo e = reply.error();
            Map<String, Object> em = new LinkedHashMap<>();
            em.put("code", e.code());
            em.put("message", e.message());
            em.put("retryable", e.retryable());
            m.put("error", em);
        }
        put(m, "released", reply.released());
        if (reply.status() != null) {
            m.put("status", statusMap(reply.status()));
        }
        return write(m);
    }

    private static Map<String, Object> leaseMap(LeaseInfo l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("address", l.address());
        m.put("prefixLength", l.prefixLength());
        put(m, "interfaceId", l.interfaceId());
        put(m, "mac", l.mac());
        m.put("deviceIndex", l.deviceIndex());
        m.put("routeTable", l.routeTable());
        put(m, "gateway", l.gateway());
        m.put("vpcCidrs", l.vpcCidrs());
        m.put("mtu", l.mtu());
        return m;
    }

    private static Map<String, Object> statusMap(StatusInfo s) {
        Map<String, Object> m = new LinkedHashMap<>();
        put(m, "provider", s.provider());
        put(m, "instanceId", s.instanceId());
        put(m, "instanceType", s.instanceType());
        put(m, "zone", s.zone());
        m.put("prefixMode", s.prefixMode());
        StatusInfo.PoolCounts p = s.pool();
        Map<String, Object> pm = new LinkedHashMap<>();
        pm.put("total", p.total());
        pm.put("free", p.free());
        pm.put("assigned", p.assigned());
        pm.put("cooling", p.cooling());
        pm.put("pending", p.pending());
        pm.put("releasing", p.releasing());
        m.put("pool", pm);
        m.put("maxAddresses", s.maxAddresses());
        List<Object> ifs = new ArrayList<>(s.interfaces().size());
        for (StatusInfo.InterfaceStatus i : s.interfaces()) {
            Map<String, Object> im = new LinkedHashMap<>();
            put(im, "id", i.id());
            im.put("deviceIndex", i.deviceIndex());
            put(im, "subnetId", i.subnetId());
            put(im, "primaryAddress", i.primaryAddress());
            im.put("addresses", i.addresses());
            im.put("prefixes", i.prefixes());
            im.put("free", i.free());
            im.put("assigned", i.assigned());
            put(im, "unmanaged", i.unmanaged());
            put(im, "mac", i.mac());
            put(im, "linkName", i.linkName());
            im.put("routeTable", i.routeTable());
            ifs.add(im);
        }
        m.put("interfaces", ifs);
        List<Object> leases = new ArrayList<>(s.leases().size());
        for (StatusInfo.LeaseStatus l : s.leases()) {
            Map<String, Object> lm = new LinkedHashMap<>();
            put(lm, "network", l.network());
            put(lm, "containerId", l.containerId());
            put(lm, "ifName", l.ifName());
            put(lm, "podNamespace", l.podNamespace());
            put(lm, "podName", l.podName());
            put(lm, "address", l.address());
            put(lm, "interfaceId", l.interfaceId());
            put(lm, "assignedAt", l.assignedAt());
            leases.add(lm);
        }
        m.put("leases", leases);
        return m;
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    private static String write(Map<String, Object> m) {
        try {
            return JSON_RW.asString(m);
        } catch (IOException e) {
            // Only strings, numbers, booleans, lists and maps: jackson-jr cannot fail on these.
            throw new UncheckedIOException("cannot encode a protocol message", e);
        }
    }

    // ---------------------------------------------------------------- decode

    /**
     * Parses one request line (without or with its trailing '\n' / "\r\n").
     *
     * @throws ProtocolException UNSUPPORTED_VERSION for a missing or other version, otherwise
     *                           BAD_REQUEST with a message naming the offending field
     */
    static Request decodeRequest(String line) throws ProtocolException {
        Map<String, Object> m = parseObject(line, "request");
        Object version = m.get("version");
        if (version == null) {
            throw new ProtocolException(ErrorCodes.UNSUPPORTED_VERSION,
                    "missing version (this ipamd speaks protocol version " + VERSION + ")");
        }
        if (!(version instanceof Integer v) || v != VERSION) {
            throw new ProtocolException(ErrorCodes.UNSUPPORTED_VERSION, "unsupported version "
                    + abbreviate(String.valueOf(version)) + " (this ipamd speaks protocol version " + VERSION + ")");
        }
        Object opValue = m.get("op");
        if (opValue == null) {
            throw bad("missing op (valid: " + Op.validNames() + ")");
        }
        if (!(opValue instanceof String opName)) {
            throw bad("op must be a string (valid: " + Op.validNames() + ")");
        }
        Op op = Op.fromWireName(opName).orElseThrow(() -> bad(
                "unknown op \"" + abbreviate(opName) + "\" (valid: " + Op.validNames() + ")"));
        String network = requestString(m, "network", "");
        String containerId = requestString(m, "containerId", "");
        String ifName = requestString(m, "ifName", "");
        String netns = requestString(m, "netns", "");
        String podNamespace = requestString(m, "podNamespace", "");
        String podName = requestString(m, "podName", "");
        List<Attachment> attachments = null;
        List<Object> raw = list(m, "attachments", "");
        if (raw != null) {
            if (raw.size() > Request.MAX_ATTACHMENTS) {
                throw bad("attachments has " + raw.size() + " entries, more than the limit of "
                        + Request.MAX_ATTACHMENTS);
            }
            attachments = new ArrayList<>(raw.size());
            for (int i = 0; i < raw.size(); i++) {
                String path = "attachments[" + i + "].";
                if (!(raw.get(i) instanceof Map<?, ?> am)) {
                    throw bad("attachments[" + i + "] must be an object");
                }
                Map<String, Object> a = cast(am);
                attachments.add(attachment(a, path));
            }
        }
        try {
            return new Request(op, network, containerId, ifName, netns, podNamespace, podName, attachments);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw bad(e.getMessage());
        }
    }

    private static Attachment attachment(Map<String, Object> a, String path) throws ProtocolException {
        String network = requestString(a, "network", path);
        String containerId = requestString(a, "containerId", path);
        String ifName = requestString(a, "ifName", path);
        for (String[] f : new String[][] {{"network", network}, {"containerId", containerId}, {"ifName", ifName}}) {
            if (f[1] == null || f[1].isEmpty()) {
                throw bad(path + f[0] + " is required");
            }
        }
        return new Attachment(network, containerId, ifName);
    }

    /**
     * Parses one reply line.
     *
     * @throws ProtocolException BAD_REQUEST when the line is not a well-formed reply
     */
    static Reply decodeReply(String line) throws ProtocolException {
        Map<String, Object> m = parseObject(line, "reply");
        Boolean ok = bool(m, "ok", "");
        if (ok == null) {
            throw bad("ok is required");
        }
        LeaseInfo lease = null;
        Map<String, Object> lm = object(m, "lease", "");
        if (lm != null) {
            lease = lease(lm);
        }
        ErrorInfo error = null;
        Map<String, Object> em = object(m, "error", "");
        if (em != null) {
            String code = string(em, "code", "error.");
            if (code == null || code.isBlank()) {
                throw bad("error.code is required");
            }
            Boolean retryable = bool(em, "retryable", "error.");
            error = new ErrorInfo(code, string(em, "message", "error."), retryable != null && retryable);
        }
        Integer released = integer(m, "released", "");
        if (released != null && released < 0) {
            throw bad("released must not be negative");
        }
        StatusInfo status = null;
        Map<String, Object> sm = object(m, "status", "");
        if (sm != null) {
            status = status(sm);
        }
        if (ok && error != null) {
            // Be lenient with what we read: a success reply's stray error is meaningless.
            error = null;
        }
        if (!ok && error == null) {
            throw bad("error is required when ok is false");
        }
        return new Reply(ok, lease, error, released, status);
    }

    private static LeaseInfo lease(Map<String, Object> m) throws ProtocolException {
        String p = "lease.";
        String address = string(m, "address", p);
        if (address == null || address.isEmpty()) {
            throw bad("lease.address is required");
        }
        Integer prefixLength = integer(m, "prefixLength", p);
        if (prefixLength == null) {
            throw bad("lease.prefixLength is required");
        }
        try {
            return new LeaseInfo(address, prefixLength, string(m, "interfaceId", p), string(m, "mac", p),
                    intOr0(m, "deviceIndex", p), intOr0(m, "routeTable", p), string(m, "gateway", p),
                    strings(m, "vpcCidrs", p), intOr0(m, "mtu", p));
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
    }

    private static StatusInfo status(Map<String, Object> m) throws ProtocolException {
        String p = "status.";
        StatusInfo.PoolCounts pool = null;
        Map<String, Object> pm = object(m, "pool", p);
        if (pm != null) {
            String pp = "status.pool.";
            pool = new StatusInfo.PoolCounts(intOr0(pm, "total", pp), intOr0(pm, "free", pp),
                    intOr0(pm, "assigned", pp), intOr0(pm, "cooling", pp), intOr0(pm, "pending", pp),
                    intOr0(pm, "releasing", pp));
        }
        List<StatusInfo.InterfaceStatus> interfaces = new ArrayList<>();
        List<Object> ifs = list(m, "interfaces", p);
        if (ifs != null) {
            for (int i = 0; i < ifs.size(); i++) {
                String ip = "status.interfaces[" + i + "].";
                if (!(ifs.get(i) instanceof Map<?, ?> raw)) {
                    throw bad("status.interfaces[" + i + "] must be an object");
                }
                Map<String, Object> im = cast(raw);
                interfaces.add(new StatusInfo.InterfaceStatus(string(im, "id", ip), intOr0(im, "deviceIndex", ip),
                        string(im, "subnetId", ip), string(im, "primaryAddress", ip), strings(im, "addresses", ip),
                        strings(im, "prefixes", ip), intOr0(im, "free", ip), intOr0(im, "assigned", ip),
                        string(im, "unmanaged", ip), string(im, "mac", ip), string(im, "linkName", ip),
                        intOr0(im, "routeTable", ip)));
            }
        }
        List<StatusInfo.LeaseStatus> leases = new ArrayList<>();
        List<Object> ls = list(m, "leases", p);
        if (ls != null) {
            for (int i = 0; i < ls.size(); i++) {
                String lp = "status.leases[" + i + "].";
                if (!(ls.get(i) instanceof Map<?, ?> raw)) {
                    throw bad("status.leases[" + i + "] must be an object");
                }
                Map<String, Object> lm = cast(raw);
                leases.add(new StatusInfo.LeaseStatus(string(lm, "network", lp), string(lm, "containerId", lp),
                        string(lm, "ifName", lp), string(lm, "podNamespace", lp), string(lm, "podName", lp),
                        string(lm, "address", lp), string(lm, "interfaceId", lp), string(lm, "assignedAt", lp)));
            }
        }
        Boolean prefixMode = bool(m, "prefixMode", p);
        return new StatusInfo(string(m, "provider", p), string(m, "instanceId", p), string(m, "instanceType", p),
                string(m, "zone", p), prefixMode != null && prefixMode, pool, intOr0(m, "maxAddresses", p),
                interfaces, leases);
    }

    // ---------------------------------------------------------------- tree helpers

    private static Map<String, Object> parseObject(String line, String what) throws ProtocolException {
        if (line == null) {
            throw bad("empty " + what + " frame");
        }
        if (line.isBlank()) {
            throw bad("empty " + what + " frame");
        }
        Object tree;
        try (JsonParser parser = JSON_RW.getStreamingFactory().createParser(line)) {
            tree = JSON_RW.anyFrom(parser);
            if (parser.nextToken() != null) {
                throw bad(what + " is not one JSON value: trailing content after it");
            }
        } catch (ProtocolException e) {
            throw e;
        } catch (JsonProcessingException e) {
            // getOriginalMessage: no location and no echo of the (possibly large) input.
            throw bad(what + " is not valid JSON: " + abbreviate(e.getOriginalMessage()));
        } catch (IOException | RuntimeException e) {
            throw bad(what + " is not valid JSON: " + abbreviate(String.valueOf(e.getMessage())));
        }
        if (!(tree instanceof Map<?, ?> map)) {
            throw bad(what + " must be a JSON object, was " + jsonType(tree));
        }
        return cast(map);
    }

    /** A request string field: absent/null gives null; checked by {@link Request#checkString}. */
    private static String requestString(Map<String, Object> m, String key, String path) throws ProtocolException {
        String s = string(m, key, path);
        try {
            Request.checkString(path + key, s);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        return s;
    }

    private static String string(Map<String, Object> m, String key, String path) throws ProtocolException {
        Object v = m.get(key);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw bad(path + key + " must be a string, was " + jsonType(v));
    }

    private static Boolean bool(Map<String, Object> m, String key, String path) throws ProtocolException {
        Object v = m.get(key);
        if (v == null || v instanceof Boolean) {
            return (Boolean) v;
        }
        throw bad(path + key + " must be a boolean, was " + jsonType(v));
    }

    private static Integer integer(Map<String, Object> m, String key, String path) throws ProtocolException {
        Object v = m.get(key);
        if (v == null || v instanceof Integer) {
            return (Integer) v;
        }
        if (v instanceof Number && !(v instanceof Double) && !(v instanceof Float)
                && !(v instanceof java.math.BigDecimal)) {
            throw bad(path + key + " is out of range for a 32-bit integer");
        }
        throw bad(path + key + " must be an integer, was " + jsonType(v));
    }

    private static int intOr0(Map<String, Object> m, String key, String path) throws ProtocolException {
        Integer v = integer(m, key, path);
        return v == null ? 0 : v;
    }

    private static Map<String, Object> object(Map<String, Object> m, String key, String path) throws ProtocolException {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Map<?, ?> map) {
            return cast(map);
        }
        throw bad(path + key + " must be an object, was " + jsonType(v));
    }

    private static List<Object> list(Map<String, Object> m, String key, String path) throws ProtocolException {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> list = (List<Object>) l;
            return list;
        }
        throw bad(path + key + " must be an array, was " + jsonType(v));
    }

    private static List<String> strings(Map<String, Object> m, String key, String path) throws ProtocolException {
        List<Object> raw = list(m, key, path);
        if (raw == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            if (!(raw.get(i) instanceof String s)) {
                throw bad(path + key + "[" + i + "] must be a string, was " + jsonType(raw.get(i)));
            }
            out.add(s);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }

    private static String jsonType(Object v) {
        return switch (v) {
            case null -> "null";
            case String _ -> "a string";
            case Boolean _ -> "a boolean";
            case Integer _ -> "an integer";
            case Number _ -> "a number";
            case Map<?, ?> _ -> "an object";
            case List<?> _ -> "an array";
            default -> "a " + v.getClass().getSimpleName();
        };
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }

    private static ProtocolException bad(String message) {
        return new ProtocolException(ErrorCodes.BAD_REQUEST, message);
    }
}
