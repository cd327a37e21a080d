package io.vpcipam.provider.azure;

import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.CloudProviderContract;
import org.junit.jupiter.api.AfterEach;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The provider contract on an instance of a Uniform scale set (an AKS VirtualMachineScaleSets node pool's node),
 * through the real SDK and the scale-set VM APIs of the fake ARM endpoint.
 */
class AzureScaleSetContractTest extends CloudProviderContract {

    private TestNode node;

    @Override
    protected CloudProvider newProvider() throws Exception {
        node = new TestNode("10.240.0.0/22", 1, true);
        return node.provider();
    }

    @Override
    protected Optional<String> leakInterface(Map<String, String> tags) {
        return Optional.of(node.arm.addDetachedNic("leaked-" + UUID.randomUUID(), tags));
    }

    @Override
    protected String unknownInterfaceId() {
        return node.vm.id() + "/networkInterfaces/nic-that-is-not-there";
    }

    @AfterEach
    void stopFakes() {
        node.close();
    }
}
