package io.vpcipam.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vpcipam.protocol.ErrorInfo;
import io.vpcipam.protocol.Json;
import io.vpcipam.protocol.Op;
import io.vpcipam.protocol.Reply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of malformed configs and environments (seeded, so a failure reproduces): whatever
 * comes in, stdout holds either a success (empty, or one JSON result) with exit 0, or exactly one
 * spec-shaped error JSON with a code from {@link CniError} and exit 1; and a failed ADD never
 * leaves anything wired.
 */
class FuzzTest {

    private static final Set<Integer> CODES = EnumSet.allOf(CniError.class).stream().map(CniError::code)
            .collect(Collectors.toSet());
    private static final String[] COMMANDS = {"ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION", "", "add", "DELETE",
            "ADD\n", "\u0000"};
    private static final String[] VERSIONS = {"0.4.0", "1.0.0", "1.1.0", "0.3.1", "0.1.0", "2.0.0", "", "1.1", "v1.0.0"};
    private static final Object[] ODD_VALUES = {null, 0, -1, 1 << 30, 3.5, true, "", " ", "\u0000", "../x", "/",
            List.of(), List.of(1, "a"), Map.of(), Map.of("k", List.of()), "x".repeat(5000), Long.MAX_VALUE};
    private static final String[] KEYS = {"cniVersion", "name", "type", "ipamdSocket", "stateDir", "vethPrefix",
            "mtu", "logFile", "ipamdTimeoutSeconds", "dns", "prevResult", "cni.dev/valid-attachments", "runtimeConfig"};

    @TempDir
    Path tmp;

    ScriptedIpamd ipamd;

    @BeforeEach
    void setUp() throws IOException {
        ipamd = Fakes.ipamd(tmp.resolve("ipamd"));
    }

    @AfterEach
    void tearDown() throws IOException {
        ipamd.close();
    }

    @Test
    void malformedInput_alwaysYieldsSpecShapedOutput() throws IOException {
        Random rnd = new Random(20260102L);
        String netns = Files.writeString(tmp.resolve("netns"), "").toString();
        int errors = 0;
        for (int i = 0; i < 6000; i++) {
            Map<String, String> env = env(rnd, netns);
            byte[] stdin = stdin(rnd, netns);
            // a fresh ipamd for each case: no leases, no scripted answer
            ipamd.leased().clear();
            ipamd.answer(null, Op.values());
            if (rnd.nextInt(4) == 0) {
                // Never down, garbling or retryable here: those spool a DEL into the config's stateDir,
                // and a mutated config may name the real one.
                ipamd.answer(Reply.error(new ErrorInfo(rnd.nextBoolean() ? "NODE_FULL" : "BAD_REQUEST", "no", false)),
                        Op.values());
            }
            ipamd.leaseWith(Fakes.leases(rnd.nextInt(3) == 0 ? rnd.nextInt(5) : 0, List.of("10.0.0.0/16")));
            Fakes.Wiring wiring = new Fakes.Wiring();
            if (rnd.nextInt(5) == 0) {
                wiring.failAdd = "boom";
            }
            if (rnd.nextInt(7) == 0) {
                wiring.failDel = "boom";
            }
            Fakes.Call c = Fakes.run(env, stdin, ipamd, wiring);
            String where = "case " + i + ": env=" + env + " stdin=" + abbreviate(new String(stdin, StandardCharsets.UTF_8))
                    + "\nstdout=" + c.stdout();
            if (c.exit() == 0) {
                if (!c.stdout().isEmpty()) {
                    Object out = Json.parse(c.stdout());
                    assertTrue(out instanceof Map<?, ?> m && m.get("cniVersion") instanceof String, where);
                }
            } else {
                errors++;
                assertEquals(1, c.exit(), where);
                assertTrue(c.stdout().endsWith("\n") && c.stdout().indexOf('\n') == c.stdout().length() - 1, where);
                Object out;
                try {
                    out = Json.parse(c.stdout());
                } catch (IOException e) {
                    fail("not JSON: " + where);
                    return;
                }
                if (!(out instanceof Map<?, ?> m)) {
                    fail("not an object: " + where);
                    return;
                }
                assertTrue(Set.of("cniVersion", "code", "msg", "details").containsAll(m.keySet()), where);
                assertTrue(m.get("cniVersion") instanceof String v && CniVersion.supported(v), where);
                assertTrue(m.get("code") instanceof Integer code && CODES.contains(code), where);
                assertTrue(m.get("msg") instanceof String msg && !msg.isEmpty(), where);
                assertTrue(m.get("details") == null || m.get("details") instanceof String, where);
                if ("ADD".equals(env.get("CNI_COMMAND"))) {
                    assertTrue(wiring.wired.isEmpty(), "a failed ADD left wiring behind: " + where);
                }
            }
        }
        // The generator must mostly produce broken input, or this test proves little.
        assertTrue(errors > 3000, "only " + errors + " errors");
    }

