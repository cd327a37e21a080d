package io.vpcipam.it.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vpcipam.ipamd.host.HostException;
import io.vpcipam.ipamd.host.HostNetwork;
import io.vpcipam.ipamd.host.HostSettings;
import io.vpcipam.ipamd.host.LinuxHost;
import io.vpcipam.ipamd.pool.AddressPool;
import io.vpcipam.ipamd.pool.PoolStatus;
import io.vpcipam.it.host.Host;
import io.vpcipam.provider.CloudProvider;
import io.vpcipam.provider.NodeInfo;
import io.vpcipam.provider.ProviderContext;
import io.vpcipam.provider.aws.AwsProviderFactory;
import io.vpcipam.provider.aws.Ec2TestBed;
import io.vpcipam.provider.aws.Moto;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;

/**
 * The node data path driven by the AWS provider's interface data on moto: the instance's ENIs (MACs, subnet,
 * router, VPC block, primary address) as {@code describeNode} reads them from EC2 set up a node namespace whose
 * links the test plugs in with those MACs, as the hypervisor would. The same pool, host plan and applier as the
 * daemon; {@code ip} and {@code iptables} run inside the node namespace through wrappers, so the machine's own
 * network is never touched. Moto: {@code IPAMD_TEST_EC2_ENDPOINT} (unset: fails under CI=true, skips elsewhere).
 */
class AwsDataPathIT {

    @TempDir
    Path tmp;

    URI moto;

    @BeforeEach
    void setUp() throws IOException {
        NodeNetns.assumeRoot();
        moto = Moto.endpoint();
    }

    /** {@code name} in {@code bin}: runs the real tool inside the node namespace. */
    Path wrapper(Path bin, String name, String tool, NodeNetns n) throws IOException {
        Path p = bin.resolve(name);
        Files.writeString(p, "#!/bin/sh\nexec nsenter --net=/run/netns/" + n.node + " " + tool + " \"$@\"\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    @Test
    void awsInterfaceData_setsUpTheSecondEnisLinkTableAndRules_andSnatToTheInstancesPrimary_detachRemovesThem()
            throws Exception {
        Ec2TestBed bed = Ec2TestBed.on(moto, "10.3.0.0/16", "10.3.16.0/20");
        Ec2Client ec2 = bed.ec2();
        String subnet = bed.subnetId();
        Instance instance = bed.runInstance(subnet);
        var eni = ec2.createNetworkInterface(r -> r.subnetId(subnet).secondaryPrivateIpAddressCount(2))
                .networkInterface();
        String attachment = ec2.attachNetworkInterface(r -> r.networkInterfaceId(eni.networkInterfaceId())
                .instanceId(instance.instanceId()).deviceIndex(1)).attachmentId();
        String primaryMac = instance.networkInterfaces().getFirst().macAddress();
        assertNotNull(primaryMac, "moto gives ENIs a MAC");

        Map<String, String> env = Moto.env(moto);
        env.put("IPAMD_INSTANCE_ID", instance.instanceId());
        try (NodeNetns n = NodeNetns.create();
             CloudProvider aws = new AwsProviderFactory().create(new ProviderContext(env, tmp, InstantSource.system(),
                     null))) {
            // the hypervisor's part: a link per attached ENI, with its MAC
            n.ip("link", "add", "ens5", "address", primaryMac, "type", "veth", "peer", "name", "peer5");
            n.ip("link", "add", "ens6", "address", eni.macAddress(), "type", "veth", "peer", "name", "peer6");
            for (String l : List.of("ens5", "peer5", "peer6")) {
                n.ip("link", "set", l, "up");
            }
            NodeInfo node = aws.describeNode();
            assertEquals(List.of("10.3.0.0/16"), node.vpcCidrs().stream().map(Object::toString).toList());

            Path bin = Files.createDirectories(tmp.resolve("bin"));
            Path procSys = Files.createDirectories(tmp.resolve("sys/net/ipv4/conf/ens5")).getParent().getParent()
                    .getParent().getParent(); // sysctls go to a scratch tree: the test JVM is not in the node netns
            LinuxHost linux = new LinuxHost(wrapper(bin, "ip", "/usr/sbin/ip", n).toString(),
                    wrapper(bin, "iptables-save", "/usr/sbin/iptables-save", n).toString(),
                    wrapper(bin, "iptables-restore", "/usr/sbin/iptables-restore", n).toString(), procSys);
            AddressPool pool = new AddressPool(InstantSource.system(), Duration.ZERO, () -> { }, r -> { });
            pool.gateOnHost();
            pool.sync(node);
            HostNetwork host = new HostNetwork(pool, new HostSettings(true, false, List.of(),
                    HostSettings.SnatPorts.PRNG, true, 9001, Duration.ofSeconds(10)), linux, InstantSource.system(),
                    Duration.ofSeconds(5), new HostNetwork.Listener() {
                        @Override
                        public void passed(int missingLinks) {
                        }

                        @Override
                        public void failed(HostException.Step step) {
                        }
                    });
            host.pass();
            assertNull(host.problem());

            String eniAddress = eni.privateIpAddress();
            String instanceAddress = instance.privateIpAddress();
            assertTrue(n.ip("-o", "-4", "addr", "show", "dev", "ens6").contains(eniAddress + "/20"),
                    n.ip("addr", "show", "dev", "ens6"));
            assertTrue(n.ip("link", "show", "dev", "ens6").contains("mtu 9001"));
            String table2 = n.ip("route", "show", "table", "2");
            assertTrue(table2.contains("default via 10.3.16.1 dev ens6 proto 117"), table2);
            assertTrue(table2.contains("10.3.16.1 dev ens6 proto 117 scope link"), table2);
            assertTrue(n.ip("rule").contains("32765:\tfrom " + eniAddress + " lookup 2 proto 117"), n.ip("rule"));
            String nat = Host.sh("ip", "netns", "exec", n.node, "iptables-save", "-t", "nat");
            assertTrue(nat.contains("-A VPC-IPAM-SNAT -d 10.3.0.0/16 "), nat);
            assertTrue(nat.contains("-j SNAT --to-source " + instanceAddress + " --random-fully"), nat);
            assertEquals("2", Files.readString(procSys.resolve("net/ipv4/conf/ens5/rp_filter")));
            PoolStatus.InterfaceStatus second = pool.status().interfaces().stream()
                    .filter(i -> i.id().equals(eni.networkInterfaceId())).findFirst().orElseThrow();
            assertEquals("ens6", second.linkName());
            assertEquals(2, second.routeTable());
            assertTrue(second.hostReady());
            assertEquals(eni.macAddress(), second.mac());

            // a second pass changes nothing
            List<String> rules = List.of(n.ip("rule"), n.ip("route", "show", "table", "all", "proto", "117"));
            host.pass();
            assertEquals(rules, List.of(n.ip("rule"), n.ip("route", "show", "table", "all", "proto", "117")));

            // detached in EC2 (the hypervisor unplugs it): its table and rule go
            ec2.detachNetworkInterface(r -> r.attachmentId(attachment).force(true));
            n.ip("link", "del", "ens6");
            pool.sync(aws.describeNode());
            host.pass();
            assertNull(host.problem());
            assertEquals("", n.ip("route", "show", "table", "2").strip());
            assertFalse(n.ip("rule").contains("lookup 2"), n.ip("rule"));
            assertTrue(Host.sh("ip", "netns", "exec", n.node, "iptables-save", "-t", "nat")
                    .contains("--to-source " + instanceAddress));
        } finally {
            bed.close();
        }
    }
}
