package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.CloudProviderContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The provider contract against LocalStack (whose EC2 is moto) started by Testcontainers. The image is pinned:
 * tags after 4.14.0 need an auth token. Without a Docker engine the class is skipped, saying so; the moto variant
 * runs the same suite.
 */
class AwsProviderLocalStackContractTest extends CloudProviderContract {

    static final String IMAGE = "localstack/localstack:4.14.0";

    private static LocalStackContainer localstack;
    private static Ec2TestBed bed;

    @TempDir
    Path stateDir;

    static final String NO_DOCKER = "no Docker engine here: skipping the LocalStack (" + IMAGE
            + ") variant of the EC2 contract; AwsProviderMotoContractTest runs the same suite on moto";

    @BeforeAll
    static void startLocalStack() {
        if (!docker()) {
            return; // each test then reports itself skipped, with the reason
        }
        localstack = new LocalStackContainer(DockerImageName.parse(IMAGE)).withServices(LocalStackContainer.Service.EC2);
        localstack.start();
        bed = Ec2TestBed.at(localstack.getEndpoint());
    }

    private static boolean docker() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @AfterAll
    static void stopLocalStack() {
        if (bed != null) {
            bed.close();
        }
        if (localstack != null) {
            localstack.stop();
        }
    }

    @Override
    protected CloudProvider newProvider() throws Exception {
        Assumptions.assumeTrue(bed != null, NO_DOCKER);
        return bed.provider(bed.runInstance(), stateDir);
    }

    @Override
    protected Optional<String> leakInterface(Map<String, String> tags) {
        Assumptions.assumeTrue(bed != null, NO_DOCKER);
        return Optional.of(bed.leak(tags));
    }
}
