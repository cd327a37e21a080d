package io.vpcipam.cni;

import io.vpcipam.cni.netns.HostLock;
import io.vpcipam.cni.netns.IpRunner;
import io.vpcipam.cni.netns.IpWiring;
import io.vpcipam.cni.netns.PodWiring;
import java.nio.file.Path;

/**
 * The real services of a plugin process: ipamd over its Unix socket and the netns wiring over
 * {@code ip}. A named class (not an anonymous one in {@link Main}) so the AOT training, which runs
 * it with a read-only {@code ip}, puts exactly the classes of a real call in the cache.
 */
final class SystemServices implements Dispatcher.Services {

    private final IpRunner ip;

    SystemServices(IpRunner ip) {
        this.ip = ip;
    }

    @Override
    public IpamdClient ipamd(NetConf conf) {
        return new SocketIpamdClient(Path.of(conf.ipamdSocket()), conf.ipamdTimeoutMs());
    }

    @Override
    public PodWiring wiring(NetConf conf) {
        return new IpWiring(ip, new HostLock(Path.of(conf.lockFile())));
    }
}
