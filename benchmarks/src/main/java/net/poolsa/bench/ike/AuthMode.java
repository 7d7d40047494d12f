package net.poolsa.bench.ike;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.auth.CertificateAuthenticator;
import net.poolsa.ike.auth.CredentialException;
import net.poolsa.ike.auth.LocalCredentials;
import net.poolsa.ike.auth.PeerValidator;
import net.poolsa.ike.auth.RevocationPolicy;
import net.poolsa.ike.auth.TrustStore;

/**
 * How the two peers of a pair authenticate in Main Mode, with its swanctl {@code local}/{@code remote} lines and
 * credentials and its part of a poolsa connection. Certificates come from a {@link BenchPki} made for the run.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.1">RFC 2409 §5.1 (signatures)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.4">RFC 2409 §5.4 (pre-shared key)</a>
 */
enum AuthMode {
    /** A pre-shared key, the same on all tunnels (a throwaway one, for the benchmark only). */
    PSK,
    /** Signatures with ECDSA P-256 certificates (RFC 4754; IKEv1 authentication method 9), one CA. */
    CERT,
    /** Signatures with RSA 2048 certificates (IKEv1 authentication method 3), one CA. */
    CERT_RSA;

    private static final String KEY = "poolsa-setup-benchmark-only-psk";

    boolean certificates() {
        return this != PSK;
    }

    /** Its name on the command line and in the results. */
    String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** The swanctl {@code local} (ours) or {@code remote} section body of the side {@code initiator}. */
    String swanctlAuth(boolean initiator, boolean local) {
        if (!certificates()) {
            return "auth = psk";
        }
        boolean initiatorCert = initiator == local;
        String id = initiatorCert ? BenchPki.INITIATOR_ID : BenchPki.RESPONDER_ID;
        return "auth = pubkey\n id = \"" + id + "\""
                + (local ? "\n certs = " + (initiatorCert ? "initiator" : "responder") + ".pem" : "");
    }

    /** The swanctl {@code secrets} section. */
    String swanctlSecrets() {
        return certificates() ? "" : "secrets { ike-bench { secret = \"" + KEY + "\" } }\n";
    }

    /** Puts the side's certificate, key and the CA where swanctl --load-all finds them (x509/, pkcs8/, x509ca/). */
    void installForSwanctl(BenchPki pki, Path swanctlDir, boolean initiator) throws java.io.IOException {
        if (!certificates()) {
            return;
        }
        String side = initiator ? "initiator" : "responder";
        Files.createDirectories(swanctlDir.resolve("x509"));
        Files.createDirectories(swanctlDir.resolve("x509ca"));
        Files.createDirectories(swanctlDir.resolve("pkcs8"));
        Files.copy(pki.certificate(initiator), swanctlDir.resolve("x509").resolve(side + ".pem"));
        Files.copy(pki.key(initiator), swanctlDir.resolve("pkcs8").resolve(side + ".key"));
        Files.copy(pki.ca(), swanctlDir.resolve("x509ca").resolve("ca.pem"));
    }

    /** The key poolsa's connections carry (a fresh copy each time: the engine zeroes it), null with certificates. */
    byte[] poolsaPsk() {
        return certificates() ? null : KEY.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The certificate credentials of poolsa's side {@code initiator} (null with a pre-shared key): its certificate
     * and key, the CA, the peer's ID as the certificate names it, and the peer's pools granted by the connection
     * (the certificates carry no subjectAltName: they name the peer, the configuration what it may claim).
     */
    CertificateAuthenticator poolsaCertificates(BenchPki pki, boolean initiator, AddressPool grant)
            throws CredentialException {
        if (!certificates()) {
            return null;
        }
        TrustStore trust = TrustStore.load(List.of(pki.ca()), List.of());
        return new CertificateAuthenticator(LocalCredentials.load(pki.certificate(initiator), pki.key(initiator)), trust,
                new PeerValidator(trust, Clock.systemUTC(), RevocationPolicy.CHECK_CONFIGURED),
                initiator ? BenchPki.INITIATOR_ID : BenchPki.RESPONDER_ID,
                initiator ? BenchPki.RESPONDER_ID : BenchPki.INITIATOR_ID, grant);
    }

    /** "psk", "cert" (ECDSA P-256) or "cert-rsa". */
    static AuthMode parse(String s) {
        return valueOf(s.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }
}
