package net.poolsa.ike.auth;

import java.security.cert.X509Certificate;

import javax.security.auth.x500.X500Principal;

/** How a certificate is named in refusals and errors: its subject DN and serial number, nothing secret. */
final class Certificates {
    private Certificates() {
    }

    /** The subject DN in RFC 2253 form. */
    static String subject(X509Certificate c) {
        return c.getSubjectX500Principal().getName(X500Principal.RFC2253);
    }

    /** "'CN=gw,O=example' (serial 0x1f)". */
    static String describe(X509Certificate c) {
        return "'" + subject(c) + "' (serial 0x" + c.getSerialNumber().toString(16) + ")";
    }
}
