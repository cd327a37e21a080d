package io.vpcipam.protocol;

import static io.vpcipam.protocol.Fields.bool;
import static io.vpcipam.protocol.Fields.element;
import static io.vpcipam.protocol.Fields.intOr0;
import static io.vpcipam.protocol.Fields.list;
import static io.vpcipam.protocol.Fields.object;
import static io.vpcipam.protocol.Fields.string;
import static io.vpcipam.protocol.Fields.strings;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one mapping of {@link StatusInfo} to and from the wire (a STATUS reply's {@code status} object), both
 * directions side by side so a field added to the record is added to both. Only {@link Codec} calls it; ipamd's
 * socket server, {@code ipamd status} and its {@code --json} output all go through there.
 */
final class StatusCodec {

    private StatusCodec() {
    }

    /** Writes {@code "status":{...}} into the open reply object. */
    static void write(JsonWriter w, StatusInfo s) {
        w.object("status")
                .string("provider", s.provider())
                .string("instanceId", s.instanceId())
                .string("instanceType", s.instanceType())
                .string("zone", s.zone())
                .bool("prefixMode", s.prefixMode());
        StatusInfo.PoolCounts p = s.pool();
        w.object("pool")
                .number("total", p.total())
                .number("free", p.free())
                .number("assigned", p.assigned())
                .number("cooling", p.cooling())
                .number("pending", p.pending())
                .number("releasing", p.releasing())
                .end();
        w.number("maxAddresses", s.maxAddresses());
        w.array("interfaces");
        for (StatusInfo.InterfaceStatus i : s.interfaces()) {
            w.element()
                    .string("id", i.id())
                    .number("deviceIndex", i.deviceIndex())
                    .string("subnetId", i.subnetId())
                    .string("primaryAddress", i.primaryAddress())
                    .strings("addresses", i.addresses())
                    .strings("prefixes", i.prefixes())
                    .number("free", i.free())
                    .number("assigned", i.assigned())
                    .string("unmanaged", i.unmanaged())
                    .string("mac", i.mac())
                    .string("linkName", i.linkName())
                    .number("routeTable", i.routeTable())
                    .end();
        }
        w.endArray();
        w.array("leases");
        for (StatusInfo.LeaseStatus l : s.leases()) {
            w.element()
                    .string("network", l.network())
                    .string("containerId", l.containerId())
                    .string("ifName", l.ifName())
                    .string("podNamespace", l.podNamespace())
                    .string("podName", l.podName())
                    .string("address", l.address())
                    .string("interfaceId", l.interfaceId())
                    .string("assignedAt", l.assignedAt())
                    .end();
        }
        w.endArray();
        w.end();
    }

    /** Reads a {@code status} object; absent fields are null, zero or empty. */
    static StatusInfo read(Map<String, Object> m) throws ProtocolException {
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
                Map<String, Object> im = element(ifs, i, "status.interfaces");
                String ip = "status.interfaces[" + i + "].";
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
                Map<String, Object> lm = element(ls, i, "status.leases");
                String lp = "status.leases[" + i + "].";
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
}
