package net.poolsa.ike.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import net.poolsa.ike.auth.TestPki.Issued;
import net.poolsa.ike.message.IdType;
import net.poolsa.ike.message.IdentificationPayload;

/** Phase-1 identities a certificate proves (RFC 4945 §3.1): text forms, ID payloads, matching against certificates. */
class IdentityTest {
    static final Issued GW = TestPki.cert("CN=gw,O=poolsa,C=CH").dns("gw.example.org").email("Ops@Example.org")
            .ip("192.0.2.1").ip("2001:db8::1").selfSigned();

    @Test
    void textFormsAreStrongSwans() {
        assertEquals(Identity.Kind.DN, Identity.parse("C=CH, O=poolsa, CN=gw").kind());
        assertEquals(Identity.Kind.FQDN, Identity.parse("gw.example.org").kind());
        assertEquals(Identity.Kind.FQDN, Identity.parse("@gw").kind());
        assertEquals(Identity.Kind.USER_FQDN, Identity.parse("ops@example.org").kind());
        assertEquals(Identity.Kind.ADDRESS, Identity.parse("192.0.2.1").kind());
        assertEquals(Identity.Kind.ADDRESS, Identity.parse("2001:db8::1").kind());
        assertThrows(IllegalArgumentException.class, () -> Identity.parse(" "));
        assertThrows(IllegalArgumentException.class, () -> Identity.parse("XYZ=1"));
        assertThrows(IllegalArgumentException.class, () -> Identity.parse("192.0.2.300"));
        // a DN is written most significant RDN first, and prints back so
        assertEquals("C=CH,O=poolsa,CN=gw", Identity.parse("C=CH, O=poolsa, CN=gw").toString());
        assertEquals(Identity.subjectOf(GW.cert()), Identity.parse("C=CH,O=poolsa,CN=gw"));
        assertNotEquals(Identity.subjectOf(GW.cert()), Identity.parse("CN=gw,O=poolsa,C=CH"), "RDN order matters");
    }

    @Test
    void payloadsCarryTheIdentity() {
        IdentificationPayload dn = Identity.parse("C=CH, O=poolsa, CN=gw").toPayload();
        assertEquals(IdType.ID_DER_ASN1_DN, dn.idType());
        // the same name; its string types may differ from the certificate's (LocalCredentials sends the certificate's bytes)
        assertEquals(GW.cert().getSubjectX500Principal(), new javax.security.auth.x500.X500Principal(dn.data()));
        assertEquals(0, dn.protocolId());
        assertEquals(0, dn.port());
        assertArrayEquals("gw.example.org".getBytes(StandardCharsets.US_ASCII), Identity.parse("gw.example.org").toPayload().data());
        assertEquals(IdType.ID_USER_FQDN, Identity.parse("ops@example.org").toPayload().idType());
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 1}, Identity.parse("192.0.2.1").toPayload().data());
        assertEquals(IdType.ID_IPV6_ADDR, Identity.parse("2001:db8::1").toPayload().idType());
        for (String s : new String[] {"C=CH, O=poolsa, CN=gw", "gw.example.org", "ops@example.org", "192.0.2.1", "2001:db8::1"}) {
            assertEquals(Identity.parse(s), Identity.of(Identity.parse(s).toPayload()), s);
        }
        assertNull(Identity.of(IdentificationPayload.keyId(new byte[] {1, 2})), "ID_KEY_ID proves nothing here");
    }

    @Test
    void heldByTheCertificate() {
        assertTrue(Identity.parse("C=CH, O=poolsa, CN=gw").heldBy(GW.cert()));
        assertTrue(Identity.parse("GW.Example.ORG").heldBy(GW.cert()), "dNSName case-insensitive");
        assertTrue(Identity.parse("Ops@EXAMPLE.ORG").heldBy(GW.cert()), "domain case-insensitive");
        assertFalse(Identity.parse("ops@example.org").heldBy(GW.cert()), "local part exact");
        assertTrue(Identity.parse("192.0.2.1").heldBy(GW.cert()));
        assertTrue(Identity.parse("2001:db8:0::1").heldBy(GW.cert()));
        assertFalse(Identity.parse("192.0.2.2").heldBy(GW.cert()));
        assertFalse(Identity.parse("other.example.org").heldBy(GW.cert()));
        assertFalse(Identity.parse("C=CH, O=poolsa, CN=other").heldBy(GW.cert()));
        assertFalse(Identity.parse("*.example.org").heldBy(GW.cert()), "no wildcards");
    }
}