    private static Map<String, String> env(Random rnd, String netns) {
        Map<String, String> env = Fakes.env(COMMANDS[rnd.nextInt(COMMANDS.length)], netns);
        if (rnd.nextInt(3) == 0) {
            env.put("CNI_COMMAND", COMMANDS[rnd.nextInt(6)]);
        }
        String[] vars = {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH", "CNI_ARGS"};
        String[] odd = {"", " ", "eth0/1", "x".repeat(2000), "/nonexistent/netns", "K8S_POD_NAME", "a=b;c",
                "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p", "..", "-lead", "é", "ab\ncd", "relative"};
        for (String v : vars) {
            int r = rnd.nextInt(10);
            if (r == 0) {
                env.remove(v);
            } else if (r == 1) {
                env.put(v, odd[rnd.nextInt(odd.length)]);
            }
        }
        return env;
    }

    private byte[] stdin(Random rnd, String netns) {
        Map<String, Object> conf = new LinkedHashMap<>();
        conf.put("cniVersion", VERSIONS[rnd.nextInt(3)]);
        conf.put("name", "vpcnet");
        conf.put("type", "vpc-ipam");
        conf.put("stateDir", tmp.toString());
        conf.put("logFile", "");
        if (rnd.nextBoolean()) {
            conf.put("prevResult", Map.of("cniVersion", "1.0.0",
                    "interfaces", List.of(Map.of("name", "vpcx"), Map.of("name", "eth0", "sandbox", netns)),
                    "ips", List.of(Map.of("address", "10.0.0.5/32", "interface", rnd.nextInt(3)))));
        }
        if (rnd.nextBoolean()) {
            conf.put("cni.dev/valid-attachments", List.of(Map.of("containerID", "c1", "ifname", "eth0")));
        }
        int mutations = rnd.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            String key = KEYS[rnd.nextInt(KEYS.length)];
            switch (rnd.nextInt(4)) {
                case 0 -> conf.remove(key);
                case 1 -> conf.put(key, ODD_VALUES[rnd.nextInt(ODD_VALUES.length)]);
                case 2 -> conf.put("cniVersion", VERSIONS[rnd.nextInt(VERSIONS.length)]);
                default -> conf.put(key, Map.of("interfaces", List.of("x"), "ips", List.of(Map.of("address", 5))));
            }
        }
        if (conf.get("stateDir") == null || !tmp.toString().equals(conf.get("stateDir"))) {
            conf.put("stateDir", tmp.toString());
        }
        byte[] json = Json.write(conf).getBytes(StandardCharsets.UTF_8);
        return switch (rnd.nextInt(8)) {
            case 0 -> Arrays.copyOf(json, rnd.nextInt(json.length + 1));
            case 1 -> {
                byte[] b = json.clone();
                for (int k = 0; k < 3; k++) {
                    b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                }
                yield b;
            }
            case 2 -> {
                byte[] b = new byte[rnd.nextInt(64)];
                rnd.nextBytes(b);
                yield b;
            }
            case 3 -> (new String(json, StandardCharsets.UTF_8) + "{}").getBytes(StandardCharsets.UTF_8);
            case 4 -> ("{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"name\":\"b\"}").getBytes(StandardCharsets.UTF_8);
            case 5 -> "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".repeat(rnd.nextInt(200)).getBytes(StandardCharsets.UTF_8);
            default -> json;
        };
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
