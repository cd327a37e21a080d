/**
 * The plugin runtime's start-up SecureRandom provider ({@code UrandomProvider}), linked into the
 * jlink'd runtime so the JCA finds it among the boot layer's services: a provider on the class
 * path would make the JCA's ServiceLoader open and scan every plugin jar first (~4 ms interpreted).
 */
module io.vpcipam.urandom {
    // exported: the JCA instantiates the SecureRandom implementation reflectively from java.base
    exports io.vpcipam.cni.urandom;
    provides java.security.Provider with io.vpcipam.cni.urandom.UrandomProvider;
}
