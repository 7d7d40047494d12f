package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Main Mode and Quick Mode over every DH group (2, 14, 15, 19, 20, 31), every phase-1 cipher (AES-CBC 128/192/256,
 * 3DES) and hash (SHA-1, SHA-2 256/384/512), and the data path's ESP and AH transforms, with and without PFS, in
 * tunnel and transport mode, each initiated once by A and once by B:
 * <pre>
 * HDR, SA, VID --&gt;  &lt;-- HDR, SA, VID   HDR, KE, Ni --&gt;  &lt;-- HDR, KE, Nr   HDR*, IDii, HASH_I --&gt;  &lt;-- HDR*, IDir, HASH_R
 * HDR*, HASH(1), SA, Ni [, KE], IDci, IDcr --&gt;  &lt;-- HDR*, HASH(2), SA, Nr [, KE], IDci, IDcr   HDR*, HASH(3) --&gt;
 * </pre>
 * Both kernels end with one SA pair whose keys match across the two sides, of the algorithms proposed.
 */
class SuitesTest {

    @ParameterizedTest(name = "{0} / {1} {2} {3}")
    @CsvSource({
        "aes128-sha1-modp1024,       aes128gcm16-modp2048,       ESP, TUNNEL,    aes-gcm-16,        none",
        "aes256-sha256-modp2048,     aes256gcm16,                ESP, TUNNEL,    aes-gcm-16,        none",
        "3des-sha384-modp3072,       aes128-sha256,              ESP, TUNNEL,    aes-cbc,           hmac-sha2-256-128",
        "aes128-sha512-ecp256,       aes256-sha512-ecp256,       ESP, TUNNEL,    aes-cbc,           hmac-sha2-512-256",
        "aes256-sha256-ecp384,       3des-sha1-modp1024,         ESP, TUNNEL,    3des-cbc,          hmac-sha1-96",
        "aes192-sha1-curve25519,     chacha20poly1305-curve25519, ESP, TUNNEL,   chacha20-poly1305, none",
        "aes128-sha256-modp2048,     null-sha256,                ESP, TUNNEL,    null,              hmac-sha2-256-128",
        "aes128-sha256-modp2048,     aes192-sha384,              ESP, TRANSPORT, aes-cbc,           hmac-sha2-384-192",
        "aes256-sha1-modp2048,       sha256,                     AH,  TUNNEL,    none,              hmac-sha2-256-128",
        "3des-sha1-modp1024,         sha1-modp2048,              AH,  TRANSPORT, none,              hmac-sha1-96",
    })
    void bothRolesInstallMatchingKeys(String ike, String esp, IpsecProtocol protocol, SaMode mode, String enc,
                                      String integ) {
        for (boolean aInitiates : new boolean[] {true, false}) {
            Gateways g = new Gateways();
            Conn a = mode == SaMode.TRANSPORT ? Conn.of("192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.2")
                    : Gateways.forA();
            Conn b = mode == SaMode.TRANSPORT ? Conn.of("192.0.2.2", "192.0.2.1", "192.0.2.2", "192.0.2.1")
                    : Gateways.forB();
            g.configure(a.ike(ike).esp(esp).protocol(protocol).mode(mode),
                    b.ike(ike).esp(esp).protocol(protocol).mode(mode));
            IkeResult r = g.initiate(aInitiates ? g.a : g.b);
            String where = ike + " " + esp + (aInitiates ? " A->B" : " B->A");
            assertTrue(r.ok(), where + ": " + r.message());
            SecurityAssociation aIn = Gateways.one(g.a, Direction.INBOUND);
            SecurityAssociation aOut = Gateways.one(g.a, Direction.OUTBOUND);
            SecurityAssociation bIn = Gateways.one(g.b, Direction.INBOUND);
            SecurityAssociation bOut = Gateways.one(g.b, Direction.OUTBOUND);
            assertEquals(aIn.spi(), bOut.spi(), where);
            assertEquals(bIn.spi(), aOut.spi(), where);
            for (SecurityAssociation[] p : new SecurityAssociation[][] {{aIn, bOut}, {bIn, aOut}}) {
                assertEquals(enc, p[0].keys().encryptionAlgorithm(), where);
                assertEquals(integ, p[0].keys().integrityAlgorithm(), where);
                assertEquals(protocol, p[0].protocol(), where);
                assertEquals(mode, p[0].mode(), where);
                assertArrayEquals(p[0].keys().encryptionKey(), p[1].keys().encryptionKey(), where);
                assertArrayEquals(p[0].keys().integrityKey(), p[1].keys().integrityKey(), where);
            }
            assertEquals(0, g.a.events.totalDrops() + g.b.events.totalDrops(), where + " " + g.a.events.drops
                    + g.b.events.drops);
            assertEquals(9, g.wire.log.size(), where);
        }
    }
}
