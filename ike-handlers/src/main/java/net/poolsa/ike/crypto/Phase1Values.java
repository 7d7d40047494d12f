package net.poolsa.ike.crypto;

/**
 * The public values of one phase-1 exchange that the keys and hashes are computed from, as they were on the
 * wire: the cookies (8 bytes each), the bodies of the two Nonce payloads (Ni_b, Nr_b: the payload without its
 * generic header) and the data of the two KE payloads (g^xi, g^xr). Named by role (initiator, responder), not
 * by "mine" and "theirs". The arrays are not copied: pass values that no one changes. The constructor's checks
 * catch our bugs; a peer's nonce is checked with {@link #requireNonce} first.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5</a>
 */
public record Phase1Values(byte[] cookieI, byte[] cookieR, byte[] nonceI, byte[] nonceR, byte[] publicI,
                           byte[] publicR) {

    public Phase1Values {
        if (cookieI == null || cookieI.length != 8 || cookieR == null || cookieR.length != 8) {
            throw new IllegalArgumentException("cookies are 8 bytes each");
        }
        if (nonceI == null || nonceI.length == 0 || nonceR == null || nonceR.length == 0) {
            throw new IllegalArgumentException("both nonces must be given");
        }
        if (publicI == null || publicI.length == 0 || publicR == null || publicR.length == 0) {
            throw new IllegalArgumentException("both Diffie-Hellman public values must be given");
        }
    }

    /** Nonce lengths RFC 2409 §5 allows. */
    public static final int MIN_NONCE = 8;
    public static final int MAX_NONCE = 256;

    /**
     * Checks the body of a peer's Nonce payload (RFC 2409 §5: "between 8 and 256 bytes inclusive").
     *
     * @return {@code body}
     * @throws IkeCryptoException PAYLOAD-MALFORMED otherwise
     */
    public static byte[] requireNonce(byte[] body) throws IkeCryptoException {
        if (body.length < MIN_NONCE || body.length > MAX_NONCE) {
            throw new IkeCryptoException(IkeCryptoException.PAYLOAD_MALFORMED, "nonce of " + body.length
                    + " bytes, expected " + MIN_NONCE + " to " + MAX_NONCE);
        }
        return body;
    }

    /** Lengths only: these values are public, but a log line needs no more. */
    @Override
    public String toString() {
        return "Phase1Values[nonces " + nonceI.length + "/" + nonceR.length + ", KE " + publicI.length + "/"
                + publicR.length + "]";
    }
}
