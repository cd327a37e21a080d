package io.vpcipam.provider.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import io.vpcipam.provider.CloudCallListener;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.ProviderContext;
import io.vpcipam.provider.azure.fake.FakeArm;
import io.vpcipam.provider.azure.fake.FakeImds;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;

/** One VM on the fake ARM and IMDS, and providers pointed at them with a fake token. */
final class TestNode implements AutoCloseable {

    /** A token credential that never talks to Entra ID. */
    static final String FAKE_TOKEN_VALUE = "fake-token";
    static final TokenCredential FAKE_TOKEN = ctx -> Mono.just(new AccessToken(FAKE_TOKEN_VALUE, OffsetDateTime.now().plusHours(1)));

    final FakeArm arm;
    final FakeArm.Vm vm;
    final FakeImds imds;

    TestNode(String subnet, int nics) throws IOException {
        this(subnet, nics, false);
    }

    /** With {@code scaleSet}, the node is instance 3 of a Uniform scale set, as in an AKS VirtualMachineScaleSets pool. */
    TestNode(String subnet, int nics, boolean scaleSet) throws IOException {
        arm = FakeArm.start(subnet);
        arm.acceptToken(FAKE_TOKEN_VALUE);
        // Retry-After stays Azure's 10 s; only the server-side run of each operation is short, to keep tests fast
        arm.operationDuration(java.time.Duration.ofMillis(100));
        vm = scaleSet ? arm.addScaleSetInstance("aks-nodepool1-12345678-vmss", 3, "Standard_D4s_v5", nics)
                : arm.addVm("aks-nodepool1-12345678-vm000000", "Standard_D4s_v5", nics);
        imds = FakeImds.start(arm, vm);
    }

    /** The environment that points the provider at the fakes, with fast retries and NIC reads. */
    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("AZURE_RESOURCE_MANAGER_ENDPOINT", arm.endpoint().toString());
        env.put("AZURE_METADATA_ENDPOINT", imds.endpoint().toString());
        env.put("AZURE_API_BACKOFF", "10ms");
        env.put("AZURE_LRO_POLL_INTERVAL", "10ms");
        env.put("AZURE_API_QPS", "1000");
        env.put("AZURE_API_BURST", "1000");
        return env;
    }

    AzureProvider provider() throws CloudException {
        return provider(Map.of(), CloudCallListener.NOOP);
    }

    AzureProvider provider(Map<String, String> overrides, CloudCallListener listener) throws CloudException {
        Map<String, String> env = env();
        env.putAll(overrides);
        ProviderContext ctx = new ProviderContext(env, Path.of("target"), InstantSource.system(), listener);
        return AzureProviderFactory.create(ctx, AzureSettings.fromEnv(env), FAKE_TOKEN);
    }

    String primaryNic() {
        return vm.nicIds().getFirst();
    }

    @Override
    public void close() {
        imds.close();
        arm.close();
    }
}
