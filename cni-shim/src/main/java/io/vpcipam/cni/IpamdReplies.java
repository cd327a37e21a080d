package io.vpcipam.cni;

import io.vpcipam.protocol.ErrorInfo;
import io.vpcipam.protocol.LeaseInfo;
import io.vpcipam.protocol.ProtocolException;
import io.vpcipam.protocol.Reply;
import io.vpcipam.protocol.Request;

/**
 * How ipamd's answers, and its silence, become the plugin's CNI errors: one mapping for every
 * command, so ADD, CHECK, GC and STATUS cannot drift apart on what "unreachable", "timed out",
 * "retryable" or a malformed lease means to the runtime.
 */
final class IpamdReplies {

    private IpamdReplies() {
    }

    /** Why this lease cannot be wired as sent (an address, table, MTU or VPC block out of range), or null. */
    static String leaseProblem(LeaseInfo lease) {
        if (!Addresses.isIpv4(lease.address())) {
            return "a lease address that is not IPv4: \"" + NetConf.abbreviate(lease.address()) + "\"";
        }
        if (lease.routeTable() > 0x7fffffff - 1 || lease.routeTable() == 253 || lease.routeTable() == 255) {
            return "a lease route table the host reserves: " + lease.routeTable();
        }
        if (lease.mtu() != 0 && (lease.mtu() < 576 || lease.mtu() > 65535)) {
            return "a lease MTU out of range: " + lease.mtu();
        }
        for (String cidr : lease.vpcCidrs()) {
            int slash = cidr.indexOf('/');
            String len = slash < 0 ? "" : cidr.substring(slash + 1);
            if (slash < 0 || !Addresses.isIpv4(cidr.substring(0, slash)) || !prefixLength(len)) {
                return "a lease VPC block that is not an IPv4 CIDR: \"" + NetConf.abbreviate(cidr) + "\"";
            }
        }
        return null;
    }

    /** 0 to 32 in one or two digits; by hand, as a regex here is compiled and run interpreted on every ADD. */
    private static boolean prefixLength(String len) {
        if (len.isEmpty() || len.length() > 2) {
            return false;
        }
        for (int i = 0; i < len.length(); i++) {
            if (len.charAt(i) < '0' || len.charAt(i) > '9') {
                return false;
            }
        }
        return Integer.parseInt(len) <= 32;
    }

    /** A call whose failure fails the command: unreachable, timed out and retryable are 11, the rest say what ipamd said. */
    static Reply ask(IpamdClient ipamd, Request request) throws CniException {
        Reply r;
        try {
            r = ipamd.call(request);
        } catch (IpamdClient.Unavailable | ProtocolException e) {
            throw unanswered(e);
        }
        if (!r.ok()) {
            throw fromIpamd(r.error());
        }
        return r;
    }

    /** No usable answer: timed out (ipamd is slow, not gone) and unreachable are 11, garbage is 101. */
    static CniException unanswered(Exception e) {
        if (e instanceof IpamdClient.TimedOut t) {
            return timedOut(t);
        }
        if (e instanceof IpamdClient.Unavailable) {
            return CniError.TRY_AGAIN_LATER.error("ipamd is unreachable", e.getMessage());
        }
        return CniError.IPAMD_BAD_REPLY.error("ipamd's reply is not protocol v1", e.getMessage());
    }

    static CniException timedOut(IpamdClient.TimedOut e) {
        return CniError.TRY_AGAIN_LATER.error("ipamd timed out: no answer within " + e.timeoutMs() / 1000.0
                + " s (ipamdTimeoutSeconds): it took the call but is slow", e.getMessage());
    }

    static CniException fromIpamd(ErrorInfo e) {
        if (e.retryable()) {
            return CniError.TRY_AGAIN_LATER.error("ipamd: " + e.code(), e.message());
        }
        return CniError.IPAMD_REJECTED.error("ipamd: " + e.code(), e.message());
    }
}
