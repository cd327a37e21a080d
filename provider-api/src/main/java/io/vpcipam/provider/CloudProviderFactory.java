package io.vpcipam.provider;

import java.util.List;
import java.util.Map;

/**
 * Found with {@link java.util.ServiceLoader}: each provider module registers one in
 * {@code META-INF/services/io.vpcipam.provider.CloudProviderFactory}; {@code ipamd run --provider NAME} picks by
 * {@link #name()}.
 */
public interface CloudProviderFactory {

    /** The name users pass to {@code --provider}. */
    String name();

    /**
     * Checks the provider's settings in {@code env} without creating anything or calling out, and returns every
     * problem, each naming the variable and its bad value (empty: all good). ipamd runs it at start-up with the rest
     * of its configuration, so an operator sees every error in one pass; {@link #create} checks them again.
     */
    default List<String> validate(Map<String, String> env) {
        return List.of();
    }

    /**
     * Creates the provider. Configuration errors (a malformed endpoint, a missing region) are reported here, as an
     * {@link IllegalArgumentException} whose message names the variable and the bad value, so ipamd fails at
     * start-up and not at the first pod.
     */
    CloudProvider create(ProviderContext context) throws CloudException;

    /**
     * What this cloud says about instance type {@code name} without a node (for sizing kubelet's --max-pods before
     * a node of that type runs); empty when the cloud does not know the type or this provider cannot say.
     * Configuration errors are IllegalArgumentExceptions naming the variable, as for {@link #create}.
     */
    default java.util.Optional<InstanceType> instanceType(String name, ProviderContext context) throws CloudException {
        return java.util.Optional.empty();
    }
}
