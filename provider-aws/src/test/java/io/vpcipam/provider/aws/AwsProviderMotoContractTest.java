package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.CloudProviderContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The provider contract against moto in server mode ({@code IPAMD_TEST_EC2_ENDPOINT}): the real SDK client, real
 * HTTP, moto's EC2 model. Each test gets a fresh instance in a shared VPC. Prefix delegation is off (moto ignores
 * Ipv4PrefixCount); limits and prefixes are covered by {@link AwsProviderFakeContractTest} and
 * {@link AwsProviderTest} through the seam.
 */
class AwsProviderMotoContractTest extends CloudProviderContract {

    private static Ec2TestBed bed;

    @TempDir
    Path stateDir;

    private String instanceId;

    @BeforeAll
    static void startBed() {
        bed = Ec2TestBed.fromEnvironment();
    }

    @AfterAll
    static void stopBed() {
        if (bed != null) {
            bed.close();
        }
    }

    @Override
    protected CloudProvider newProvider() throws Exception {
        instanceId = bed.runInstance();
        return bed.provider(instanceId, stateDir);
    }

    @Override
    protected Optional<String> leakInterface(Map<String, String> tags) {
        return Optional.of(bed.leak(tags));
    }

    @Override
    protected Optional<String> attachForeignInterface(Map<String, String> tags) {
        return Optional.of(bed.attachForeign(instanceId, tags));
    }
}
