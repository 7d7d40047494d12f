package net.poolsa.ike.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.auth.AuthenticationRefusal.Reason;
import net.poolsa.ike.auth.TestPki.Issued;
import net.poolsa.ike.crypto.HashAlgorithm;
import net.poolsa.ike.crypto.IkeCipher;
import net.poolsa.ike.crypto.Phase1Keys;
import net.poolsa.ike.crypto.Phase1Suite;
import net.poolsa.ike.crypto.Phase1Values;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.SignaturePayload;

/**
 * Main Mode 5 and 6 with signatures, both ends in one process (RFC 2409 §5.1), with HASH_I and HASH_R from
 * {@link Phase1Keys#signatures}:
 * <pre>
 * HDR*, IDii, CERT, SIG_I  --&gt;     the responder authenticates the initiator
 *      &lt;--  HDR*, IDir, CERT, SIG_R     the initiator authenticates the responder
 * </pre>
 * then what each refusal looks like: a tampered SIG, an ID the certificate does not hold or that is not the
 * configured one, a certificate of the wrong key type or from another CA, none at all, and a pool claim beyond the
 * certificate.
 */
class CertificateAuthenticatorTest {
    private static final Phase1Suite SUITE = new Phase1Suite(HashAlgorithm.SHA2_256, IkeCipher.AES_CBC, 128);

    @TempDir
    Path dir;

    private final Issued root = TestPki.root("CN=poolsa root,O=poolsa,C=CH");
    private final Random rnd = new Random(5);

