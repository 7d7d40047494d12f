package net.poolsa.ike.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.auth.AuthenticationRefusal.Reason;
import net.poolsa.ike.auth.TestPki.Issued;
import net.poolsa.ike.message.NotifyType;

/**
 * RFC 3554 §4 for certificate-authenticated peers: a claimed pool is accepted only where the certificate's
 * subjectAltName iPAddress entries or the connection's grant cover every address of it, and a refusal names exactly
 * the addresses not covered. Includes the paper's dual-homed client with two networks, and IPv6.
 */
class PoolEntitlementTest {
    static Issued root;
    static TrustStore trust;

    @BeforeAll
    static void pki() throws Exception {
        root = TestPki.root("CN=root");
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("pool-entitlement");
        trust = TrustStore.load(List.of(TestPki.write(dir.resolve("ca.pem"), root.cert())), List.of());
    }

    private static PeerCertificate peer(TestPki.Spec spec) throws Exception {
        return new PeerValidator(trust, Clock.fixed(TestPki.NOW, ZoneOffset.UTC), RevocationPolicy.CHECK_CONFIGURED)
                .validate(List.of(spec.sign(root).cert()));
    }

    private static AuthenticationRefusal refused(PoolEntitlement e, PeerCertificate p, AddressPool claimed) {
        AuthenticationRefusal r = assertThrows(AuthenticationRefusal.class, () -> e.check(p, "protected pool", claimed));
        assertEquals(Reason.POOL_NOT_COVERED, r.reason());
        assertEquals(NotifyType.INVALID_ID_INFORMATION, r.notifyType());
        return r;
    }

    @Test
    void poolCoveredBySubjectAltNameIsAccepted() throws Exception {
        PeerCertificate p = peer(TestPki.cert("CN=gw").ip("192.0.2.1").ipNet("198.51.100.0", "255.255.255.0"));
        assertEquals(AddressPool.parse("192.0.2.1", "198.51.100.0/24"), p.addresses());
        PoolEntitlement byCert = new PoolEntitlement(AddressPool.EMPTY);
        byCert.check(p, "protected pool", AddressPool.parse("198.51.100.0/24"));
        byCert.check(p, "protected pool", AddressPool.parse("198.51.100.64/26", "198.51.100.200-198.51.100.210"));
        byCert.check(p, "outer pool", AddressPool.parse("192.0.2.1"));
    }

    @Test
    void poolNotCoveredIsRefusedNamingTheUncoveredAddresses() throws Exception {
        PeerCertificate p = peer(TestPki.cert("CN=gw").ipNet("198.51.100.0", "255.255.255.128"));
        PoolEntitlement byCert = new PoolEntitlement(AddressPool.EMPTY);
        AuthenticationRefusal r = refused(byCert, p, AddressPool.parse("198.51.100.0/24"));
        assertEquals(AddressPool.parse("198.51.100.128/25"), r.uncovered());
        assertEquals("peer 'CN=gw' (serial 0x" + p.certificate().getSerialNumber().toString(16) + ") claims protected "
                + "pool [198.51.100.0/24]: [198.51.100.128/25] is neither in its certificate's subjectAltName "
                + "[198.51.100.0/25] nor granted by the connection [(empty)]", r.getMessage());
        // a single address outside
        r = refused(byCert, p, AddressPool.parse("198.51.100.0/25", "203.0.113.9"));
        assertEquals(AddressPool.parse("203.0.113.9"), r.uncovered());
        assertTrue(r.getMessage().contains("[203.0.113.9/32] is neither"), r.getMessage());
    }

    @Test
    void theConnectionsGrantAddsToTheCertificate() throws Exception {
        PeerCertificate p = peer(TestPki.cert("CN=gw").ip("192.0.2.1"));
        PoolEntitlement granted = new PoolEntitlement(AddressPool.parse("203.0.113.0/24"));
        granted.check(p, "protected pool", AddressPool.parse("203.0.113.0/25", "192.0.2.1"));
        AuthenticationRefusal r = refused(granted, p, AddressPool.parse("192.0.2.0-192.0.2.2", "203.0.113.0/24"));
        assertEquals(AddressPool.parse("192.0.2.0", "192.0.2.2"), r.uncovered());
        assertTrue(r.getMessage().endsWith("nor granted by the connection [203.0.113.0/24]"), r.getMessage());
        // a certificate with no iPAddress entry: only the grant counts
        PeerCertificate bare = peer(TestPki.cert("CN=bare").dns("bare.example.org"));
        assertEquals(AddressPool.EMPTY, bare.addresses());
        granted.check(bare, "protected pool", AddressPool.parse("203.0.113.7"));
        assertEquals(AddressPool.parse("192.0.2.1"), refused(granted, bare, AddressPool.parse("192.0.2.1")).uncovered());
    }

