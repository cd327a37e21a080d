package io.vpcipam.provider.aws;

import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.CloudException.CapacityExhausted.Scope;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** EC2 codes onto the SPI's errors. */
class ErrorMappingTest {

    @ParameterizedTest
    @CsvSource({
            "RequestLimitExceeded, 503, throttled, true",
            "Throttling, 400, throttled, true",
            "SomethingNew, 429, throttled, true",
            "InsufficientFreeAddressesInSubnet, 400, capacity:SUBNET, false",
            "InsufficientCidrBlocks, 400, capacity:SUBNET, false",
            "PrivateIpAddressLimitExceeded, 400, capacity:INTERFACE_ADDRESSES, false",
            "AttachmentLimitExceeded, 400, capacity:INSTANCE_INTERFACES, false",
            "InvalidNetworkInterfaceID.NotFound, 400, not_found, false",
            "InvalidAttachmentID.NotFound, 400, not_found, false",
            "InvalidNetworkInterface.InUse, 400, conflict, false",
            "IncorrectState, 400, conflict, false",
            "UnauthorizedOperation, 403, fatal, false",
            "AuthFailure, 401, fatal, false",
            "InternalError, 500, unavailable, true",
            "Unavailable, 503, throttled, true",
            "NetworkError, 0, fatal, false",
    })
    void map_code_toCondition(String code, int status, String expected, boolean retried) {
        CloudException e = ErrorMapping.map("AssignPrivateIpAddresses", ApiError.of(code, status, "m"), Duration.ofSeconds(1));

        String got = e instanceof CloudException.CapacityExhausted c ? "capacity:" + c.scope() : e.condition();
        assertEquals(expected, got);
        assertEquals(code, e.code());
        assertEquals(retried, ErrorMapping.retryable(ApiError.of(code, status, "m")));
    }

    @ParameterizedTest
    @CsvSource({"NetworkError, true, unavailable", "MalformedResponse, false, fatal", "CircuitOpen, true, unavailable"})
    void map_ourOwnCodes(String code, boolean transientFault, String condition) {
        ApiError error = new ApiError(code, 0, "m", transientFault, null);

        assertEquals(condition, ErrorMapping.map("DescribeVpcs", error, Duration.ZERO).condition());
        assertEquals(!"CircuitOpen".equals(code) && transientFault, ErrorMapping.retryable(error));
        assertEquals(Scope.SUBNET, ((CloudException.CapacityExhausted) ErrorMapping.map("x",
                ApiError.of("InsufficientFreeAddressesInSubnet", 400, "m"), Duration.ZERO)).scope());
    }

    @ParameterizedTest
    @CsvSource({
            "UnauthorizedOperation, 403, true",
            "AuthFailure, 401, true",
            "AccessDenied, 400, true",
            "SomethingNew, 403, true",
            "InternalError, 500, false",
            "InvalidParameterValue, 400, false",
    })
    void map_permissionDenied_isAFatalThatSaysSo(String code, int status, boolean denied) {
        CloudException e = ErrorMapping.map("AssignPrivateIpAddresses", ApiError.of(code, status, "m"), Duration.ZERO);
        assertEquals(denied, e instanceof CloudException.Fatal f && f.permissionDenied(), code);
    }
}
