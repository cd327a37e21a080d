package io.vpcipam.cni;

import java.nio.charset.StandardCharsets;

/**
 * Validation of CNI identifiers and the names we derive from a lease key.
 *
 * <p>The host veth is named {@code vethPrefix + hex(hash(network, containerId, ifName))}, 15
 * characters (IFNAMSIZ - 1). We hash the lease key, not the pod name the AWS CNI uses: ctr and
 * other runtimes pass no K8S_POD_* at all, the key is what every DEL carries, and a pod's
 * re-created sandbox (same name, new container id) then never collides with the old one's veth.
 * The hash is FNV-1a (two 64-bit lanes): names need spread, not secrecy, and MessageDigest
 * would load the security providers on every pod start.
 */
final class Names {

    /** Longest key string the protocol accepts (Request.MAX_STRING_CHARS). */
    static final int MAX_KEY_CHARS = 1024;
    /** Linux IFNAMSIZ is 16 including the NUL. */
    static final int MAX_IFNAME = 15;

    private Names() {
    }

    /** The spec's network name rule: {@code ^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$}. */
    static boolean validNetworkName(String s) {
        return validId(s);
    }

    /** libcni's container id rule, the same as the network name rule. */
    static boolean validContainerId(String s) {
        return validId(s);
    }

    private static boolean validId(String s) {
        if (s == null || s.isEmpty() || s.length() > MAX_KEY_CHARS || !alnum(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!alnum(c) && c != '_' && c != '.' && c != '-') {
                return false;
            }
        }
        return true;
    }

    /** The kernel's rule for interface names (dev_valid_name), as libcni checks CNI_IFNAME. */
    static boolean validIfName(String s) {
        if (s == null || s.isEmpty() || s.length() > MAX_IFNAME || s.equals(".") || s.equals("..")) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '/' || c == ':' || c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    static boolean validVethPrefix(String s) {
        if (s == null || s.isEmpty() || s.length() > 4) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** The host-side veth name for a lease key. */
    static String hostVeth(String prefix, String network, String containerId, String ifName) {
        long[] h = hash(network, containerId, ifName);
        String hex = hex16(h[0]) + hex16(h[1]);
        return prefix + hex.substring(0, MAX_IFNAME - prefix.length());
    }

    /** A locally administered unicast MAC for the host veth, from the key (stable across retries). */
    static String hostMac(String network, String containerId, String ifName) {
        return mac(hash(network, containerId, ifName)[1]);
    }

    /** A locally administered unicast MAC for the pod's interface. */
    static String podMac(String network, String containerId, String ifName) {
        return mac(hash(network, containerId, ifName)[0] ^ 0x5a5a5a5a5a5aL);
    }

    private static String mac(long bits) {
        StringBuilder sb = new StringBuilder(17);
        for (int i = 0; i < 6; i++) {
            int b = (int) (bits >>> (8 * i)) & 0xff;
            if (i == 0) {
                b = (b & 0xfc) | 0x02; // unicast, locally administered
            }
            if (i > 0) {
                sb.append(':');
            }
            sb.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xf, 16));
        }
        return sb.toString();
    }

    private static long[] hash(String network, String containerId, String ifName) {
        byte[] key = (network + '\0' + containerId + '\0' + ifName).getBytes(StandardCharsets.UTF_8);
        long a = 0xcbf29ce484222325L;
        long b = 0x84222325cbf29ce4L;
        for (byte x : key) {
            a = (a ^ (x & 0xff)) * 0x100000001b3L;
            b = (b ^ (x & 0xff)) * 0x100000001b3L;
            b = Long.rotateLeft(b, 13);
        }
        // A final avalanche so keys that differ only at the end still differ in the leading hex digits.
        return new long[] {mix(a), mix(b ^ a)};
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    private static String hex16(long v) {
        String s = Long.toHexString(v);
        return "0".repeat(16 - s.length()) + s;
    }
}
