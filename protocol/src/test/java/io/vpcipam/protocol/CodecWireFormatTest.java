package io.vpcipam.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The wire names are fixed by DESIGN.md: these literals must never change without a version bump. */
class CodecWireFormatTest {

    static final LeaseInfo LEASE = new LeaseInfo("10.0.1.5", 32, "eni-0abc", "0a:1b:2c:3d:4e:5f", 1, 2,
            "10.0.0.1", List.of("10.0.0.0/16"), 9001);

    @Test
    void encodeAdd_matchesDesignLiteral() {
        Request r = Request.add("aws-cni", "c0ffee", "eth0", "/var/run/netns/cni-1", "default", "web-0");
        assertEquals("{\"version\":1,\"op\":\"add\",\"network\":\"aws-cni\",\"containerId\":\"c0ffee\","
                + "\"ifName\":\"eth0\",\"netns\":\"/var/run/netns/cni-1\",\"podNamespace\":\"default\","
                + "\"podName\":\"web-0\"}", Codec.encode(r));
    }

    @Test
    void encodeDel_omitsNullFields() {
        assertEquals("{\"version\":1,\"op\":\"del\",\"network\":\"n\",\"containerId\":\"c\",\"ifName\":\"eth0\"}",
                Codec.encode(Request.del("n", "c", "eth0")));
        assertEquals("{\"version\":1,\"op\":\"check\",\"network\":\"n\",\"containerId\":\"c\",\"ifName\":\"eth0\"}",
                Codec.encode(Request.check("n", "c", "eth0")));
    }

    @Test
    void encodeGc_carriesAttachmentsEvenWhenEmpty() {
        assertEquals("{\"version\":1,\"op\":\"gc\",\"network\":\"n\",\"attachments\":["
                        + "{\"network\":\"n\",\"containerId\":\"c1\",\"ifName\":\"eth0\"}]}",
                Codec.encode(Request.gc("n", List.of(new Attachment("n", "c1", "eth0")))));
        assertEquals("{\"version\":1,\"op\":\"gc\",\"network\":\"n\",\"attachments\":[]}",
                Codec.encode(Request.gc("n", List.of())));
    }

    @Test
    void encodeStatus_isVersionAndOpOnly() {
        assertEquals("{\"version\":1,\"op\":\"status\"}", Codec.encode(Request.status()));
    }

    @Test
    void encodeOkLease_matchesDesignLiteral() {
        assertEquals("{\"ok\":true,\"lease\":{\"address\":\"10.0.1.5\",\"prefixLength\":32,"
                + "\"interfaceId\":\"eni-0abc\",\"mac\":\"0a:1b:2c:3d:4e:5f\",\"deviceIndex\":1,\"routeTable\":2,"
                + "\"gateway\":\"10.0.0.1\",\"vpcCidrs\":[\"10.0.0.0/16\"],\"mtu\":9001}}", Codec.encode(Reply.ok(LEASE)));
    }

    @Test
    void encodeError_matchesDesignLiteral() {
        assertEquals("{\"ok\":false,\"error\":{\"code\":\"NO_ADDRESS_AVAILABLE\",\"message\":\"pool empty\","
                + "\"retryable\":true}}", Codec.encode(Reply.error(ErrorCodes.NO_ADDRESS_AVAILABLE, "pool empty", true)));
    }

    @Test
    void encodeSuccessAndReleased_areMinimal() {
        assertEquals("{\"ok\":true}", Codec.encode(Reply.success()));
        assertEquals("{\"ok\":true,\"released\":3}", Codec.encode(Reply.released(3)));
    }

    @Test
    void encodeStatus_usesDocumentedFieldNames() {
        StatusInfo s = new StatusInfo("sim", "i-1", "c5.4xlarge", "us-east-1a", true,
                new StatusInfo.PoolCounts(10, 5, 3, 1, 1, 0), 234,
                List.of(new StatusInfo.InterfaceStatus("eni-1", 0, "subnet-1", "10.0.0.10",
                        List.of("10.0.0.11"), List.of("10.0.1.0/28"), 5, 3, null, "02:00:00:00:00:01", "ens5", 0)),
                List.of(new StatusInfo.LeaseStatus("n", "c1", "eth0", "default", "web-0", "10.0.0.11", "eni-1",
                        "2025-01-31T12:00:00Z")));
        assertEquals("{\"ok\":true,\"status\":{\"provider\":\"sim\",\"instanceId\":\"i-1\",\"instanceType\":\"c5.4xlarge\","
                + "\"zone\":\"us-east-1a\",\"prefixMode\":true,\"pool\":{\"total\":10,\"free\":5,\"assigned\":3,"
                + "\"cooling\":1,\"pending\":1,\"releasing\":0},\"maxAddresses\":234,\"interfaces\":[{\"id\":\"eni-1\","
                + "\"deviceIndex\":0,\"subnetId\":\"subnet-1\",\"primaryAddress\":\"10.0.0.10\",\"addresses\":[\"10.0.0.11\"],"
                + "\"prefixes\":[\"10.0.1.0/28\"],\"free\":5,\"assigned\":3,\"mac\":\"02:00:00:00:00:01\","
                + "\"linkName\":\"ens5\",\"routeTable\":0}],\"leases\":[{\"network\":\"n\","
                + "\"containerId\":\"c1\",\"ifName\":\"eth0\",\"podNamespace\":\"default\",\"podName\":\"web-0\","
                + "\"address\":\"10.0.0.11\",\"interfaceId\":\"eni-1\",\"assignedAt\":\"2025-01-31T12:00:00Z\"}]}}",
                Codec.encode(Reply.status(s)));
    }

