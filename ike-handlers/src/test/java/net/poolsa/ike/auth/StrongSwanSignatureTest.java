package net.poolsa.ike.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IKEv1 signatures against strongSwan 5.9.8, from the capture in {@code strongswan-certs/} (README there): two
 * charons authenticated each other with certificates of a throwaway test CA in Main Mode, with RSA (the certificates
 * under an intermediate CA, subject DNs as IDs), ECDSA P-256 (dNSName IDs) and ECDSA P-384 (address IDs). For each,
 * {@link StrongSwanSignatureCheck} recomputes SKEYID, Ka, HASH_I and HASH_R from the datagrams and the logged g^xy,
 * decrypts Main Mode 5 and 6 with poolsa's code, validates the certificates strongSwan sent against the test CA,
 * matches its IDs to them, and verifies its SIG_I and SIG_R; a flipped byte of a signature or a hash is refused.
 * {@link StrongSwanSignatureLiveTest} does the same on a fresh capture.
 */
class StrongSwanSignatureTest {
    static StrongSwanSignatureCheck check;
    static Path capture;

    @BeforeAll
    static void load() throws Exception {
        capture = Path.of(StrongSwanSignatureTest.class.getResource("/strongswan-certs/datagrams.txt").toURI()).getParent();
        check = new StrongSwanSignatureCheck(capture, capture.resolve("pki"));
    }

    @Test
    void captureIsStrongSwan598AuthenticatingWithNullSchemes() throws Exception {
        for (String log : new String[] {"initiator.log", "responder.log"}) {
            String text = Files.readString(capture.resolve(log), StandardCharsets.ISO_8859_1);
            assertTrue(text.contains("Starting IKE charon daemon (strongSwan 5.9.8,"), log);
            // charon names the schemes: PKCS#1 v1.5 without DigestInfo, ECDSA over the hash as given
            assertEquals(1, count(text, "with RSA_EMSA_PKCS1_NULL successful"), log);
            assertEquals(2, count(text, "with ECDSA_WITH_NULL successful"), log);
        }
    }

    @Test
    void rsaUnderAnIntermediateWithDnIds() throws Exception {
        check.checkWithRefusals(StrongSwanSignatureCheck.VARIANTS.get(0));
    }

    @Test
    void ecdsaP256WithFqdnIds() throws Exception {
        check.checkWithRefusals(StrongSwanSignatureCheck.VARIANTS.get(1));
    }

    @Test
    void ecdsaP384WithAddressIds() throws Exception {
        check.checkWithRefusals(StrongSwanSignatureCheck.VARIANTS.get(2));
    }

    /** A CRL of the test CA (made now, with the CA key saved beside the capture) that lists charon's certificate. */
    @Test
    void revokedStrongSwanCertificateIsRefused(@TempDir Path dir) throws Exception {
        check.revokedInitiatorIsRefused(StrongSwanSignatureCheck.VARIANTS.get(0), dir);
        check.revokedInitiatorIsRefused(StrongSwanSignatureCheck.VARIANTS.get(1), dir);
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
