package io.vpcipam.provider.sim;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.InterfaceSpec;
import io.vpcipam.provider.NetworkInterface;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedCloudPersistenceTest {

    @TempDir
    Path dir;

    private SimulatedCloud sim(Path file) {
        return SimulatedCloud.builder().instanceType("m5.large").stateFile(file).build();
    }

    @Test
    void newSim_overSameFile_seesTheSameInterfacesAddressesAndTenants() throws Exception {
        Path file = dir.resolve("sim-cloud.state");
        SimulatedCloud before = sim(file);
        String primary = before.peekNode().primaryInterface().id();
        before.assign(primary, 3, 1);
        NetworkInterface made = before.createInterface(new InterfaceSpec(before.nodeSubnetId(), List.of(), 2, 1,
                Map.of("vpc-ipam.io/instance-id", before.instanceId(), "odd key=%", "value with spaces\tand =&+"),
                "aws-K8S-" + before.instanceId()));
        before.unassign(made.id(), List.of(made.secondaryAddresses().getFirst()), List.of());
        before.occupy(7);
        String leaked = before.leakInterface(before.nodeSubnetId(), Map.of("owner", "dead-node"));
        String efa = before.attachForeignInterface(before.nodeSubnetId(), 1, Map.of(), 1);

        SimulatedCloud after = sim(file);  // as if ipamd was killed and started again

        assertEquals(before.peekNode(), after.peekNode());
        assertEquals(1, after.peekNode().interfaces().stream().filter(i -> i.id().equals(efa)).findFirst()
                .orElseThrow().networkCard(), "the network card survives the file");
        assertEquals(before.heldAddresses(), after.heldAddresses());
        assertEquals(before.freeAddresses(before.nodeSubnetId()), after.freeAddresses(after.nodeSubnetId()));
        assertEquals(List.of(leaked), after.findOrphanedInterfaces(Map.of("owner", "dead-node")).stream()
                .map(NetworkInterface::id).toList());
        NetworkInterface next = after.createInterface(new InterfaceSpec(after.nodeSubnetId(), List.of(), 1, 0, Map.of(), ""));
        assertNotEquals(made.id(), next.id());
        assertTrue(after.peekNode().interfaces().stream().map(NetworkInterface::id).distinct().count() == 4);
        CloudProviderContractChecks.noAddressTwice(after.peekNode());
        assertFalse(Files.exists(dir.resolve("sim-cloud.state.tmp")), "temp file left behind");
    }

    @Test
    void store_symlinkPlantedAtTheTempPath_isNotFollowedAndTheFileIsOwnerOnly() throws Exception {
        Path victim = dir.resolve("victim");
        Files.writeString(victim, "precious");
        Path file = dir.resolve("sim-cloud.state");
        Files.createSymbolicLink(dir.resolve("sim-cloud.state.tmp"), victim); // root must not write through it
        SimulatedCloud sim = sim(file);
        sim.assign(sim.peekNode().primaryInterface().id(), 2, 0);
        assertEquals("precious", Files.readString(victim));
        assertEquals(sim.peekNode(), sim(file).peekNode());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(file)), "the state file follows the umask");
    }

    @Test
    void failedCall_leavesTheFileAsItWas() throws Exception {
        Path file = dir.resolve("sim-cloud.state");
        SimulatedCloud sim = sim(file);
        String primary = sim.peekNode().primaryInterface().id();
        String stored = Files.readString(file);

        assertThrows(CloudException.CapacityExhausted.class, () -> sim.assign(primary, 10, 0));

        assertEquals(stored, Files.readString(file));
        sim.assign(primary, 1, 0);
        assertNotEquals(stored, Files.readString(file), "a successful call did not reach the file");
    }

    @Test
    void corruptFile_isRefusedNamingIt() throws Exception {
        Path file = dir.resolve("sim-cloud.state");
        Files.writeString(file, "{\"not\": \"ours\"}\n");

        var e = assertThrows(IllegalStateException.class, () -> sim(file));

        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertEquals("{\"not\": \"ours\"}\n", Files.readString(file), "the corrupt file was overwritten");
    }

    @Test
    void truncatedFile_isRefused() throws Exception {
        Path file = dir.resolve("sim-cloud.state");
        sim(file).assign(sim(file).peekNode().primaryInterface().id(), 2, 0);
        String text = Files.readString(file);
        Files.writeString(file, text.substring(0, text.lastIndexOf("end")));

        var e = assertThrows(IllegalStateException.class, () -> sim(file));

        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void editedFile_withAnAddressHeldTwice_isRefused() throws Exception {
        Path file = dir.resolve("sim-cloud.state");
        SimulatedCloud sim = sim(file);
        var primary = sim.peekNode().primaryInterface();
        sim.leakInterface(sim.nodeSubnetId(), Map.of("a", "b"));
        String text = Files.readString(file);
        Files.writeString(file, text.replace("end\n", "address " + primary.id() + " " + primary.primaryAddress() + "\nend\n"));

        var e = assertThrows(IllegalStateException.class, () -> sim(file));

        assertTrue(e.getMessage().contains(primary.primaryAddress().toString()), e.getMessage());
    }

    @Test
    void fileOfAnotherInstanceType_isRefused() {
        Path file = dir.resolve("sim-cloud.state");
        sim(file);
        var e = assertThrows(IllegalStateException.class,
                () -> SimulatedCloud.builder().instanceType("t3.medium").stateFile(file).build());
        assertTrue(e.getMessage().contains("m5.large") && e.getMessage().contains("t3.medium"), e.getMessage());
    }
}
