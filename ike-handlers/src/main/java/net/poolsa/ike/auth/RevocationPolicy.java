package net.poolsa.ike.auth;

/**
 * How the CRL files decide whether a peer's certificate is revoked. In both modes a CRL is used only when it is
 * signed by the certificate's issuer (whose key usage, if present, allows cRLSign) and current at validation time
 * (thisUpdate passed, nextUpdate not passed); a certificate listed on a usable CRL is refused. The modes differ in
 * what happens where no CRL can decide.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc5280#section-6.3">RFC 5280 §6.3 (CRL validation)</a>
 */
public enum RevocationPolicy {
    /**
     * The gateway default. An issuer that has no CRL configured is not checked (revocation is opt-in per CA, as
     * with strongSwan without CRL or OCSP sources). An issuer that has CRLs configured, none of them usable (all
     * expired, not yet valid, or not signed by it), fails closed: every certificate it issued is refused until a
     * current CRL is installed.
     */
    CHECK_CONFIGURED,
    /** Every certificate of the path below the trust anchor needs a usable CRL of its issuer (strongSwan's strictcrlpolicy). */
    REQUIRE_CRL
}
