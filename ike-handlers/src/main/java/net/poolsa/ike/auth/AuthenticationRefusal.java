package net.poolsa.ike.auth;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.NotifyType;

/**
 * The peer failed certificate authentication: why ({@link #reason()}), the notify that tells it so
 * ({@link #notifyType()}, from the reason) and a message for the log line that names the certificate, the
 * CRL or the addresses concerned. Like every {@link IkeProtocolException} the engine turns it into a drop, a
 * counter and a rate-limited log line in one place. Messages carry subject names, serial numbers, dates and
 * addresses: nothing secret.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.14.1">RFC 2408 §3.14.1 (notify types)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4945#section-5">RFC 4945 §5 (certificate profile for IKE)</a>
 */
public final class AuthenticationRefusal extends IkeProtocolException {
    private static final long serialVersionUID = 1L;

    /** Why a peer's certificate, signature, identity or claimed pool was refused. */
    public enum Reason {
        /** No CERT payload with an X.509 certificate came (and none is configured for the peer). */
        NO_CERTIFICATE(NotifyType.CERTIFICATE_UNAVAILABLE),
        /** A CERT payload of an encoding other than X.509 Certificate - Signature (4). */
        UNSUPPORTED_ENCODING(NotifyType.CERT_TYPE_UNSUPPORTED),
        /** CERT data that is not a DER X.509 certificate, or more certificates than a path can use. */
        MALFORMED(NotifyType.INVALID_CERTIFICATE),
        /** No path from the certificate to a configured CA. */
        UNTRUSTED(NotifyType.INVALID_CERTIFICATE),
        /** A certificate of the path (or its CA) is past its notAfter at validation time. */
        EXPIRED(NotifyType.INVALID_CERTIFICATE),
        /** A certificate of the path is before its notBefore at validation time. */
        NOT_YET_VALID(NotifyType.INVALID_CERTIFICATE),
        /** A certificate of the path is on its issuer's CRL. */
        REVOKED(NotifyType.INVALID_CERTIFICATE),
        /** The issuer's CRL is expired, not yet valid, not signed by the issuer, or (when required) absent. */
        REVOCATION_UNKNOWN(NotifyType.INVALID_CERTIFICATE),
        /** The end-entity key usage allows neither digitalSignature nor nonRepudiation, or a CA lacks keyCertSign. */
        KEY_USAGE(NotifyType.INVALID_CERTIFICATE),
        /** An issuing certificate is not a CA (basicConstraints), or the path is longer than a pathLenConstraint allows. */
        BASIC_CONSTRAINTS(NotifyType.INVALID_CERTIFICATE),
        /** Any other PKIX failure: an unknown critical extension, a weak algorithm, a bad certificate signature. */
        INVALID(NotifyType.INVALID_CERTIFICATE),
        /** The certificate's key cannot make the negotiated signature (RSA for ECDSA, another curve). */
        WRONG_KEY_TYPE(NotifyType.AUTHENTICATION_FAILED),
        /** The SIG payload does not verify over HASH_I/HASH_R with the certificate's key. */
        BAD_SIGNATURE(NotifyType.INVALID_SIGNATURE),
        /** The peer's phase-1 ID payload names an identity its certificate does not hold, or not the configured one. */
        ID_MISMATCH(NotifyType.AUTHENTICATION_FAILED),
        /** The peer claims pool addresses that neither its certificate nor the connection's policy grants it. */
        POOL_NOT_COVERED(NotifyType.INVALID_ID_INFORMATION);

        private final NotifyType notifyType;

        Reason(NotifyType notifyType) {
            this.notifyType = notifyType;
        }

        /** The notify the peer gets for this reason. */
        public NotifyType notifyType() {
            return notifyType;
        }
    }

    private final Reason reason;
    private final AddressPool uncovered;

    public AuthenticationRefusal(Reason reason, String message) {
        this(reason, message, AddressPool.EMPTY);
    }

    private AuthenticationRefusal(Reason reason, String message, AddressPool uncovered) {
        super(reason.notifyType(), message);
        this.reason = reason;
        this.uncovered = uncovered;
    }

    /** A claim refused because {@code uncovered} (not empty) is not granted; the message names those addresses. */
    static AuthenticationRefusal poolNotCovered(String message, AddressPool uncovered) {
        return new AuthenticationRefusal(Reason.POOL_NOT_COVERED, message, uncovered);
    }

    public Reason reason() {
        return reason;
    }

    /** For {@link Reason#POOL_NOT_COVERED}, the claimed addresses nothing grants; otherwise empty. */
    public AddressPool uncovered() {
        return uncovered;
    }
}
