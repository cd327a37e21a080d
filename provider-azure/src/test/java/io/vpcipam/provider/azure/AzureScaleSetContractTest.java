package io.vpcipam.provider.azure;

/**
 * The provider contract on an instance of a Uniform scale set (an AKS VirtualMachineScaleSets node pool's node),
 * through the real SDK and the scale-set VM APIs of the fake ARM endpoint: {@link AzureContractTest}'s set-up on
 * such an instance.
 */
class AzureScaleSetContractTest extends AzureContractTest {

    @Override
    boolean scaleSet() {
        return true;
    }

    @Override
    protected String unknownInterfaceId() {
        return node.vm.id() + "/networkInterfaces/nic-that-is-not-there";
    }
}
