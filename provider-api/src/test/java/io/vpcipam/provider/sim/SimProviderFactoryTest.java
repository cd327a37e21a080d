package io.vpcipam.provider.sim;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.CloudProviderFactory;
import io.vpcipam.provider.ProviderContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimProviderFactoryTest {

    @TempDir
    Path dir;

    private ProviderContext context(Map<String, String> env) {
        return new ProviderContext(env, dir, InstantSource.fixed(Instant.parse("2026-01-01T00:00:00Z")), null);
    }

    @Test
    void serviceLoader_findsSimByName() {
        assertTrue(ServiceLoader.load(CloudProviderFactory.class).stream()
                .anyMatch(p -> p.get().name().equals("sim") && p.type() == SimProviderFactory.class));
    }

    @Test
    void create_defaults_isC54xlargeKeptInTheStateDir() throws Exception {
        CloudProvider provider = new SimProviderFactory().create(context(Map.of()));

        var node = provider.describeNode();
        assertEquals("c5.4xlarge", node.instanceType());
        assertEquals(8, node.limits().maxInterfaces());
        assertEquals("10.0.0.0/20", node.subnets().getFirst().cidr().toString());
        assertTrue(Files.exists(dir.resolve(SimulatedCloud.STATE_FILE_NAME)));
    }

    @Test
    void create_env_setsTypeSubnetAndRate() throws Exception {
        CloudProvider provider = new SimProviderFactory().create(context(Map.of(
                SimProviderFactory.INSTANCE_TYPE, "t3.medium", SimProviderFactory.SUBNET, "10.0.16.0/24",
                SimProviderFactory.API_RATE, "1", SimProviderFactory.LATENCY_MS, "0")));

        var node = provider.describeNode();
        assertEquals("t3.medium", node.instanceType());
        assertEquals("10.0.16.0/24", node.subnets().getFirst().cidr().toString());
        assertInstanceOf(CloudException.Throttled.class,
                assertThrows(CloudException.class, provider::describeNode), "1 call/s on a fixed clock");
    }

    @ParameterizedTest
    @CsvSource({
            "IPAMD_SIM_INSTANCE_TYPE, x1.nano",
            "IPAMD_SIM_LATENCY_MS, fast",
            "IPAMD_SIM_LATENCY_MS, -5",
            "IPAMD_SIM_API_RATE, 0",
            "IPAMD_SIM_API_RATE, lots",
            "IPAMD_SIM_SUBNET, 10.9.0.0/20",
            "IPAMD_SIM_SUBNET, 10.0.0.0/30",
            "IPAMD_SIM_SUBNET, banana",
    })
    void create_badValue_namesTheVariableAndTheValue(String variable, String value) {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new SimProviderFactory().create(context(Map.of(variable, value))));
        assertTrue(e.getMessage().contains(variable) && e.getMessage().contains(value), e.getMessage());
    }

    @Test
    void validate_badSetting_isReportedWithoutBuildingACloud() {
        var problems = new SimProviderFactory().validate(Map.of(SimProviderFactory.LATENCY_MS, "slow"));

        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().startsWith("IPAMD_SIM_LATENCY_MS='slow'"), problems.toString());
        assertTrue(new SimProviderFactory().validate(Map.of()).isEmpty());
    }
}