    private byte[] random(int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    /** One end: credentials for {@code subject} with {@code keys}, trusting {@code root}. */
    private CertificateAuthenticator end(String name, KeyPair keys, TestPki.Spec spec, String localId, String expectedRemote)
            throws Exception {
        Issued cert = spec.keys(keys).sign(root);
        LocalCredentials ours = LocalCredentials.load(TestPki.write(dir.resolve(name + ".pem"), cert.cert()),
                TestPki.write(dir.resolve(name + ".key"), cert.key()));
        TrustStore trust = TrustStore.load(List.of(TestPki.write(dir.resolve("ca.pem"), root.cert())), List.of());
        PeerValidator v = new PeerValidator(trust, Clock.fixed(TestPki.NOW, ZoneOffset.UTC), RevocationPolicy.CHECK_CONFIGURED);
        return new CertificateAuthenticator(ours, trust, v, localId, expectedRemote, AddressPool.EMPTY);
    }

    private static byte[] body(IdentificationPayload id) {
        ByteBuf b = Unpooled.buffer();
        try {
            id.encode(b);
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            return out;
        } finally {
            b.release();
        }
    }

    private Phase1Keys keys() {
        return Phase1Keys.signatures(SUITE, new Phase1Values(random(8), random(8), random(32), random(32), random(256),
                random(256)), random(256));
    }

    private void mainMode(CertificateAuthenticator i, CertificateAuthenticator r) throws Exception {
        assertEquals(i.method(), r.method(), "both ends propose the same Authentication Method");
        Phase1Keys keys = keys();
        byte[] saiB = random(60);
        // HDR*, IDii, CERT, SIG_I -->
        IdentificationPayload idii = i.identification();
        SignaturePayload sigI = i.sign(keys.hashI(saiB, body(idii)));
        PeerCertificate initiator = r.authenticate(idii, i.certificates(), r.method(), keys.hashI(saiB, body(idii)), sigI);
        // <-- HDR*, IDir, CERT, SIG_R
        IdentificationPayload idir = r.identification();
        SignaturePayload sigR = r.sign(keys.hashR(saiB, body(idir)));
        PeerCertificate responder = i.authenticate(idir, r.certificates(), i.method(), keys.hashR(saiB, body(idir)), sigR);
        assertEquals(Identity.of(idii), Identity.of(initiator.checkIdentity(idii, null).toPayload()));
        assertEquals(Identity.of(idir), Identity.of(responder.checkIdentity(idir, null).toPayload()));
        // SIG_I is no SIG_R: the hashes differ in order and ID
        assertThrows(AuthenticationRefusal.class,
                () -> i.authenticate(idii, i.certificates(), i.method(), keys.hashR(saiB, body(idii)), sigI));
    }

    @Test
    void rsaBothWaysWithDnIds() throws Exception {
        mainMode(end("a", TestPki.rsa(2048), TestPki.cert("CN=gw-a,O=poolsa,C=CH"), null, "C=CH, O=poolsa, CN=gw-b"),
                end("b", TestPki.rsa(2048), TestPki.cert("CN=gw-b,O=poolsa,C=CH"), null, "C=CH, O=poolsa, CN=gw-a"));
    }

    @Test
    void ecdsaP256WithFqdnIdsAndP384WithAddressIds() throws Exception {
        mainMode(end("a", TestPki.ec("secp256r1"), TestPki.cert("CN=a").dns("a.example.org"), "a.example.org", "b.example.org"),
                end("b", TestPki.ec("secp256r1"), TestPki.cert("CN=b").dns("b.example.org"), "b.example.org", null));
        mainMode(end("c", TestPki.ec("secp384r1"), TestPki.cert("CN=c").ip("192.0.2.1"), "192.0.2.1", "2001:db8::2"),
                end("d", TestPki.ec("secp384r1"), TestPki.cert("CN=d").ip("2001:db8::2"), "2001:db8::2", "192.0.2.1"));
    }

    @Test
    void refusals() throws Exception {
        CertificateAuthenticator a = end("a", TestPki.ec("secp256r1"), TestPki.cert("CN=a").dns("a.example.org")
                .ipNet("198.51.100.0", "255.255.255.0"), "a.example.org", null);
        CertificateAuthenticator b = end("b", TestPki.ec("secp256r1"), TestPki.cert("CN=b").dns("b.example.org"),
                "b.example.org", "a.example.org");
        Phase1Keys keys = keys();
        byte[] saiB = random(48);
        IdentificationPayload idii = a.identification();
        byte[] hashI = keys.hashI(saiB, body(idii));
        SignaturePayload sigI = a.sign(hashI);
        PeerCertificate peer = b.authenticate(idii, a.certificates(), b.method(), hashI, sigI);

        byte[] tampered = sigI.data().toByteArray();
        tampered[5] ^= 0x10;
        AuthenticationRefusal e = assertThrows(AuthenticationRefusal.class,
                () -> b.authenticate(idii, a.certificates(), b.method(), hashI, new SignaturePayload(tampered)));
        assertEquals(Reason.BAD_SIGNATURE, e.reason());
        assertEquals(NotifyType.INVALID_SIGNATURE, e.notifyType());
        assertTrue(e.getMessage().contains("ECDSA-256 (P-256) SIG payload of 'CN=a'") && e.getMessage().contains(
                "64 bytes received, 64 expected"), e.getMessage());

        // an ID the certificate does not hold, signed correctly over it
        IdentificationPayload lie = Identity.parse("c.example.org").toPayload();
        e = assertThrows(AuthenticationRefusal.class, () -> b.authenticate(lie, a.certificates(), b.method(),
                keys.hashI(saiB, body(lie)), a.sign(keys.hashI(saiB, body(lie)))));
        assertEquals(Reason.ID_MISMATCH, e.reason());
        assertEquals(NotifyType.AUTHENTICATION_FAILED, e.notifyType());
        assertTrue(e.getMessage().contains("'c.example.org' is not in its certificate 'CN=a'")
                && e.getMessage().contains("DNS:a.example.org"), e.getMessage());

        // an ID the certificate holds, but not the one b's connection names
        CertificateAuthenticator c = end("c", TestPki.ec("secp256r1"), TestPki.cert("CN=c").dns("c.example.org"),
                "c.example.org", null);
        IdentificationPayload idc = c.identification();
        e = assertThrows(AuthenticationRefusal.class, () -> b.authenticate(idc, c.certificates(), b.method(),
                keys.hashI(saiB, body(idc)), c.sign(keys.hashI(saiB, body(idc)))));
        assertEquals(Reason.ID_MISMATCH, e.reason());
        assertTrue(e.getMessage().contains("not the configured remote identity 'a.example.org'"), e.getMessage());

        // the negotiated method does not fit the certificate's key
        e = assertThrows(AuthenticationRefusal.class,
                () -> b.authenticate(idii, a.certificates(), SignatureMethod.RSA, hashI, sigI));
        assertEquals(Reason.WRONG_KEY_TYPE, e.reason());
        assertTrue(e.getMessage().contains("holds a secp256r1 key"), e.getMessage());

        // a certificate of another CA, and none
        Issued stranger = TestPki.cert("CN=a").dns("a.example.org").sign(TestPki.root("CN=poolsa root,O=poolsa,C=CH"));
        e = assertThrows(AuthenticationRefusal.class, () -> b.authenticate(idii,
                CertificatePayloads.encode(List.of(stranger.cert())), b.method(), hashI, sigI));
        assertEquals(Reason.UNTRUSTED, e.reason());
        e = assertThrows(AuthenticationRefusal.class, () -> b.authenticate(idii, List.of(), b.method(), hashI, sigI));
        assertEquals(NotifyType.CERTIFICATE_UNAVAILABLE, e.notifyType());

        // Quick Mode: the pool its certificate names, not more
        b.checkClaim(peer, "protected pool", AddressPool.parse("198.51.100.0/25"));
        e = assertThrows(AuthenticationRefusal.class,
                () -> b.checkClaim(peer, "protected pool", AddressPool.parse("198.51.100.0/23")));
        assertEquals(AddressPool.parse("198.51.101.0/24"), e.uncovered());
    }
}
