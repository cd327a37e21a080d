package io.vpcipam.protocol;

import static io.vpcipam.protocol.Fields.abbreviate;
import static io.vpcipam.protocol.Fields.bad;
import static io.vpcipam.protocol.Fields.bool;
import static io.vpcipam.protocol.Fields.element;
import static io.vpcipam.protocol.Fields.intOr0;
import static io.vpcipam.protocol.Fields.integer;
import static io.vpcipam.protocol.Fields.list;
import static io.vpcipam.protocol.Fields.object;
import static io.vpcipam.protocol.Fields.string;
import static io.vpcipam.protocol.Fields.strings;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Encodes and decodes protocol v1 messages: one JSON object, without the terminating newline (framing is
 * {@link FrameReader} / {@link FrameWriter}). The one codec of the wire: ipamd's socket server, the CLI and the CNI
 * plugin all use it.
 *
 * <p>Design: encoding writes each field straight into the output ({@link JsonWriter}), decoding parses into a plain
 * tree ({@link Json}) and maps it by hand ({@link Fields}), so the wire names live here and in {@link StatusCodec}
 * as literals (never derived from Java names a refactoring could change), unknown fields are ignored, a JSON
 * {@code null} counts as absent, and every type error names the field. Decoding throws nothing but
 * {@link ProtocolException}. Encoding omits null fields. No reflection and no library: the plugin runs it
 * interpreted in a JVM started per pod. Thread-safe: no mutable state.
 */
public final class Codec {

    /** The protocol version this codec writes and accepts. */
    public static final int VERSION = 1;

    private Codec() {
    }

    // ---------------------------------------------------------------- encode

    /** One request as one line of JSON, without the '\n'. */
    public static String encode(Request request) {
        JsonWriter w = new JsonWriter(256).begin()
                .number("version", VERSION)
                .string("op", request.op().wireName())
                .string("network", request.network())
                .string("containerId", request.containerId())
                .string("ifName", request.ifName())
                .string("netns", request.netns())
                .string("podNamespace", request.podNamespace())
                .string("podName", request.podName());
        List<Attachment> attachments = request.attachments();
        if (request.op() == Op.GC || !attachments.isEmpty()) {
            w.array("attachments");
            for (int i = 0; i < attachments.size(); i++) {
                Attachment a = attachments.get(i);
                w.element().string("network", a.network()).string("containerId", a.containerId())
                        .string("ifName", a.ifName()).end();
            }
            w.endArray();
        }
        return w.end().toString();
    }

    /** One reply as one line of JSON, without the '\n'. */
    public static String encode(Reply reply) {
        StatusInfo status = reply.status();
        JsonWriter w = new JsonWriter(status == null ? 256 : 512 + 256 * status.leases().size()).begin()
                .bool("ok", reply.ok());
        LeaseInfo l = reply.lease();
        if (l != null) {
            w.object("lease")
                    .string("address", l.address())
                    .number("prefixLength", l.prefixLength())
                    .string("interfaceId", l.interfaceId())
                    .string("mac", l.mac())
                    .number("deviceIndex", l.deviceIndex())
                    .number("routeTable", l.routeTable())
                    .string("gateway", l.gateway())
                    .strings("vpcCidrs", l.vpcCidrs())
                    .number("mtu", l.mtu())
                    .end();
        }
        ErrorInfo e = reply.error();
        if (e != null) {
            w.object("error").string("code", e.code()).string("message", e.message())
                    .bool("retryable", e.retryable()).end();
        }
        w.number("released", reply.released());
        if (status != null) {
            StatusCodec.write(w, status);
        }
        return w.end().toString();
    }

    // ---------------------------------------------------------------- decode

    /**
     * Parses one request line (without or with its trailing '\n' / "\r\n").
     *
     * @throws ProtocolException UNSUPPORTED_VERSION for a missing or other version, otherwise
     *                           BAD_REQUEST with a message naming the offending field
     */
    public static Request decodeRequest(String line) throws ProtocolException {
        Map<String, Object> m = Fields.parseObject(line, "request");
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
        Op op = Op.fromWireName(opName).orElse(null);
        if (op == null) {
            throw bad("unknown op \"" + abbreviate(opName) + "\" (valid: " + Op.validNames() + ")");
        }
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
                attachments.add(attachment(element(raw, i, "attachments"), i));
            }
        }
        try {
            return new Request(op, network, containerId, ifName, netns, podNamespace, podName, attachments);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw bad(e.getMessage());
        }
    }

    private static Attachment attachment(Map<String, Object> a, int i) throws ProtocolException {
        String path = "attachments[" + i + "].";
        String network = requestString(a, "network", path);
        String containerId = requestString(a, "containerId", path);
        String ifName = requestString(a, "ifName", path);
        requireNonEmpty(path, "network", network);
        requireNonEmpty(path, "containerId", containerId);
        requireNonEmpty(path, "ifName", ifName);
        return new Attachment(network, containerId, ifName);
    }

    private static void requireNonEmpty(String path, String key, String value) throws ProtocolException {
        if (value == null || value.isEmpty()) {
            throw bad(path + key + " is required");
        }
    }

    /** A request string field: absent/null gives null; checked by {@link Request#checkString}. */
    private static String requestString(Map<String, Object> m, String key, String path) throws ProtocolException {
        String s = string(m, key, path);
        try {
            Request.checkString(path.isEmpty() ? key : path + key, s);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
        return s;
    }

    /**
     * Parses one reply line.
     *
     * @throws ProtocolException BAD_REQUEST when the line is not a well-formed reply
     */
    public static Reply decodeReply(String line) throws ProtocolException {
        Map<String, Object> m = Fields.parseObject(line, "reply");
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
            status = StatusCodec.read(sm);
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
}
