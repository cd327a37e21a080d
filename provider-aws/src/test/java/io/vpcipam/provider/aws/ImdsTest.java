package io.vpcipam.provider.aws;

import io.vpcipam.provider.Cidr;
import io.vpcipam.provider.CloudException;
import io.vpcipam.provider.Ipv4Address;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** IMDSv2 against the fake metadata server. */
class ImdsTest {

    private final FakeImds server;
    private final Imds imds;

    ImdsTest() throws Exception {
        server = new FakeImds();
        imds = new Imds(server.endpoint(), Duration.ofSeconds(2));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void identity_readsWithOneToken() throws Exception {
        Imds.Identity id = imds.identity();

        assertEquals(new Imds.Identity("i-0123456789abcdef0", "m5.large", "eu-west-1b", "eu-west-1", FakeImds.MAC), id);
        assertEquals(1, server.tokens.get());
    }

    @Test
    void identity_noRegionPath_regionFromZone() throws Exception {
        server.paths.remove("placement/region");

        assertEquals("eu-west-1", imds.identity().region());
    }

    @Test
    void interfaces_everyMacWithAddressesAndPrefixes() throws Exception {
        List<Imds.MacInterface> all = imds.interfaces();

        assertEquals(2, all.size());
        Imds.MacInterface second = all.get(1);
        assertEquals("eni-0000000000000000b", second.interfaceId());
        assertEquals(1, second.deviceNumber());
        assertEquals(List.of(Cidr.parse("10.0.0.32/28"), Cidr.parse("10.0.0.48/28")), second.prefixes());
        assertEquals(List.of(Ipv4Address.parse("10.0.0.10"), Ipv4Address.parse("10.0.0.11")), all.getFirst().localIpv4s());
        assertEquals(List.of(), all.getFirst().prefixes());
        assertEquals(List.of(Cidr.parse("10.0.0.0/16"), Cidr.parse("100.64.0.0/16")), second.vpcCidrs());
    }

    @Test
    void expiredToken_isRenewedOnce() throws Exception {
        imds.identity();
        server.validToken = "token-2";

        assertEquals("i-0123456789abcdef0", imds.identity().instanceId());
        assertEquals(2, server.tokens.get());
    }

    @Test
    void garbageInstanceId_isFatalNamingPathAndValue() {
        server.paths.put("instance-id", "<html>captive portal</html>");

        var e = assertThrows(CloudException.Fatal.class, imds::identity);

        assertTrue(e.getMessage().contains("instance-id") && e.getMessage().contains("captive portal"), e.getMessage());
        assertFalse(e.retryable());
    }

    @Test
    void garbageAddress_isFatalNamingThePath() {
        server.paths.put("network/interfaces/macs/" + FakeImds.MAC2 + "/local-ipv4s", "10.0.0.300");

        var e = assertThrows(CloudException.Fatal.class, imds::interfaces);

        assertTrue(e.getMessage().contains(FakeImds.MAC2), e.getMessage());
    }

    @Test
    void missingPath_isFatalSayingHowToRunWithoutMetadata() {
        server.paths.remove("instance-type");

        var e = assertThrows(CloudException.Fatal.class, imds::identity);

        assertTrue(e.getMessage().contains("instance-type") && e.getMessage().contains(AwsSettings.INSTANCE_ID),
                e.getMessage());
    }

    @Test
    void unreachable_isTransientFatalNamingTheEndpoint() {
        Imds nowhere = new Imds(URI.create("http://127.0.0.1:9"), Duration.ofMillis(500));

        var e = assertThrows(CloudException.Fatal.class, nowhere::identity);

        assertTrue(e.retryable());
        assertTrue(e.getMessage().contains("127.0.0.1:9"), e.getMessage());
    }

    @Test
    void factory_withoutInstanceIdOrRegion_takesBothFromMetadata() throws Exception {
        var p = (AwsProvider) new AwsProviderFactory().create(Fixtures.context(Map.of(
                AwsSettings.IMDS_ENDPOINT, server.endpoint().toString(),
                "AWS_ACCESS_KEY_ID", "test", "AWS_SECRET_ACCESS_KEY", "test"), null));

        assertEquals("i-0123456789abcdef0", p.instanceId());
        p.close();
    }
}
