package io.vpcipam.ipamd.pool;

import io.vpcipam.ipamd.lease.LeaseKey;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.Ipv4Address;
import io.vpcipam.provider.sim.Verb;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddressPoolTest extends OnTestNode {

    Grant add(int i) throws Exception {
        return node.pool.add(key(i), "/proc/1/ns/net", "ns", "pod" + i, Duration.ZERO);
    }

    @Test
    void add_sameKeyTwice_returnsTheSameAddress() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(2, 0, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        Grant first = add(1);
        Grant again = add(1);
        assertEquals(first.lease().address(), again.lease().address());
        assertEquals(1, node.pool.status().assigned());
    }

    @Test
    void add_grantCarriesWiringOfTheHoldingInterface() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(2, 0, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        Grant g = add(1);
        var primary = node.cloud.peekNode().primaryInterface();
        assertEquals(primary.id(), g.lease().interfaceId());
        assertEquals(primary.mac(), g.mac());
        assertEquals(0, g.routeTable(), "addresses on the primary interface use the main table");
        assertEquals(Ipv4Address.parse("10.0.0.1"), g.gateway());
        assertEquals(List.of("10.0.0.0/16"), g.vpcCidrs().stream().map(Object::toString).toList());
    }

    @Test
    void del_unknownKey_succeedsAndChangesNothing() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(2, 0, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        assertNull(node.pool.del(key(42)));
        assertEquals(0, node.pool.status().assigned());
    }

    @Test
    void del_addressCoolsDownAndIsNotReusedUntilTheCooldownEnds() throws Exception {
        node = new TestNode(dir, "t3.medium", new Targets(0, 1, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        Grant g = add(1);
        node.pool.del(key(1));
        assertEquals(AddressState.COOLING, node.pool.stateOf(g.lease().address()));
        assertThrows(PoolException.class, () -> add(2), "the only address is cooling: not available");
        node.clock.advance(Duration.ofSeconds(31));
        assertEquals(g.lease().address(), add(2).lease().address());
    }

    @Test
    void snapshot_interfaceWithoutOurOwnerTag_isNotManaged() throws Exception {
        node = new TestNode(dir, "c5.4xlarge", new Targets(0, 40, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass(); // 29 on the primary, then an interface of ipamd's own for the other 11
        String foreign = node.cloud.createInterface(new io.vpcipam.provider.InterfaceSpec(node.cloud.nodeSubnetId(),
                List.of(), 2, 0, java.util.Map.of("team", "storage"), "attached by another tool")).id();
        node.pool.sync(node.cloud.describeNode());
        var states = node.pool.snapshot().interfaces();
        assertTrue(states.stream().filter(i -> i.id().equals(foreign)).noneMatch(Snapshot.InterfaceState::managed));
        var ours = states.stream().filter(i -> !i.primary() && !i.id().equals(foreign)).toList();
        assertEquals(1, ours.size());
        assertTrue(ours.getFirst().managed(), "the interface ipamd created carries its owner tag");
    }

    @Test
    void delSpooled_noAddSinceTheSpool_releasesTheLease() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(3, 0, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        add(1);
        node.clock.advance(Duration.ofSeconds(5));
        assertNotEquals(null, node.pool.delSpooled(key(1), node.clock.instant()));
        assertNull(node.pool.check(key(1)));
    }

    @Test
    void delSpooled_anAddOfTheSameKeyServedAfterTheSpool_keepsTheLiveLease() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(3, 0, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        Grant g = add(1);
        node.clock.advance(Duration.ofSeconds(5));
        var spooledAt = node.clock.instant(); // the plugin's DEL timed out and was spooled; ipamd never saw it
        node.clock.advance(Duration.ofSeconds(5));
        add(1); // the runtime wires the attachment again: the same lease comes back
        assertNull(node.pool.delSpooled(key(1), spooledAt));
        assertEquals(g.lease().address(), node.pool.check(key(1)).lease().address(), "a live pod lost its address");
    }

    @Test
    void delSpooled_reAddAnsweredThenKill9_theRestartedPoolStillKeepsTheLiveLease() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(3, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        Grant g = add(1);
        node.clock.advance(Duration.ofSeconds(5));
        var spooledAt = node.clock.instant(); // the plugin's DEL timed out and was spooled
        node.clock.advance(Duration.ofSeconds(5));
        add(1); // answered from the live lease: the pod runs on it
        node.kill(); // nothing more is written: only what was durable when the ADD was answered survives
        assertNull(node.pool.delSpooled(key(1), spooledAt), "the restart applied a DEL older than the answered ADD");
        assertEquals(g.lease().address(), node.pool.check(key(1)).lease().address());
        assertNotEquals(g.lease().address(), add(2).lease().address(), "a new pod got the running pod's address");
    }

    @Test
    void delSpooled_aNewLeaseMadeAfterTheSpool_isKept() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(3, 0, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        add(1);
        node.clock.advance(Duration.ofSeconds(1));
        node.pool.del(key(1)); // the DEL did reach ipamd, but its reply was lost: the plugin spooled it anyway
        var spooledAt = node.clock.instant();
        node.clock.advance(Duration.ofSeconds(1));
        Grant again = add(1);
        assertNull(node.pool.delSpooled(key(1), spooledAt));
        assertEquals(again.lease().address(), node.pool.check(key(1)).lease().address());
    }

    @Test
    void add_emptyPool_waitsForTheReconcilerAndGetsAnAddress() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(0, 0, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        assertEquals(0, node.pool.status().free());
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Grant> waiting = ex.submit(() -> node.pool.add(key(1), "", "", "", Duration.ofSeconds(10)));
            while (node.pool.waiting() == 0) {
                Thread.sleep(5);
            }
            node.reconciler.pass(); // what the ADD's wake-up would run
            assertTrue(node.cloud.heldAddresses().contains(waiting.get().lease().address()));
        }
    }

    @Test
    void del_ofAKeyWhoseAddIsStillWaiting_cancelsThatAdd_soNoLeaseOutlivesAPluginThatGaveUp() throws Exception {
        // The plugin's ADD timed out while ipamd waited for the cloud; it sends DEL for the key. Without
        // the cancel, the DEL finds no lease, and the waiting ADD then takes one nobody will ever free.
        node = new TestNode(dir, "m5.large", new Targets(0, 0, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Grant> waiting = ex.submit(() -> node.pool.add(key(1), "", "", "", Duration.ofSeconds(10)));
            Future<Grant> other = ex.submit(() -> node.pool.add(key(2), "", "", "", Duration.ofSeconds(10)));
            while (node.pool.waiting() < 2) {
                Thread.sleep(5);
            }
            assertNull(node.pool.del(key(1)));
            ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(5, TimeUnit.SECONDS));
            PoolException pe = assertInstanceOf(PoolException.class, e.getCause());
            assertEquals("NO_ADDRESS_AVAILABLE", pe.code());
            assertTrue(pe.getMessage().contains("DEL"), pe.getMessage());
            node.reconciler.pass();
            assertEquals(key(2), other.get(5, TimeUnit.SECONDS).lease().key(), "another key's ADD is not cancelled");
            assertEquals(1, node.pool.status().assigned());
            // A later ADD of the cancelled key is served as usual.
            Future<Grant> again = ex.submit(() -> node.pool.add(key(1), "", "", "", Duration.ofSeconds(10)));
            while (node.pool.waiting() == 0) {
                Thread.sleep(5);
            }
            node.reconciler.pass();
            assertEquals(key(1), again.get(5, TimeUnit.SECONDS).lease().key());
        }
    }

    @Test
    void add_waiting_getsAnAddressWhoseCooldownStartedAfterItBeganWaiting() throws Exception {
        node = new TestNode(dir, "t3.medium", new Targets(0, 1, 0, 0, false, 0), Duration.ofMillis(300));
        node.reconciler.pass();
        Grant first = add(1);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            long start = System.nanoTime();
            Future<Grant> waiting = ex.submit(() -> node.pool.add(key(2), "", "", "", Duration.ofSeconds(10)));
            while (node.pool.waiting() == 0) {
                Thread.sleep(5);
            }
            node.pool.del(key(1)); // cools until now + 300 ms
            node.clock.advance(Duration.ofSeconds(1)); // ... which has passed
            assertEquals(first.lease().address(), waiting.get().lease().address());
            long waited = System.nanoTime() - start;
            assertTrue(waited < Duration.ofSeconds(5).toNanos(),
                    "the waiting ADD slept through the cool-down's end: " + waited / 1_000_000 + " ms");
        }
    }

    @Test
    void add_timeout_isRetryableNoAddressAvailable() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(0, 0, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        PoolException e = assertThrows(PoolException.class,
                () -> node.pool.add(key(1), "", "", "", Duration.ofMillis(50)));
        assertEquals("NO_ADDRESS_AVAILABLE", e.code());
        assertTrue(e.retryable());
    }

    @Test
    void add_nodeAtItsLimits_failsAtOnceWithNodeFull() throws Exception {
        node = new TestNode(dir, "t3.medium", new Targets(0, 15, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        for (int i = 0; i < 15; i++) {
            add(i);
        }
        node.reconciler.pass();
        long start = System.nanoTime();
        PoolException e = assertThrows(PoolException.class,
                () -> node.pool.add(key(99), "", "", "", Duration.ofSeconds(10)));
        assertEquals("NODE_FULL", e.code());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "no pointless wait");
    }

    @Test
    void add_atItsLimitsWithFreeAddressesOnAnInterfaceTheHostStillSetsUp_waitsForIt_notNodeFull() throws Exception {
        // t3.medium with at most 2 interfaces: 10 addresses, the 6th pod's on interface 2, which serves pods only once
        // the node's side of it is set up (on EC2 its link appears seconds after the attach)
        node = new TestNode(dir, "t3.medium", new Targets(0, 10, 0, 0, false, 2), Duration.ZERO);
        node.pool.gateOnHost();
        node.reconciler.pass();
        node.reconciler.pass();
        for (int i = 0; i < 5; i++) {
            assertEquals(0, add(i).deviceIndex());
        }
        String second = node.cloud.describeNode().interfaces().stream().filter(n -> n.deviceIndex() == 1)
                .findFirst().orElseThrow().id();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Grant> sixth = pool.submit(() -> node.pool.add(key(5), "/proc/1/ns/net", "ns", "pod5",
                    Duration.ofSeconds(30)));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (node.pool.waiting() == 0 && !sixth.isDone() && System.nanoTime() < end) {
                Thread.sleep(5);
            }
            assertFalse(sixth.isDone(), () -> "the ADD did not wait for interface 2: " + outcome(sixth));
            node.pool.hostApplied(java.util.Map.of(), Set.of(second));
            Grant g = sixth.get(10, TimeUnit.SECONDS);
            assertEquals(1, g.deviceIndex());
            assertEquals(second, g.lease().interfaceId());
        } finally {
            pool.shutdownNow();
        }
    }

    private static String outcome(Future<Grant> f) {
        try {
            return String.valueOf(f.get());
        } catch (ExecutionException e) {
            return e.getCause().toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    @Test
    void burst_concurrentAdds_areServedByBatchedCallsWithDistinctAddresses() throws Exception {
        node = new TestNode(dir, "c5.4xlarge", new Targets(0, 0, 1, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        node.cloud.resetCounters();
        List<Callable<Grant>> adds = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            int n = i;
            adds.add(() -> node.pool.add(key(n), "", "", "", Duration.ofSeconds(20)));
        }
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Grant>> futures = new ArrayList<>();
            for (Callable<Grant> c : adds) {
                futures.add(ex.submit(c));
            }
            while (node.pool.waiting() < 100 - node.pool.status().assigned()) {
                Thread.sleep(5);
            }
            while (futures.stream().anyMatch(f -> !f.isDone())) {
                node.reconciler.pass();
            }
            Set<Ipv4Address> seen = new HashSet<>();
            for (Future<Grant> f : futures) {
                assertTrue(seen.add(f.get().lease().address()), "address handed out twice");
            }
        }
        // warm pool had 29; 100 pods + 29 warm = 129: 71 + 29 more = 100 new -> 4 new ENIs (29 each) at most
        long calls = node.cloud.mutatingCalls();
        assertTrue(calls <= 5, "burst cost " + calls + " mutating calls");
    }

    @Test
    void release_neverTakesAnAddressAnAddRacedFor() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(5, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        Snapshot.InterfaceState primary = node.pool.snapshot().interfaces().getFirst();
        List<Ipv4Address> chosen = primary.freeAddresses(); // the planner's choice, from a snapshot
        Grant raced = add(1); // an ADD lands between the snapshot and the executor
        assertTrue(chosen.contains(raced.lease().address()));
        var marked = node.pool.beginRelease(primary.id(), chosen, List.of());
        assertTrue(!marked.addresses().contains(raced.lease().address()), "an assigned address must never be released");
        assertEquals(chosen.size() - 1, marked.addresses().size());
        node.pool.endRelease(primary.id(), marked, CallOutcome.APPLIED);
        assertEquals(AddressState.ASSIGNED, node.pool.stateOf(raced.lease().address()));
        assertEquals(0, node.pool.status().free());
    }

    @Test
    void checkpointWriteFails_addIsUndoneAndTheAddressStaysFree() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(2, 0, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        Path cp = dir.resolve("checkpoint.json");
        Files.deleteIfExists(cp);
        Files.createDirectory(cp); // a directory where the file must go: the rename fails
        PoolException e = assertThrows(PoolException.class, () -> add(1));
        assertEquals("INTERNAL", e.code());
        assertEquals(0, node.pool.status().assigned());
        Files.delete(cp);
        Grant g = add(1);
        assertNotEquals(null, g);
    }

    @Test
    void sync_cloudNoLongerListsALeasedAddress_leaseIsKeptAndTheAddressIsNeverHandedOutTwice() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(2, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        Grant g = add(1);
        Ipv4Address a = g.lease().address();
        node.cloud.unassign(g.lease().interfaceId(), List.of(a), List.of()); // someone else took it from the node
        node.pool.sync(node.cloud.describeNode());
        assertEquals(a, node.pool.check(key(1)).lease().address(), "the pod still uses it until its DEL");
        assertEquals(1, node.pool.status().lost());
        // the pool grows again; the simulated cloud hands out the lowest free address, so a comes back
        node.reconciler.requestResync();
        for (int i = 2; i < 12; i++) {
            node.reconciler.pass();
            Grant other = add(i);
            assertNotEquals(a, other.lease().address(), "a lost address was handed to a second pod");
        }
        assertTrue(node.cloud.heldAddresses().contains(a), "the test must see the address come back");
        assertEquals(0, node.pool.status().lost(), "held again: no longer lost, still leased");
        node.pool.del(key(1));
        assertEquals(AddressState.FREE, node.pool.stateOf(a), "after its pod's DEL it is the pool's again");
    }

    @Test
    void restore_leaseWhoseAddressTheNodeNoLongerHolds_isKeptUntilItsDel() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(2, 0, 0, 0, false, 0), Duration.ofSeconds(30));
        node.reconciler.pass();
        Grant g = add(1);
        Ipv4Address a = g.lease().address();
        node.cloud.unassign(g.lease().interfaceId(), List.of(a), List.of());
        node.crashAndRestart();
        assertEquals(a, node.pool.check(key(1)).lease().address());
        assertEquals(1, node.pool.status().lost());
        node.pool.del(key(1));
        assertNull(node.pool.check(key(1)));
        assertNull(node.pool.stateOf(a), "a lost address is not the pool's to reuse");
        assertEquals(0, node.pool.status().lost());
    }

    @Test
    void sync_describeOlderThanARelease_doesNotBringTheAddressBack() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(5, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();
        var stale = node.cloud.describeNode(); // taken before the release below lands
        Snapshot.InterfaceState primary = node.pool.snapshot().interfaces().getFirst();
        Ipv4Address released = primary.freeAddresses().getLast();
        var marked = node.pool.beginRelease(primary.id(), List.of(released), List.of());
        node.cloud.unassign(primary.id(), marked.addresses(), List.of());
        node.pool.endRelease(primary.id(), marked, CallOutcome.APPLIED);
        node.pool.sync(stale);
        assertNull(node.pool.stateOf(released), "a stale describe resurrected a released address");
        node.clock.advance(Duration.ofMinutes(2));
        node.pool.sync(stale);
        assertEquals(AddressState.FREE, node.pool.stateOf(released), "after the settle window the cloud is believed");
    }

    @Test
    void reconcile_subnetFull_pausesGrowthInsteadOfHammeringTheApi() throws Exception {
        node = new TestNode(dir, "c5.4xlarge", new Targets(40, 0, 0, 0, false, 0), Duration.ZERO);
        node.cloud.leaveFree(0);
        node.reconciler.pass();
        long calls = node.cloud.mutatingCalls();
        node.reconciler.pass();
        node.reconciler.pass();
        assertEquals(calls, node.cloud.mutatingCalls(), "no further calls while growth is paused");
        assertTrue(node.reconciler.decisions().stream().anyMatch(d -> d.reason().contains("paused")),
                node.reconciler.decisions().toString());
    }

    @Test
    void reconcile_throttled_waitsAndStillServes() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(3, 0, 0, 0, false, 0), Duration.ZERO);
        node.cloud.failNext(Verb.ASSIGN, 2, () -> new CloudException.Throttled("RequestLimitExceeded", "slow down", Duration.ofMillis(10)));
        node.reconciler.pass();
        assertEquals(3, node.pool.status().free());
        assertEquals(2, node.cloud.failedCalls(Verb.ASSIGN));
    }

    @Test
    void excludedInterfaces_areShownUnmanaged_neverHandedOut_neverShrunkOrDeleted() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(2, 0, 0, 0, false, 0), Duration.ZERO);
        String multus = node.cloud.attachForeignInterface(node.cloud.nodeSubnetId(), 0,
                java.util.Map.of(io.vpcipam.provider.NetworkInterface.AWS_NO_MANAGE_TAG, "true"), 3);
        String efa = node.cloud.attachForeignInterface(node.cloud.nodeSubnetId(), 1, java.util.Map.of(), 2);
        var before = node.cloud.peekNode().interfaces();
        java.util.Set<io.vpcipam.provider.Ipv4Address> theirs = new java.util.HashSet<>();
        before.stream().filter(i -> !i.usable()).forEach(i -> theirs.addAll(i.secondaryAddresses()));
        node.crashAndRestart(); // found at start, as on a node taken over from aws-node
        node.reconciler.pass();

        for (int i = 0; i < 12; i++) { // m5.large: 3 ENIs on card 0, one of them the excluded Multus ENI
            try {
                assertFalse(theirs.contains(add(i).lease().address()), "an excluded interface's address was leased");
            } catch (PoolException e) {
                assertEquals("NO_ADDRESS_AVAILABLE", e.code());
            }
            node.reconciler.pass();
        }
        var status = node.pool.status();
        assertEquals("no_manage_tag", status.interfaces().stream().filter(i -> i.id().equals(multus)).findFirst()
                .orElseThrow().unmanaged());
        assertEquals("network_card", status.interfaces().stream().filter(i -> i.id().equals(efa)).findFirst()
                .orElseThrow().unmanaged());
        assertEquals(3, node.cloud.peekNode().interfaces().stream().filter(i -> i.networkCard() == 0).count(),
                "the pool made exactly one interface: the excluded one holds the card's third slot");
        assertEquals(node.cloud.heldAddresses().size(), status.total(), "no excluded address is counted as the pool's");

        for (int i = 0; i < 12; i++) {
            node.pool.del(key(i));
        }
        node.clock.advance(Duration.ofMinutes(10));
        node.reconciler.pass();
        node.clock.advance(Duration.ofMinutes(10));
        node.reconciler.pass();

        for (var was : before.stream().filter(i -> !i.usable()).toList()) {
            assertEquals(was, node.cloud.peekNode().interfaces().stream().filter(i -> i.id().equals(was.id()))
                    .findFirst().orElseThrow(), "an excluded interface was changed");
        }
        assertTrue(node.reconciler.decisions().stream().noneMatch(d -> d.outcome().startsWith("failed")),
                "a call named an excluded interface: " + node.reconciler.decisions());
    }

    /** The node as aws-node left it: addresses on the primary, and ipamd starting with no checkpoint. */
    private java.util.List<io.vpcipam.provider.Ipv4Address> takeOverANodeWithAddresses(int n, Targets targets)
            throws Exception {
        node = new TestNode(dir, "m5.large", targets, Duration.ofSeconds(30));
        String primary = node.cloud.peekNode().primaryInterface().id();
        var theirs = node.cloud.assign(primary, n, 0).addresses();
        node.commit.close();
        java.nio.file.Files.delete(dir.resolve("checkpoint.json"));
        node.crashAndRestart();
        return theirs;
    }

    @Test
    void restore_noCheckpoint_addressesOnTheNodeAreUnproven_neverHandedOutNorReleased() throws Exception {
        var theirs = takeOverANodeWithAddresses(5, new Targets(1, 0, 0, 0, false, 0)); // WARM_IP 1: 4 too many

        assertEquals(java.util.Set.copyOf(theirs), node.pool.unproven());
        assertEquals(5, node.pool.status().unproven());
        assertEquals(5, node.pool.status().total(), "counted as held");
        for (int i = 0; i < 3; i++) {
            node.reconciler.pass();
            assertFalse(theirs.contains(add(i).lease().address()), "an unproven address was handed out");
            node.clock.advance(Duration.ofMinutes(5));
        }
        node.reconciler.pass();
        assertTrue(node.cloud.heldAddresses().containsAll(theirs), "an unproven address was released");
        assertEquals(java.util.Set.copyOf(theirs), node.pool.unproven());
    }

    @Test
    void prove_someFree_theyCoolThenServe_theRestStayUnprovenAcrossARestart() throws Exception {
        var theirs = takeOverANodeWithAddresses(4, new Targets(0, 8, 0, 0, false, 0));
        var free = java.util.List.of(theirs.get(0), theirs.get(1));

        assertEquals(2, node.pool.prove(free));
        assertEquals(AddressState.COOLING, node.pool.stateOf(theirs.get(0)), "the old pod's conntrack may linger");
        node.crashAndRestart(); // proven ones are on disk: they do not turn unproven again

        assertEquals(java.util.Set.of(theirs.get(2), theirs.get(3)), node.pool.unproven());
        node.clock.advance(Duration.ofSeconds(31));
        assertEquals(AddressState.FREE, node.pool.stateOf(theirs.get(0)));
        assertEquals(0, node.pool.prove(java.util.List.of(theirs.get(0))), "only unproven addresses are proven");
    }

    @Test
    void restore_checkpointPresent_addressesOfOurOwnWarmPoolStayFree() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(3, 0, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass();

        node.crashAndRestart();

        assertEquals(java.util.Set.of(), node.pool.unproven());
        assertEquals(3, node.pool.status().free());
    }

    @Test
    void snapshot_interfaceWithUnprovenAddresses_isNeverIdle_soNeverDeleted() throws Exception {
        node = new TestNode(dir, "m5.large", new Targets(0, 12, 0, 0, false, 0), Duration.ZERO);
        node.reconciler.pass(); // 9 on the primary, an interface of ours for 3
        node.commit.close();
        java.nio.file.Files.delete(dir.resolve("checkpoint.json"));
        node.crashAndRestart();
        var ours = node.pool.snapshot().interfaces().stream().filter(i -> !i.primary()).findFirst().orElseThrow();

        assertEquals(3, ours.unproven());
        assertFalse(ours.idle());
        assertEquals(12, node.pool.snapshot().total());
    }
}
