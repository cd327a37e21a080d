package io.vpcipam.cni;

import io.vpcipam.cni.netns.PodWiring;
import io.vpcipam.cni.netns.WireSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CNI result of ADD, shaped for the caller's cniVersion, and what DEL and CHECK read back
 * from {@code prevResult}. The result names the host veth and carries the pod address, so a DEL
 * whose ipamd is down can still tear everything down from prevResult alone (the AWS CNI hides
 * its route table in a fake interface's MAC for this; our rules are found by address and
 * priority, so the table need not be remembered).
 */
final class CniResult {

    private CniResult() {
    }

    /**
     * The ADD result: our host veth and pod interface appended to {@code prev}'s interfaces (when
     * we are not first in the chain), our address pointing at the pod interface, a default route
     * via the link-local gateway.
     */
    static Map<String, Object> add(String cniVersion, WireSpec s, Map<String, Object> prev, Map<String, Object> dns) {
        List<Object> interfaces = new ArrayList<>(listOf(prev, "interfaces"));
        List<Object> ips = new ArrayList<>(listOf(prev, "ips"));
        List<Object> routes = new ArrayList<>(listOf(prev, "routes"));

        Map<String, Object> host = new LinkedHashMap<>();
        host.put("name", s.hostVeth());
        host.put("mac", s.hostMac());
        if (s.mtu() > 0 && CniVersion.atLeast110(cniVersion)) {
            host.put("mtu", s.mtu());
        }
        interfaces.add(host);
        Map<String, Object> pod = new LinkedHashMap<>();
        pod.put("name", s.ifName());
        pod.put("mac", s.podMac());
        if (s.mtu() > 0 && CniVersion.atLeast110(cniVersion)) {
            pod.put("mtu", s.mtu());
        }
        pod.put("sandbox", s.netns());
        interfaces.add(pod);

        Map<String, Object> ip = new LinkedHashMap<>();
        if (CniVersion.legacyIps(cniVersion)) {
            ip.put("version", "4");
        }
        ip.put("interface", interfaces.size() - 1);
        ip.put("address", s.address() + "/32");
        ip.put("gateway", PodWiring.GATEWAY);
        ips.add(ip);

        Map<String, Object> route = new LinkedHashMap<>();
        route.put("dst", "0.0.0.0/0");
        route.put("gw", PodWiring.GATEWAY);
        routes.add(route);

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cniVersion", cniVersion);
        out.put("interfaces", interfaces);
        out.put("ips", ips);
        out.put("routes", routes);
        Object prevDns = prev == null ? null : prev.get("dns");
        if (prevDns instanceof Map<?, ?> m && !m.isEmpty()) {
            out.put("dns", prevDns);
        } else if (dns != null) {
            out.put("dns", dns);
        }
        return out;
    }

    /**
     * What a previous ADD of ours left in {@code prevResult}: the pod interface's MAC and MTU, the
     * host veth's MAC and the pod's IPv4 addresses. Lenient: a malformed part reads as absent.
     */
    record Prev(String podMac, Integer podMtu, String hostMac, List<String> addresses, boolean hasPodInterface) {
    }

    static Prev read(Map<String, Object> prev, String ifName, String hostVeth) {
        if (prev == null) {
            return new Prev(null, null, null, List.of(), false);
        }
        List<Object> interfaces = listOf(prev, "interfaces");
        int podIndex = -1;
        String podMac = null;
        Integer podMtu = null;
        String hostMac = null;
        for (int i = 0; i < interfaces.size(); i++) {
            if (!(interfaces.get(i) instanceof Map<?, ?> m)) {
                continue;
            }
            Object name = m.get("name");
            boolean sandboxed = m.get("sandbox") instanceof String sb && !sb.isEmpty();
            if (ifName.equals(name) && sandboxed) {
                podIndex = i;
                podMac = m.get("mac") instanceof String s ? s : null;
                podMtu = m.get("mtu") instanceof Integer n ? n : null;
            } else if (hostVeth.equals(name) && !sandboxed) {
                hostMac = m.get("mac") instanceof String s ? s : null;
            }
        }
        List<String> addresses = new ArrayList<>();
        for (Object o : listOf(prev, "ips")) {
            if (o instanceof Map<?, ?> m && m.get("address") instanceof String a
                    && m.get("interface") instanceof Integer idx && idx == podIndex && podIndex >= 0) {
                int slash = a.indexOf('/');
                String addr = slash < 0 ? a : a.substring(0, slash);
                if (Addresses.isIpv4(addr)) {
                    addresses.add(addr);
                }
            }
        }
        return new Prev(podMac, podMtu, hostMac, addresses, podIndex >= 0);
    }

    private static List<Object> listOf(Map<String, Object> m, String key) {
        if (m != null && m.get(key) instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> list = (List<Object>) l;
            return list;
        }
        return List.of();
    }
}
