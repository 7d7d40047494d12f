package net.poolsa.ike.auth;

import java.security.cert.X509Certificate;

import javax.security.auth.x500.X500Principal;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * How certificates and names appear in refusals and errors: a DN most significant RDN first ("C=CH,O=poolsa,CN=gw",
 * the order strongSwan and OpenSSL print and {@link Identity#parse} reads), the serial number; nothing secret.
 */
final class Certificates {
    private Certificates() {
    }

    /** {@code name} with its RDNs in certificate order. */
    static String name(X500Principal name) {
        return BCStyle.INSTANCE.toString(X500Name.getInstance(name.getEncoded()));
    }

    /** The subject DN. */
    static String subject(X509Certificate c) {
        return name(c.getSubjectX500Principal());
    }

    /** "'C=CH,O=example,CN=gw' (serial 0x1f)". */
    static String describe(X509Certificate c) {
        return "'" + subject(c) + "' (serial 0x" + c.getSerialNumber().toString(16) + ")";
    }
}
