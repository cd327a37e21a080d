package io.vpcipam.cni.urandom;

import java.io.EOFException;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.Serial;
import java.security.Provider;
import java.security.ProviderException;
import java.security.SecureRandomSpi;

/**
 * The first security provider of the plugin's own runtime (its {@code java.security} lists it before
 * SUN; see {@code io.vpcipam.cni.RuntimeSecurity}), linked into that runtime as the module
 * {@code io.vpcipam.urandom} (build-dist.sh): one service, {@code SecureRandom.NativePRNGNonBlocking}, which
 * reads {@code /dev/urandom} as the JDK's does.
 *
 * <p>Why: the JDK's Unix-domain socket support seeds a SecureRandom ("NativePRNGNonBlocking") at class
 * init, for temp socket names the plugin never uses. Finding it constructs the SUN provider, which
 * registers ~200 services: 13-16 ms of interpreted start-up in every plugin process (of ~28 ms for
 * the first Unix socket, measured in a fresh JVM with the launcher's flags and an AOT cache). This
 * provider is found first; every other algorithm is still SUN's
 * and the other JDK providers', in their order.
 */
public final class UrandomProvider extends Provider {

    @Serial
    private static final long serialVersionUID = 1L;

    /** The provider's name, as {@code Security.getProvider} knows it. */
    public static final String NAME = "VpcIpamUrandom";

    /** Registers the one service; the JCA instantiates it by class name. */
    public UrandomProvider() {
        super(NAME, "1", "SecureRandom NativePRNGNonBlocking from /dev/urandom (vpc-ipam plugin start-up)");
        putService(new Service(this, "SecureRandom", "NativePRNGNonBlocking", Urandom.class.getName(), null, null));
    }

    /** Bytes straight from the kernel's non-blocking CSPRNG; a seed given to it is ignored, as urandom needs none. */
    public static final class Urandom extends SecureRandomSpi {

        @Serial
        private static final long serialVersionUID = 1L;

        /** Public no-argument constructor: the JCA creates it reflectively. */
        public Urandom() {
        }

        @Override
        protected void engineSetSeed(byte[] seed) {
            // the kernel pool needs no caller seed (NativePRNG mixes it in; urandom is already a CSPRNG)
        }

        @Override
        protected void engineNextBytes(byte[] bytes) {
            try (FileInputStream in = new FileInputStream("/dev/urandom")) {
                int n = 0;
                while (n < bytes.length) {
                    int r = in.read(bytes, n, bytes.length - n);
                    if (r < 0) {
                        throw new EOFException("/dev/urandom ended");
                    }
                    n += r;
                }
            } catch (IOException e) {
                throw new ProviderException("cannot read /dev/urandom: " + e.getMessage(), e);
            }
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            byte[] b = new byte[numBytes];
            engineNextBytes(b);
            return b;
        }
    }
}
