package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.CloudProviderContract;

import java.util.Map;
import java.util.Optional;

/**
 * The provider contract through the seam over the limit- and prefix-enforcing {@link FakeEc2}: the same logic as on
 * moto, plus what moto cannot show (prefix delegation on, limits enforced, a detach that takes a few reads).
 */
class AwsProviderFakeContractTest extends CloudProviderContract {

    private FakeEc2 fake;

    @Override
    protected CloudProvider newProvider() {
        fake = new FakeEc2().detachTakes(2);
        return Fixtures.provider(fake, Map.of(), null);
    }

    @Override
    protected Optional<String> leakInterface(Map<String, String> tags) {
        return Optional.of(fake.leak(tags));
    }

    @Override
    protected Optional<String> attachForeignInterface(Map<String, String> tags) {
        return Optional.of(fake.attachForeign(tags, 0, 1));
    }
}