    /** The paper's Fig. 10 client: one protected pool of two networks (one per uplink) in one SA. */
    @Test
    void twoNetworksOfTheDualHomedClient() throws Exception {
        PeerCertificate client = peer(TestPki.cert("CN=client").ipNet("192.0.2.0", "255.255.255.0")
                .ipNet("198.51.100.0", "255.255.255.0"));
        PoolEntitlement byCert = new PoolEntitlement(AddressPool.EMPTY);
        AddressPool both = AddressPool.parse("192.0.2.0/24", "198.51.100.0/24");
        assertEquals(2, both.v4RangeCount());
        byCert.check(client, "protected pool", both);
        byCert.check(client, "outer pool", AddressPool.parse("192.0.2.10", "198.51.100.10"));
        // a third network on top: only it is named
        AuthenticationRefusal r = refused(byCert, client, both.union(AddressPool.parse("203.0.113.0/24")));
        assertEquals(AddressPool.parse("203.0.113.0/24"), r.uncovered());
        // a certificate for one uplink only does not cover the other
        PeerCertificate oneUplink = peer(TestPki.cert("CN=client").ipNet("192.0.2.0", "255.255.255.0"));
        assertEquals(AddressPool.parse("198.51.100.0/24"), refused(byCert, oneUplink, both).uncovered());
    }

    @Test
    void ipv6AddressesAndNetworks() throws Exception {
        PeerCertificate p = peer(TestPki.cert("CN=v6").ip("2001:db8::1")
                .ipNet("2001:db8:1::", "ffff:ffff:ffff:ffff::"));
        assertEquals(AddressPool.parse("2001:db8::1", "2001:db8:1::/64"), p.addresses());
        PoolEntitlement byCert = new PoolEntitlement(AddressPool.EMPTY);
        byCert.check(p, "protected pool", AddressPool.parse("2001:db8:1::/80", "2001:db8::1"));
        AuthenticationRefusal r = refused(byCert, p, AddressPool.parse("2001:db8:1::/63"));
        assertEquals(AddressPool.parse("2001:db8:1:1::/64"), r.uncovered());
        assertTrue(r.getMessage().contains("[2001:db8:1:1::/64] is neither"), r.getMessage());
        // mixed families: the IPv4 half is not covered
        r = refused(byCert, p, AddressPool.parse("2001:db8::1", "192.0.2.0/30"));
        assertEquals(AddressPool.parse("192.0.2.0/30"), r.uncovered());
    }

    @Test
    void addressPlusMaskEntriesAsDecided() throws Exception {
        // host bits under the mask are cleared: the entry is the whole network
        PeerCertificate p = peer(TestPki.cert("CN=hostbits").ipNet("198.51.100.77", "255.255.255.0"));
        assertEquals(AddressPool.parse("198.51.100.0/24"), p.addresses());
        // a non-contiguous mask grants nothing, and the refusal says it was ignored
        PeerCertificate odd = peer(TestPki.cert("CN=odd").ip("192.0.2.1").ipNet("198.51.100.0", "255.0.255.0"));
        assertEquals(AddressPool.parse("192.0.2.1"), odd.addresses());
        assertEquals(List.of("198.51.100.0/255.0.255.0 (mask not contiguous)"), odd.unusableAddressEntries());
        AuthenticationRefusal r = refused(new PoolEntitlement(AddressPool.EMPTY), odd, AddressPool.parse("198.51.100.0/24"));
        assertTrue(r.getMessage().contains("[192.0.2.1/32] (ignored: 198.51.100.0/255.0.255.0 (mask not contiguous))"),
                r.getMessage());
        // a network entry is no address identity
        assertThrows(AuthenticationRefusal.class, () -> p.checkIdentity(
                Identity.parse("198.51.100.0").toPayload(), null));
    }

    /** {@link PoolEntitlement#minus} against a brute-force set difference over a small address space. */
    @Test
    void minusMatchesBruteForce() {
        Random rnd = new Random(12);
        for (int round = 0; round < 200; round++) {
            AddressPool a = randomPool(rnd);
            AddressPool b = randomPool(rnd);
            AddressPool.Builder expected = AddressPool.builder();
            for (int i = 0; i < 64; i++) {
                byte[] addr = {(byte) 192, 0, 2, (byte) i};
                if (a.contains(addr) && !b.contains(addr)) {
                    expected.add("192.0.2." + i);
                }
            }
            assertEquals(expected.build(), PoolEntitlement.minus(a, b), a + " minus " + b);
        }
        assertEquals(AddressPool.ANY_V6, PoolEntitlement.minus(AddressPool.ANY, AddressPool.ANY_V4));
        assertEquals(AddressPool.EMPTY, PoolEntitlement.minus(AddressPool.ANY, AddressPool.ANY));
        assertEquals(BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE),
                PoolEntitlement.minus(AddressPool.ANY_V4, AddressPool.parse("0.0.0.0")).size());
    }

    private static AddressPool randomPool(Random rnd) {
        AddressPool.Builder b = AddressPool.builder();
        for (int i = rnd.nextInt(4); i > 0; i--) {
            int first = rnd.nextInt(64);
            int last = Math.min(63, first + rnd.nextInt(12));
            b.add("192.0.2." + first + "-192.0.2." + last);
        }
        return b.build();
    }
}
