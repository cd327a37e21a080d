package io.vpcipam.cni;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The CNI_* environment of one call, validated as libcni's skel does: the variables a command
 * needs must be present (INVALID_ENVIRONMENT_VARIABLES lists the missing ones), the container id
 * and interface name must be well-formed, CNI_ARGS must be {@code K=V;K=V}.
 *
 * @param command      ADD, DEL, CHECK, GC or STATUS
 * @param containerId  CNI_CONTAINERID (null for GC and STATUS)
 * @param netns        CNI_NETNS, "" when a DEL has none
 * @param ifName       CNI_IFNAME (null for GC and STATUS)
 * @param podNamespace K8S_POD_NAMESPACE from CNI_ARGS, or null
 * @param podName      K8S_POD_NAME from CNI_ARGS, or null
 */
record Invocation(String command, String containerId, String netns, String ifName, String podNamespace,
                  String podName) {

    static Invocation parse(String command, Map<String, String> env) throws CniException {
        boolean attach = command.equals("ADD") || command.equals("DEL") || command.equals("CHECK");
        List<String> missing = new ArrayList<>();
        if (attach) {
            need(env, "CNI_CONTAINERID", missing);
            if (!command.equals("DEL")) {
                need(env, "CNI_NETNS", missing);
            }
            need(env, "CNI_IFNAME", missing);
        }
        need(env, "CNI_PATH", missing);
        if (!missing.isEmpty()) {
            throw CniError.INVALID_ENVIRONMENT_VARIABLES.error("required env variables " + missing + " missing");
        }
        if (!attach) {
            return new Invocation(command, null, "", null, null, null);
        }
        String id = env.get("CNI_CONTAINERID");
        if (!Names.validContainerId(id)) {
            throw CniError.INVALID_ENVIRONMENT_VARIABLES.error("invalid characters in CNI_CONTAINERID",
                    "\"" + NetConf.abbreviate(id) + "\" must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$ (at most "
                            + Names.MAX_KEY_CHARS + " characters)");
        }
        String ifName = env.get("CNI_IFNAME");
        if (!Names.validIfName(ifName)) {
            throw CniError.INVALID_ENVIRONMENT_VARIABLES.error("invalid CNI_IFNAME \"" + NetConf.abbreviate(ifName) + "\"",
                    "an interface name has 1 to 15 characters and no '/', ':' or whitespace");
        }
        String netns = env.getOrDefault("CNI_NETNS", "");
        if (!netns.isEmpty() && (!netns.startsWith("/") || netns.length() > Names.MAX_KEY_CHARS
                || netns.indexOf('\0') >= 0 || netns.indexOf('\n') >= 0 || netns.indexOf('"') >= 0
                || netns.indexOf('\\') >= 0)) {
            throw CniError.INVALID_ENVIRONMENT_VARIABLES.error("CNI_NETNS must be an absolute path without quotes or"
                    + " backslashes, was \""
                    + NetConf.abbreviate(netns) + "\"");
        }
        if (!netns.isEmpty()) {
            try {
                Path.of(netns);
            } catch (InvalidPathException e) {
                throw CniError.INVALID_ENVIRONMENT_VARIABLES.error("CNI_NETNS is not a path this system can encode: \""
                        + NetConf.abbreviate(netns) + "\"", "characters outside the file-name encoding "
                        + System.getProperty("sun.jnu.encoding"));
            }
        }
        String podNamespace = null;
        String podName = null;
        String args = env.getOrDefault("CNI_ARGS", "");
        if (!args.isEmpty()) {
            for (String pair : args.split(";", -1)) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw CniError.INVALID_ENVIRONMENT_VARIABLES.error("CNI_ARGS: invalid pair \""
                            + NetConf.abbreviate(pair) + "\"", "CNI_ARGS is K=V pairs separated by ';'");
                }
                String k = pair.substring(0, eq);
                String v = pair.substring(eq + 1);
                // Unknown keys are ignored, as kubelet's IgnoreUnknown=1 asks of every plugin.
                if (k.equals("K8S_POD_NAMESPACE") && !v.isEmpty()) {
                    podNamespace = bounded(k, v);
                } else if (k.equals("K8S_POD_NAME") && !v.isEmpty()) {
                    podName = bounded(k, v);
                }
            }
        }
        return new Invocation(command, id, netns, ifName, podNamespace, podName);
    }

    private static String bounded(String key, String v) throws CniException {
        if (v.length() > Names.MAX_KEY_CHARS) {
            throw CniError.INVALID_ENVIRONMENT_VARIABLES.error("CNI_ARGS: " + key + " is longer than "
                    + Names.MAX_KEY_CHARS + " characters");
        }
        return v;
    }

    private static void need(Map<String, String> env, String key, List<String> missing) {
        String v = env.get(key);
        if (v == null || v.isEmpty()) {
            missing.add(key);
        }
    }
}
