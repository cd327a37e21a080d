package io.vpcipam.provider.sim;

import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.CloudProviderContract;

import java.util.Map;
import java.util.Optional;

/** The provider contract, run against the simulated cloud. */
class SimulatedCloudContractTest extends CloudProviderContract {

    private SimulatedCloud sim;

    @Override
    protected CloudProvider newProvider() {
        sim = SimulatedCloud.builder().instanceType("m5.large").build();
        return sim;
    }

    @Override
    protected Optional<String> leakInterface(Map<String, String> tags) throws Exception {
        return Optional.of(sim.leakInterface(sim.nodeSubnetId(), tags));
    }

    @Override
    protected Optional<String> attachForeignInterface(Map<String, String> tags) throws Exception {
        return Optional.of(sim.attachForeignInterface(sim.nodeSubnetId(), 0, tags, 1));
    }

    @Override
    protected String unknownInterfaceId() {
        return "eni-0sim00000000fffff";
    }
}
