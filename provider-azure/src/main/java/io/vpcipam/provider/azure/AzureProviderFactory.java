package io.vpcipam.provider.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.ChainedTokenCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.CloudProviderFactory;
import io.vpcipam.provider.ProviderContext;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code ipamd run --provider azure}. Reads the VM's identity from instance metadata, then talks to Resource
 * Manager with workload identity (when its projected token is mounted) or the VM's managed identity.
 */
public final class AzureProviderFactory implements CloudProviderFactory {

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(
            AzureProviderFactory.class.getName());

    /** Used by ServiceLoader. */
    public AzureProviderFactory() {
    }

    @Override
    public String name() {
        return "azure";
    }

    @Override
    public List<String> validate(Map<String, String> env) {
        return AzureSettings.problems(env);
    }

    @Override
    public CloudProvider create(ProviderContext context) throws CloudException {
        AzureSettings settings = AzureSettings.fromEnv(context.env());
        return create(context, settings, credential(settings));
    }

    /** With an explicit credential: tests pass a fake one. */
    static AzureProvider create(ProviderContext context, AzureSettings settings, TokenCredential credential)
            throws CloudException {
        Guard guard = new Guard(settings, context.listener());
        Imds imds = new Imds(settings.metadataEndpoint());
        Imds.Instance instance = guard.call("GetInstanceMetadata", imds::instance);
        // a Uniform scale-set instance (AKS's VirtualMachineScaleSets node pools) is read and written through the
        // scale-set VM APIs: SdkArm tells its NICs by their ids, so the provider's logic is the same for both
        LOG.info("Azure " + (instance.uniformScaleSetInstance() ? "Uniform scale-set instance " : "VM ")
                + instance.resourceId() + (instance.scaleSet().isEmpty() || instance.uniformScaleSetInstance() ? ""
                : " (in Flexible scale set " + instance.scaleSet() + ": an ordinary VM)"));
        Arm arm = new SdkArm(settings, instance.subscriptionId(), credential);
        return new AzureProvider(arm, guard, instance, context.clock(), settings.pollInterval(), Duration.ofMinutes(5));
    }

    /**
     * Workload identity first (AKS projects a token file and sets AZURE_CLIENT_ID/AZURE_TENANT_ID), then the VM's
     * managed identity (the kubelet identity; AZURE_CLIENT_ID picks a user-assigned one). Developer credentials
     * (CLI, IDE) are deliberately left out: a node daemon must not pick up whoever last logged in.
     */
    private static TokenCredential credential(AzureSettings s) {
        ChainedTokenCredentialBuilder chain = new ChainedTokenCredentialBuilder();
        if (s.tokenFile() != null && s.clientId() != null && s.tenantId() != null) {
            chain.addLast(new WorkloadIdentityCredentialBuilder().clientId(s.clientId()).tenantId(s.tenantId())
                    .tokenFilePath(s.tokenFile()).build());
        }
        ManagedIdentityCredentialBuilder mi = new ManagedIdentityCredentialBuilder();
        if (s.clientId() != null) {
            mi.clientId(s.clientId());
        }
        chain.addLast(mi.build());
        return chain.build();
    }
}
