package io.vpcipam.provider.azure;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.NetworkInterface;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * ARM's write discipline for a NIC (or a scale-set instance's NIC, which {@link Arm} writes through its instance):
 * read-modify-write of the whole ip-configuration array under the NIC's lock in this process and its ETag against
 * every other writer (a 412 is read again and re-applied); a NIC busy with another operation waited for by reading
 * it, never by drawing ARM's 429; an accepted write's long-running operation followed by reading the NIC every
 * {@code pollInterval} (first response kept, no SDK poller); the operation's status read once, for a write that
 * ended without its change. {@link AzureProvider} says what to change; this class gets it onto the NIC.
 */
final class NicWrites {

    private static final int ETAG_ATTEMPTS = 6;

    private final Arm arm;
    private final Guard guard;
    private final InstantSource clock;
    private final Duration pollInterval;
    private final Duration operationTimeout;
    private final Map<String, ReentrantLock> nicLocks = new ConcurrentHashMap<>();

    /**
     * @param pollInterval     how often a write's NIC is read while its operation runs
     * @param operationTimeout how long a write's operation may run before its outcome is left to the next describe
     */
    NicWrites(Arm arm, Guard guard, InstantSource clock, Duration pollInterval, Duration operationTimeout) {
        this.arm = arm;
        this.guard = guard;
        this.clock = clock;
        this.pollInterval = pollInterval;
        this.operationTimeout = operationTimeout;
    }

    /** What one read-modify-write adds and removes; null from the edit means nothing is left to do. */
    record Change(List<Arm.NewIpConfig> add, Set<String> remove) {
    }

    @FunctionalInterface
    interface Edit {
        Change apply(Arm.Nic nic) throws CloudException;
    }

