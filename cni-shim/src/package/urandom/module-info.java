/**
 * The plugin runtime's start-up services, linked into the jlink'd runtime so the JDK finds them among
 * the boot layer's services: the SecureRandom provider ({@code UrandomProvider}) and the system
 * LoggerFinder ({@code StderrLoggerFinder}). On the class path, or absent, each would make a
 * ServiceLoader open and scan every plugin jar first (~4-7 ms each, interpreted).
 */
module io.vpcipam.urandom {
    // exported: the JCA instantiates the SecureRandom implementation reflectively from java.base
    exports io.vpcipam.cni.urandom;
    provides java.security.Provider with io.vpcipam.cni.urandom.UrandomProvider;
    provides java.lang.System.LoggerFinder with io.vpcipam.cni.urandom.StderrLoggerFinder;
}
