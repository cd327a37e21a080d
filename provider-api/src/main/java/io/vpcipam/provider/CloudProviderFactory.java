package io.vpcipam.provider;

/**
 * Found with {@link java.util.ServiceLoader}: each provider module registers one in
 * {@code META-INF/services/io.vpcipam.provider.CloudProviderFactory}; {@code ipamd run --provider NAME} picks by
 * {@link #name()}.
 */
public interface CloudProviderFactory {

    /** The name users pass to {@code --provider}. */
    String name();

    /**
     * Creates the provider. Configuration errors (a malformed endpoint, a missing region) are reported here, as an
     * {@link IllegalArgumentException} whose message names the variable and the bad value, so ipamd fails at
     * start-up and not at the first pod.
     */
    CloudProvider create(ProviderContext context) throws CloudException;
}