    @Test
    void decodeRequest_acceptsDesignLiteralInAnyOrderAndIgnoresUnknownFields() throws Exception {
        Request r = Codec.decodeRequest("{\"podName\":\"web-0\",\"op\":\"add\",\"future\":{\"x\":[1,2]},"
                + "\"version\":1,\"network\":\"aws-cni\",\"containerId\":\"c0ffee\",\"ifName\":\"eth0\","
                + "\"netns\":\"/var/run/netns/cni-1\",\"podNamespace\":\"default\"}\r\n");
        assertEquals(Request.add("aws-cni", "c0ffee", "eth0", "/var/run/netns/cni-1", "default", "web-0"), r);
    }

    @Test
    void decodeRequest_treatsJsonNullAsAbsent() throws Exception {
        Request r = Codec.decodeRequest("{\"version\":1,\"op\":\"del\",\"network\":\"n\",\"containerId\":\"c\","
                + "\"ifName\":\"eth0\",\"netns\":null,\"podName\":null}");
        assertNull(r.netns());
        assertNull(r.podName());
        assertEquals(List.of(), r.attachments());
    }

    @Test
    void decodeRequest_gcWithAttachments() throws Exception {
        Request r = Codec.decodeRequest("{\"version\":1,\"op\":\"gc\",\"network\":\"n\",\"attachments\":["
                + "{\"network\":\"n\",\"containerId\":\"c1\",\"ifName\":\"eth0\",\"extra\":true},"
                + "{\"network\":\"n\",\"containerId\":\"c2\",\"ifName\":\"eth1\"}]}");
        assertEquals(Request.gc("n", List.of(new Attachment("n", "c1", "eth0"), new Attachment("n", "c2", "eth1"))), r);
    }

    @Test
    void decodeReply_designLiterals() throws Exception {
        Reply ok = Codec.decodeReply("{\"ok\":true,\"lease\":{\"address\":\"10.0.1.5\",\"prefixLength\":32,"
                + "\"interfaceId\":\"eni-0abc\",\"mac\":\"0a:1b:2c:3d:4e:5f\",\"deviceIndex\":1,\"routeTable\":2,"
                + "\"gateway\":\"10.0.0.1\",\"vpcCidrs\":[\"10.0.0.0/16\"],\"mtu\":9001,\"ipv6\":null},\"new\":1}");
        assertEquals(Reply.ok(LEASE), ok);
        Reply err = Codec.decodeReply("{\"ok\":false,\"error\":{\"code\":\"NODE_FULL\",\"message\":\"m\",\"retryable\":false}}");
        assertFalse(err.ok());
        assertEquals(new ErrorInfo(ErrorCodes.NODE_FULL, "m", false), err.error());
        assertTrue(Codec.decodeReply("{\"ok\":true}").ok());
        assertEquals(7, Codec.decodeReply("{\"ok\":true,\"released\":7}").released());
    }

    @Test
    void opWireNames_areLowerCase() {
        for (Op op : Op.values()) {
            assertEquals(op.name().toLowerCase(java.util.Locale.ROOT), op.wireName());
            assertEquals(op, Op.fromWireName(op.wireName()).orElseThrow());
        }
        assertTrue(Op.fromWireName("ADD").isEmpty());
    }

    @Test
    void errorCodes_retryableDefaults() {
        assertTrue(ErrorCodes.defaultRetryable(ErrorCodes.NO_ADDRESS_AVAILABLE));
        assertTrue(ErrorCodes.defaultRetryable(ErrorCodes.SHUTTING_DOWN));
        assertFalse(ErrorCodes.defaultRetryable(ErrorCodes.NODE_FULL));
        assertEquals(9, ErrorCodes.ALL.size());
        for (String code : ErrorCodes.ALL) {
            assertEquals(code, code.toUpperCase(java.util.Locale.ROOT));
        }
    }
}
