package net.poolsa.esp.netns;

import org.junit.jupiter.api.Tag;

/**
 * Needs root: the whole of {@link TwoGatewaysNetnsTest} (ICMP, TCP and UDP over IPv4 and IPv6, only ESP
 * on the middle links as tshark decrypts it, failover, forged sources, clean stop) with both gateways
 * using a TUN device as the divert sink ({@code --sink-kind tun}): cleartext read from the TUN device,
 * decapsulated packets written back into it instead of raw-socket re-injection.
 */
@Tag("root")
class TwoGatewaysTunNetnsTest extends TwoGatewaysNetnsTest {
    @Override
    String sinkKind() {
        return "tun";
    }

    @Override
    String labSuffix() {
        return "-tun";
    }
}
