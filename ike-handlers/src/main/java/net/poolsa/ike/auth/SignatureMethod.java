package net.poolsa.ike.auth;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;

/**
 * The phase-1 signature authentication methods, by their IKEv1 Authentication Method attribute value, and the
 * signature each puts in the SIG payload over HASH_I or HASH_R (RFC 2409 §5.1: "SIG_I or SIG_R is the result of
 * applying the negotiated digital signature algorithm to HASH_I or HASH_R respectively").
 *
 * <ul>
 * <li>RSA (3): PKCS#1 v1.5 signature padding (block type 1) over the hash itself, with no DigestInfo: the
 *     "private key encryption" of RFC 2409 §5.1 that strongSwan calls {@code SIGN_RSA_EMSA_PKCS1_NULL} for IKEv1.
 *     The SIG data is as long as the modulus.</li>
 * <li>ECDSA-256/384/521 (9/10/11, RFC 4754 §4): the key must be on the method's NIST curve; the SIG data is r | s,
 *     each an unsigned big-endian integer left-padded to the curve's byte size (RFC 4754 §7: 64, 96 or 132
 *     bytes). What is signed is HASH_I/HASH_R itself, used as the ECDSA message digest (truncated to the group
 *     order's bit length as ECDSA prescribes), not hashed again with the SHA-2 of the method's name: that is
 *     what strongSwan 5.9 does for IKEv1 ({@code SIGN_ECDSA_WITH_NULL} in pubkey_v1_authenticator.c), the
 *     implementation poolsa must interoperate with, and what {@code StrongSwanSignatureTest} checks on its SIG
 *     payloads. (RFC 4754's hash-by-curve applies to IKEv2's AUTH payload.)</li>
 * </ul>
 * Signing and verifying use the JDK's providers ({@code NONEwithRSA}, {@code NONEwithECDSAinP1363Format}), except
 * ECDSA on P-256 and P-384, which {@link BcEcdsa} computes with Bouncy Castle's faster curve arithmetic.
 * Stateless; safe from any thread.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.1">RFC 2409 §5.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4754#section-7">RFC 4754 §7 (ECDSA signature format)</a>
 */
public enum SignatureMethod {
    RSA(3, "RSA signature", "NONEwithRSA", null, 0),
    ECDSA_256(9, "ECDSA-256 (P-256)", "NONEwithECDSAinP1363Format", "secp256r1", 32),
    ECDSA_384(10, "ECDSA-384 (P-384)", "NONEwithECDSAinP1363Format", "secp384r1", 48),
    ECDSA_521(11, "ECDSA-521 (P-521)", "NONEwithECDSAinP1363Format", "secp521r1", 66);

    private final int authMethod;
    private final String label;
    private final String jcaName;
    private final String curve;
    private final int coordinateLength;
    private final ECParameterSpec curveSpec;

    SignatureMethod(int authMethod, String label, String jcaName, String curve, int coordinateLength) {
        this.authMethod = authMethod;
        this.label = label;
        this.jcaName = jcaName;
        this.curve = curve;
        this.coordinateLength = coordinateLength;
        this.curveSpec = curve == null ? null : spec(curve);
    }

    /** The IKEv1 Authentication Method attribute value (RFC 2409 Appendix A; 9-11 from RFC 4754 §4). */
    public int authMethod() {
        return authMethod;
    }

    /** The method of an Authentication Method attribute value, or null when it is not a signature method offered here. */
    public static SignatureMethod ofAuthMethod(int code) {
        for (SignatureMethod m : values()) {
            if (m.authMethod == code) {
                return m;
            }
        }
        return null;
    }

    /** The method a key signs with: RSA for an RSA key, ECDSA-n for a key on NIST curve P-n; null for any other key. */
    public static SignatureMethod forKey(Key key) {
        if (key instanceof RSAKey) {
            return RSA;
        }
        if (key instanceof ECKey) {
            for (SignatureMethod m : values()) {
                if (m.curveSpec != null && sameCurve(m.curveSpec, ((ECKey) key).getParams())) {
                    return m;
                }
            }
        }
        return null;
    }

    /** True when {@code key} can make or check this method's signatures. */
    public boolean accepts(Key key) {
        return forKey(key) == this;
    }

    /** The SIG payload data for {@code hash} (HASH_I or HASH_R). */
    public byte[] sign(PrivateKey key, byte[] hash) {
        if (!accepts(key)) {
            throw new IllegalArgumentException(this + " cannot sign with a " + key.getAlgorithm() + " key");
        }
        if (curve != null && BcEcdsa.of(curve) != null && key instanceof ECPrivateKey) {
            return BcEcdsa.sign(BcEcdsa.of(curve), (ECPrivateKey) key, hash, coordinateLength);
        }
        try {
            Signature s = Signature.getInstance(jcaName);
            s.initSign(key);
            s.update(hash);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(jcaName + " with a checked key failed", e);
        }
    }

    /**
     * True when {@code signature} is this method's signature of {@code hash} by {@code key}. A signature of the
     * wrong size is false without any arithmetic: r | s has exactly twice the coordinate size, an RSA signature
     * exactly the modulus size.
     */
    public boolean verify(PublicKey key, byte[] hash, byte[] signature) {
        if (!accepts(key) || signature.length != signatureLength(key)) {
            return false;
        }
        if (curve != null && BcEcdsa.of(curve) != null && key instanceof ECPublicKey) {
            return BcEcdsa.verify(BcEcdsa.of(curve), (ECPublicKey) key, hash, signature, coordinateLength);
        }
        try {
            Signature s = Signature.getInstance(jcaName);
            s.initVerify(key);
            s.update(hash);
            return s.verify(signature);
        } catch (SignatureException | InvalidKeyException e) {
            return false; // a malformed signature (r or s out of range, RSA value >= modulus)
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(jcaName + " is part of every Java 17 runtime", e);
        }
    }

    /** Bytes of a signature by {@code key}: the modulus size for RSA, twice the coordinate size for ECDSA. */
    public int signatureLength(Key key) {
        if (this == RSA) {
            return (((RSAKey) key).getModulus().bitLength() + 7) / 8;
        }
        return 2 * coordinateLength;
    }

    /** The curve's standard name for ECDSA, null for RSA. */
    public String curve() {
        return curve;
    }

    @Override
    public String toString() {
        return label;
    }

    private static ECParameterSpec spec(String curve) {
        try {
            AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
            p.init(new ECGenParameterSpec(curve));
            return p.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(curve + " is part of every Java 17 runtime", e);
        }
    }

    /** Same group: curve, generator, order and cofactor (a brainpool or secp256k1 key of the same size is not P-256). */
    private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
        return a.getCurve().equals(b.getCurve()) && a.getGenerator().equals(b.getGenerator())
                && a.getOrder().equals(b.getOrder()) && a.getCofactor() == b.getCofactor();
    }
}