    /**
     * Read, edit, PUT with If-Match, under the NIC's lock; on a stale ETag read again and re-apply. Returns the NIC
     * as last seen (after the PUT, or the read that showed nothing left to do).
     */
    Arm.Nic withNic(String nicId, Edit edit) throws CloudException {
        ReentrantLock lock = nicLocks.computeIfAbsent(ResourceIds.key(nicId), k -> new ReentrantLock());
        lock.lock();
        try {
            CloudException last = null;
            for (int attempt = 0; attempt < ETAG_ATTEMPTS; attempt++) {
                Arm.Nic read = guard.call("GetNetworkInterface", () -> arm.getNic(nicId));
                if (read.busy()) {
                    // another operation (another writer's, or ours from before a restart) is still running: ARM
                    // would answer our PUT with 429 and Retry-After 10, so wait for it the cheap way
                    read = awaitIdle(nicId);
                }
                Arm.Nic nic = read;
                refuseExcluded(nic, "change");
                Change change = edit.apply(nic);
                if (change == null) {
                    return nic;
                }
                try {
                    Arm.Write write = guard.call("UpdateNetworkInterface",
                            () -> arm.updateIpConfigurations(nic, change.add(), change.remove()));
                    return settle(nicId, write, change);
                } catch (CloudException.Conflict e) {
                    // 412 (someone else wrote the NIC) or AnotherOperationInProgress: re-read and re-apply
                    last = e;
                    sleepQuietly(Math.min(2_000, 100L << attempt));
                }
            }
            throw last;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for an accepted write to hold: until the NIC reads {@code Succeeded} with the change in it. The NIC is
     * read every {@code pollInterval}, not the operation's status URL after its {@code Retry-After} (10 s on Azure):
     * the resource's own provisioningState is ARM's documented terminal signal too, and one NIC read is what the
     * caller needs anyway. A failed read is read again, never answered with another PUT; a NIC that has ended
     * without the change (the operation failed and ARM undid it, or another writer replaced it) is looked up in the
     * operation's status once, and that error is thrown, else {@code Conflict} so the caller re-reads and re-applies.
     */
    private Arm.Nic settle(String nicId, Arm.Write write, Change change) throws CloudException {
        if (write.operation() == null || (write.accepted().succeeded() && applied(write.accepted(), change))) {
            return write.accepted();
        }
        Instant deadline = clock.instant().plus(operationTimeout);
        while (true) {
            sleepQuietly(pollInterval.toMillis());
            Arm.Nic now;
            try {
                now = guard.call("GetNetworkInterface", () -> arm.getNic(nicId));
            } catch (CloudException.NotFound e) {
                throw e;
            } catch (CloudException e) {
                if (!e.retryable() || clock.instant().isAfter(deadline)) {
                    throw inDoubt(nicId, e);
                }
                continue;
            }
            if (now.busy()) {
                if (clock.instant().isAfter(deadline)) {
                    throw new CloudException.Fatal("OperationTimedOut", "PUT " + nicId + " still running after "
                            + operationTimeout + "; the next describe will tell whether it held", null, true);
                }
                continue;
            }
            if (now.succeeded() && applied(now, change)) {
                return now;
            }
            throw failure(write.operation(), "PUT " + nicId);
        }
    }

    /** Reads the NIC until no operation runs on it. */
    private Arm.Nic awaitIdle(String nicId) throws CloudException {
        Instant deadline = clock.instant().plus(operationTimeout);
        while (true) {
            sleepQuietly(pollInterval.toMillis());
            try {
                Arm.Nic now = guard.call("GetNetworkInterface", () -> arm.getNic(nicId));
                if (!now.busy()) {
                    return now;
                }
            } catch (CloudException e) {
                if (!e.retryable() || e instanceof CloudException.NotFound) {
                    throw e;
                }
            }
            if (clock.instant().isAfter(deadline)) {
                throw new CloudException.Fatal("OperationTimedOut", nicId + " busy with another operation for "
                        + operationTimeout, null, true);
            }
        }
    }

    /** Whether the NIC shows the change: every added name with its address, no removed name. */
    private static boolean applied(Arm.Nic nic, Change change) {
        Map<String, Arm.IpConfig> byName = new LinkedHashMap<>();
        nic.ipConfigurations().forEach(c -> byName.put(c.name(), c));
        for (Arm.NewIpConfig a : change.add()) {
            Arm.IpConfig c = byName.get(a.name());
            if (c == null || c.address() == null) {
                return false;
            }
        }
        return change.remove().stream().noneMatch(byName::containsKey);
    }

    /**
     * Why an ended write is not on the resource: the operation's own error when it failed (one status read), else
     * a {@code Conflict} (another writer's change replaced ours), so the caller re-reads and re-applies.
     */
    private CloudException failure(String operation, String what) {
        try {
            Arm.Operation op = guard.call("GetOperationStatus", () -> arm.operation(operation));
            if (op.failed()) {
                return Errors.map(new ArmException(200, op.code(), what + ": " + op.message(), null, null));
            }
        } catch (CloudException e) {
            return new CloudException.Conflict("WriteNotFound", what + " ended without its change on the resource"
                    + " and its status could not be read (" + e.getMessage() + ")");
        }
        return new CloudException.Conflict("WriteSuperseded", what + " ended without its change on the resource");
    }

    private static CloudException inDoubt(String nicId, CloudException cause) {
        return new CloudException.Fatal("OperationInDoubt", "PUT " + nicId + " was accepted but the NIC could not be"
                + " read since (" + cause.getMessage() + "); the next describe will tell whether it held", cause, true);
    }

    /**
     * Waits for a NIC delete ARM accepted ({@code operation} its status URL; null: done at once) until the NIC is
     * gone; a failed read is read again, a NIC that ends the operation still there is the operation's error.
     */
    void awaitDeleted(String interfaceId, String operation) throws CloudException {
        Instant deadline = clock.instant().plus(operationTimeout);
        while (operation != null) {
            sleepQuietly(pollInterval.toMillis());
            Arm.Nic now;
            try {
                now = guard.call("GetNetworkInterface", () -> arm.getNic(interfaceId));
            } catch (CloudException.NotFound gone) {
                return;
            } catch (CloudException e) {
                if (!e.retryable() || clock.instant().isAfter(deadline)) {
                    throw e;
                }
                continue; // a failed read says nothing about the delete: read again
            }
            if (!now.busy()) {
                throw failure(operation, "DELETE " + interfaceId);
            }
            if (clock.instant().isAfter(deadline)) {
                throw new CloudException.Fatal("OperationTimedOut", "DELETE " + interfaceId + " still running after "
                        + operationTimeout, null, true);
            }
        }
    }

    /**
     * ipamd never names a NIC tagged {@link NetworkInterface#NO_MANAGE_TAG} in a mutating call; should a bug make it,
     * the NIC is refused here, after the read every such call makes anyway, instead of being changed.
     */
    static void refuseExcluded(Arm.Nic nic, String what) throws CloudException {
        if (NetworkInterface.noManage(nic.tags())) {
            throw new CloudException.Fatal("OperationNotPermitted", "refusing to " + what + " " + nic.id()
                    + ": tagged no-manage (never managed by ipamd)", null);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
