package net.poolsa.ike.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * IKE log lines print endpoints as the configuration and {@code status} write addresses, so an operator can search
 * for what they configured: no leading slash, IPv6 compressed (RFC 5952) in brackets before the port, no scope. The
 * IPv6 case is the one seen against strongSwan, an address with scope 0 from the socket:
 * {@code /[2001:db8:100:1:0:0:0:2%0]:500} before.
 */
class EndpointsTest {
    @Test
    void ipv4IsTheDottedQuadAndThePort() throws Exception {
        assertEquals("192.0.2.1:500", Endpoints.text(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 500)));
        assertEquals("192.0.2.1", Endpoints.text(InetAddress.getByName("192.0.2.1")));
    }

    @Test
    void ipv6IsCompressedInBracketsWithoutItsScope() throws Exception {
        byte[] b = InetAddress.getByName("2001:db8:100:1::2").getAddress();
        InetSocketAddress scoped = new InetSocketAddress(Inet6Address.getByAddress(null, b, 0), 500);
        assertEquals("/[2001:db8:100:1:0:0:0:2%0]:500", scoped.toString(), "what the JDK prints");
        assertEquals("[2001:db8:100:1::2]:500", Endpoints.text(scoped));
        assertEquals("[2001:db8::1]:4500", Endpoints.text(new InetSocketAddress(InetAddress.getByName("2001:db8:0:0::1"), 4500)));
        assertEquals("2001:db8:100:1::2", Endpoints.text(Inet6Address.getByAddress(null, b, 0)));
    }

    @Test
    void nothingIsADash() {
        assertEquals("-", Endpoints.text((InetSocketAddress) null));
        assertEquals("-", Endpoints.text((InetAddress) null));
    }
}
