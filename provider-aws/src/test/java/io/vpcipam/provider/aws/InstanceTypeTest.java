package io.vpcipam.provider.aws;

import io.vpcipam.provider.InstanceType;
import io.vpcipam.provider.ProviderContext;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ipamd max-pods}' view of an instance type: the built-in table, or DescribeInstanceTypes (on moto). */
class InstanceTypeTest {

    static ProviderContext context(Map<String, String> env) {
        return new ProviderContext(env, Path.of(System.getProperty("java.io.tmpdir")), InstantSource.system(), null);
    }

    @Test
    void noEndpointNorCredentials_theBuiltInTable() throws Exception {
        InstanceType m5 = new AwsProviderFactory().instanceType("m5.large", context(Map.of())).orElseThrow();
        assertEquals(new InstanceType("m5.large", 2, 3, 10, true), m5);
        assertEquals(96, new AwsProviderFactory().instanceType("m5.24xlarge", context(Map.of())).orElseThrow().vcpus());
        assertEquals(Optional.empty(), new AwsProviderFactory().instanceType("x9.nonsense", context(Map.of())));
    }

    @Test
    void endpointWithoutRegion_isAConfigurationErrorNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AwsProviderFactory()
                .instanceType("m5.large", context(Map.of("AWS_EC2_ENDPOINT", "http://127.0.0.1:1"))));
        assertTrue(e.getMessage().contains("AWS_REGION"), e.getMessage());
    }

    @Test
    void endpointGiven_describeInstanceTypes_knowsTypesTheTableDoesNot_andXenTypesHaveNoPrefixes() throws Exception {
        Map<String, String> env = Moto.env(Moto.endpoint()); // skips (or fails in CI) without moto
        assertTrue(InstanceLimits.builtInType("r5.4xlarge").isEmpty(), "a type only EC2 knows");
        InstanceType r5 = new AwsProviderFactory().instanceType("r5.4xlarge", context(env)).orElseThrow();
        assertEquals(new InstanceType("r5.4xlarge", 16, 8, 30, true), r5);
        InstanceType t2 = new AwsProviderFactory().instanceType("t2.medium", context(env)).orElseThrow();
        assertEquals(3, t2.maxInterfaces());
        assertEquals(6, t2.addressesPerInterface());
        assertFalse(t2.prefixDelegation(), "a Xen type holds no prefixes");
        assertEquals(Optional.empty(), new AwsProviderFactory().instanceType("x9.nonsense", context(env)));
    }
}
