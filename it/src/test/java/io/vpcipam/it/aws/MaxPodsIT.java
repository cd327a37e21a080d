package io.vpcipam.it.aws;

import io.vpcipam.it.IpamdProcess;
import io.vpcipam.provider.aws.Moto;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code java -jar ipamd.jar max-pods} as a node bootstrap script runs it: the figure on stdout, exit 0; a bad
 * instance type is one line on stderr and exit 2. Known values from AWS's eni-max-pods.txt and the EKS calculator.
 */
class MaxPodsIT {

    record Run(int exit, String out, String err) {
    }

    static Run maxPods(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(IpamdProcess.java(), "-jar", IpamdProcess.jar().toString(),
                "max-pods"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv("PATH"));
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "max-pods did not finish");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim(),
                new String(err, StandardCharsets.UTF_8).trim());
    }

    @Test
    void builtInTable_knownValues_prefixDelegation_customNetworking_andBadInput() throws Exception {
        assertEquals(new Run(0, "29", ""), maxPods(Map.of(), "--instance-type", "m5.large"));
        assertEquals(new Run(0, "110", ""), maxPods(Map.of(), "--instance-type", "m5.4xlarge"));
        assertEquals(new Run(0, "234", ""), maxPods(Map.of(), "--instance-type", "m5.4xlarge",
                "--show-max-allowed"));
        assertEquals(new Run(0, "250", ""), maxPods(Map.of(), "--instance-type", "m5.24xlarge"));
        assertEquals(new Run(0, "110", ""), maxPods(Map.of(), "--instance-type", "m5.large", "--prefix-delegation"));
        assertEquals(new Run(0, "20", ""), maxPods(Map.of(), "--instance-type", "m5.large",
                "--cni-custom-networking"));

        Run unknown = maxPods(Map.of(), "--instance-type", "x9.nonsense");
        assertEquals(2, unknown.exit(), unknown.toString());
        assertEquals("", unknown.out());
        assertTrue(unknown.err().contains("unknown instance type 'x9.nonsense'"), unknown.err());
        assertEquals(1, unknown.err().lines().count(), unknown.err());

        Run missing = maxPods(Map.of());
        assertEquals(2, missing.exit(), missing.toString());
        assertTrue(missing.err().contains("--instance-type"), missing.err());

        Run noRegion = maxPods(Map.of("AWS_EC2_ENDPOINT", "http://127.0.0.1:1"), "--instance-type", "m5.large");
        assertEquals(2, noRegion.exit(), noRegion.toString());
        assertTrue(noRegion.err().contains("AWS_REGION"), noRegion.err());
    }

    @Test
    void describeInstanceTypes_onMoto_typesTheTableLacks() throws Exception {
        Map<String, String> env = Moto.env(Moto.endpoint()); // unset: fails under CI=true, skips elsewhere
        assertEquals(new Run(0, "110", ""), maxPods(env, "--instance-type", "r5.4xlarge"));
        assertEquals(new Run(0, "234", ""), maxPods(env, "--instance-type", "r5.4xlarge", "--show-max-allowed"));
        // t2 is Xen: no prefixes, so --prefix-delegation leaves the secondary-address figure (as the calculator)
        assertEquals(new Run(0, "17", ""), maxPods(env, "--instance-type", "t2.medium", "--prefix-delegation"));
        Run unknown = maxPods(env, "--instance-type", "x9.nonsense");
        assertEquals(2, unknown.exit(), unknown.toString());
    }
}
