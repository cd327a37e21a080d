package io.vpcipam.provider.azure;

import io.vpcipam.provider.CloudCallListener;
import org.junit.jupiter.api.AfterEach;

import java.util.Map;

/**
 * A test on one fake Azure node (a VM, or instance 3 of a Uniform scale set) with a provider on it: the set-up
 * AzureProviderTest and AzureScaleSetTest share, and the close after each test.
 */
abstract class OnTestNode {

    /** The node of the running test (null until it starts one). */
    TestNode node;
    /** The provider on it (null until started). */
    AzureProvider provider;

    /** Starts a node with {@code nics} NICs in {@code subnet} and a provider on it, {@code env} over the defaults. */
    AzureProvider start(String subnet, int nics, boolean scaleSet, Map<String, String> env,
                        CloudCallListener listener) throws Exception {
        node = new TestNode(subnet, nics, scaleSet);
        provider = node.provider(env, listener);
        return provider;
    }

    @AfterEach
    void stop() {
        if (provider != null) {
            provider.close();
        }
        if (node != null) {
            node.close();
        }
    }
}
