package io.vpcipam.provider.azure;

import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.CloudProviderContract;
import org.junit.jupiter.api.AfterEach;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** The provider contract, run against the Azure provider on the fake ARM endpoint through the real SDK. */
class AzureContractTest extends CloudProviderContract {

    /** The node of the running test. */
    TestNode node;

    /** Whether the node is an instance of a Uniform scale set rather than a VM. */
    boolean scaleSet() {
        return false;
    }

    @Override
    protected CloudProvider newProvider() throws Exception {
        node = new TestNode("10.240.0.0/22", 1, scaleSet());
        return node.provider();
    }

    @Override
    protected Optional<String> leakInterface(Map<String, String> tags) {
        return Optional.of(node.arm.addDetachedNic("leaked-" + UUID.randomUUID(), tags));
    }

    @Override
    protected String unknownInterfaceId() {
        return "/subscriptions/" + node.arm.subscription() + "/resourceGroups/" + node.arm.resourceGroup()
                + "/providers/Microsoft.Network/networkInterfaces/nic-that-is-not-there";
    }

    @AfterEach
    void stopFakes() {
        node.close();
    }
}
