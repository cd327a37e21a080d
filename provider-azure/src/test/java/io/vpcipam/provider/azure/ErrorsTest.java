package io.vpcipam.provider.azure;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudException.CapacityExhausted.Scope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ErrorsTest {

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({
            "429, SubscriptionRequestsThrottled, throttled, true",
            "429, '', throttled, true",
            "400, SubnetIsFull, capacity, false",
            "400, MaxNumberOfIpConfigurationsPerNicReached, capacity, false",
            "400, PrivateIPAddressInUse, conflict, true",
            "400, NicReservedForAnotherVm, conflict, true",
            "409, AnotherOperationInProgress, conflict, true",
            "412, PreconditionFailed, conflict, true",
            "200, AnotherOperationInProgress, conflict, true",
            "404, ResourceNotFound, not_found, false",
            "404, '', not_found, false",
            "400, InvalidResourceReference, not_found, false",
            "403, AuthorizationFailed, fatal, false",
            "401, InvalidAuthenticationToken, fatal, false",
            "400, IpConfigDeleteNotSupported, fatal, false",
            "500, InternalServerError, unavailable, true",
            "503, '', unavailable, true",
            "0, Transport, unavailable, true",
            "200, RetryableError, unavailable, true",
    })
    void map_armError_landsInTheSpiSet(int status, String code, String condition, boolean retryable) {
        CloudException e = Errors.map(new ArmException(status, code, "m", Duration.ofSeconds(7), null));

        assertEquals(condition, e.condition());
        assertEquals(retryable, e.retryable());
        if (!code.isEmpty()) {
            assertEquals(code, e.code());
        }
    }

    @ParameterizedTest
    @CsvSource({"SubnetIsFull, SUBNET", "PrivateIPAddressesPerNicLimitReached, INTERFACE_ADDRESSES"})
    void map_capacity_namesTheScope(String code, Scope scope) {
        assertEquals(scope, ((CloudException.CapacityExhausted) Errors.map(new ArmException(400, code, "m", null, null))).scope());
    }

    @org.junit.jupiter.api.Test
    void map_throttled_keepsRetryAfter() {
        CloudException.Throttled t = (CloudException.Throttled) Errors.map(
                new ArmException(429, "TooManyRequests", "m", Duration.ofSeconds(17), null));

        assertEquals(Duration.ofSeconds(17), t.retryAfter());
    }

    @ParameterizedTest(name = "{0} {1} -> denied {2}")
    @CsvSource({
            "403, AuthorizationFailed, true",
            "403, LinkedAuthorizationFailed, true",
            "401, InvalidAuthenticationToken, true",
            "403, '', true",
            "400, IpConfigDeleteNotSupported, false",
            "500, InternalServerError, false",
    })
    void map_permissionDenied_isAFatalThatSaysSo(int status, String code, boolean denied) {
        CloudException e = Errors.map(new ArmException(status, code, "m", Duration.ZERO, null));
        assertEquals(denied, e instanceof CloudException.Fatal f && f.permissionDenied(), status + " " + code);
    }
}
