package net.poolsa.ike.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;

import net.poolsa.ike.auth.TestPki.Issued;

/**
 * The throwaway PKI of {@code strongswan-certs/capture-certs.sh}, made with Bouncy Castle: a root CA, an RSA
 * intermediate, and for each variant an initiator (a) and a responder (b) certificate whose subjectAltName holds
 * the gateway's IKE address, its protected network (address+mask, the form pool ownership reads), and for p256 a
 * dNSName. Valid from a day before {@code now} for ten years, so that charon accepts them when the capture runs.
 */
final class CapturePki {
    private CapturePki() {
    }

    /** Writes ca.pem, ca.key, intermediate.pem, intermediate.key and VARIANT-SIDE.pem/.key (PKCS#8) into {@code dir}. */
    static void write(Path dir, Instant now) throws IOException {
        Files.createDirectories(dir);
        Instant from = now.minus(Duration.ofDays(1));
        Instant to = now.plus(Duration.ofDays(3650));
        Issued root = TestPki.cert("CN=poolsa capture root,O=poolsa test,C=CH").keys(TestPki.rsa(2048)).ca(-1)
                .validity(from, to).selfSigned();
        Issued intermediate = TestPki.cert("CN=poolsa capture intermediate,O=poolsa test,C=CH").keys(TestPki.rsa(2048))
                .ca(0).validity(from, to).sign(root);
        TestPki.write(dir.resolve("ca.pem"), root.cert());
        TestPki.write(dir.resolve("ca.key"), root.key());
        TestPki.write(dir.resolve("intermediate.pem"), intermediate.cert());
        TestPki.write(dir.resolve("intermediate.key"), intermediate.key());
        for (int k = 1; k <= 3; k++) {
            String v = StrongSwanSignatureCheck.VARIANTS.get(k - 1).name();
            for (String side : new String[] {"a", "b"}) {
                boolean a = side.equals("a");
                KeyPair keys = k == 1 ? TestPki.rsa(2048) : TestPki.ec(k == 2 ? "secp256r1" : "secp384r1");
                TestPki.Spec s = TestPki.cert("CN=gw-" + side + " " + v + ",O=poolsa test,C=CH").keys(keys)
                        .validity(from, to).ip("192.0.2." + ((a ? 10 : 20) + k))
                        .ipNet((a ? "198.51.100." : "203.0.113.") + 16 * k, "255.255.255.240");
                if (k == 2) {
                    s.dns("gw-" + side + ".p256.example.org");
                }
                Issued c = s.sign(k == 1 ? intermediate : root);
                TestPki.write(dir.resolve(v + "-" + side + ".pem"), c.cert());
                TestPki.write(dir.resolve(v + "-" + side + ".key"), c.key());
            }
        }
    }
}
