package net.poolsa.ike.message;

/**
 * The Certificate Encoding of CERT and CR payloads, an open registry.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.9">RFC 2408 section 3.9</a>
 */
public final class CertEncoding extends RegistryValue {
    private static final Table<CertEncoding> KNOWN = new Table<>();

    public static final CertEncoding PKCS7_WRAPPED_X509 = known(1, "PKCS #7 wrapped X.509 certificate");
    public static final CertEncoding PGP = known(2, "PGP Certificate");
    public static final CertEncoding DNS_SIGNED_KEY = known(3, "DNS Signed Key");
    public static final CertEncoding X509_SIGNATURE = known(4, "X.509 Certificate - Signature");
    public static final CertEncoding X509_KEY_EXCHANGE = known(5, "X.509 Certificate - Key Exchange");
    public static final CertEncoding KERBEROS_TOKENS = known(6, "Kerberos Tokens");
    public static final CertEncoding CRL = known(7, "Certificate Revocation List (CRL)");
    public static final CertEncoding ARL = known(8, "Authority Revocation List (ARL)");
    public static final CertEncoding SPKI = known(9, "SPKI Certificate");
    public static final CertEncoding X509_ATTRIBUTE = known(10, "X.509 Certificate - Attribute");

    private CertEncoding(int code, String name, boolean known) {
        super(code, name, known);
    }

    private static CertEncoding known(int code, String name) {
        return KNOWN.add(new CertEncoding(code, name, true));
    }

    /** The named constant for {@code code}, or a {@code CERT_ENCODING(n)} value; code must fit one byte. */
    public static CertEncoding of(int code) {
        return KNOWN.of(Wire.checkField("certificate encoding", code, 8),
                c -> new CertEncoding(c, unknownName("CERT_ENCODING", c), false));
    }
}
