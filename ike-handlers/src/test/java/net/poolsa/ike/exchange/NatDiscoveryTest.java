package net.poolsa.ike.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.InetSocketAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.poolsa.ike.crypto.HashAlgorithm;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.message.NatDiscoveryPayload;

/**
 * NAT-D (RFC 3947 §3.2) against strongSwan 5.9.8's message 3 of {@code strongswan-capture} ("aes-mm3", 192.0.2.1:500
 * to 192.0.2.2:500, cookies 5c3e357ea40ecc62/e9e9da960c255178, SHA2-256): its first NAT-D, the hash of the
 * responder's address and port, is ours; its second is faked (encap = yes), as ours is under forced encapsulation.
 */
class NatDiscoveryTest {
    private static final long CI = 0x5c3e357ea40ecc62L;
    private static final long CR = 0xe9e9da960c255178L;
    private static final String THEIR_FIRST = "c80c279920c172044fc528f2a282fc981f0964002c79efad4a621fdae4930b53";
    private static final String THEIR_FAKED = "1872a1a893ece69fc269f921ef012874d133a8797059e0c17123b2a5affc83ba";

    @Test
    void ourHashesAreStrongSwans() {
        InetSocketAddress i = new InetSocketAddress("192.0.2.1", 500);
        InetSocketAddress r = new InetSocketAddress("192.0.2.2", 500);
        List<IsakmpPayload> real = NatDiscovery.payloads(HashAlgorithm.SHA2_256, CI, CR, i, r, false, false);
        assertEquals(THEIR_FIRST, ((NatDiscoveryPayload) real.get(0)).hash().toHex());
        List<IsakmpPayload> forced = NatDiscovery.payloads(HashAlgorithm.SHA2_256, CI, CR, i, r, true, false);
        assertEquals(THEIR_FIRST, ((NatDiscoveryPayload) forced.get(0)).hash().toHex());
        String ours = ((NatDiscoveryPayload) real.get(1)).hash().toHex();
        assertNotEquals(THEIR_FAKED, ours, "strongSwan faked its own: no NAT-D of 192.0.2.1:500");
        assertNotEquals(ours, ((NatDiscoveryPayload) forced.get(1)).hash().toHex(), "forced: ours is faked too");
    }
}
