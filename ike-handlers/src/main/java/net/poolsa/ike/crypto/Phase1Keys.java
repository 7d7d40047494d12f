package net.poolsa.ike.crypto;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The keys of one ISAKMP SA and everything computed from them (RFC 2409 §5):
 * <pre>
 * SKEYID   = prf(pre-shared-key, Ni_b | Nr_b)          for pre-shared keys
 * SKEYID   = prf(Ni_b | Nr_b, g^xy)                   for signatures
 * SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 * SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 * SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 * HASH_I   = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 * HASH_R   = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 * </pre>
 * where 0, 1, 2 are single octets. The cipher key Ka is the first bytes of SKEYID_e, or when SKEYID_e is
 * shorter than the key, K1 | K2 | ... with K1 = prf(SKEYID_e, 0) and Kn = prf(SKEYID_e, Kn-1), 0 again one
 * octet (Appendix B; strongSwan's keymat_v1.c does the same). Phase 2 ({@link #quickModeHash1} ...,
 * {@link #keymat}) uses SKEYID_a and SKEYID_d:
 * <pre>
 * HASH(1) = prf(SKEYID_a, M-ID | SA | Ni [| KE] [| IDci | IDcr])       (the message after the HASH payload)
 * HASH(2) = prf(SKEYID_a, M-ID | Ni_b | SA | Nr [| KE] [| IDci | IDcr])
 * HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 * HASH    = prf(SKEYID_a, M-ID | N/D)                                 (informational, RFC 2409 §5.7)
 * KEYMAT  = K1 | K2 | ..., K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
 *                          Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 * </pre>
 * M-ID is the message ID in network order. Ni_b, Nr_b in phase 2 are the Quick Mode nonces.
 *
 * <p>Not thread-safe. {@link #destroy()} zeroes every key; the object is useless afterwards. Nothing here is
 * ever logged; {@link #toString()} names the suite only.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5">RFC 2409 §5</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5 (Quick Mode, KEYMAT)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-B">RFC 2409 Appendix B</a>
 */
public final class Phase1Keys {
    private static final byte[] ZERO = {0};
    private static final byte[] ONE = {1};
    private static final byte[] TWO = {2};

    private final Phase1Suite suite;
    private final Phase1Values values;
    private final byte[] skeyid;
    private final byte[] skeyidD;
    private final byte[] skeyidA;
    private final byte[] skeyidE;
    private final byte[] encryptionKey;
    private boolean destroyed;

    private Phase1Keys(Phase1Suite suite, Phase1Values values, byte[] skeyid, byte[] gxy) {
        HashAlgorithm prf = suite.hash();
        this.suite = suite;
        this.values = values;
        this.skeyid = skeyid;
        this.skeyidD = prf.prf(skeyid, gxy, values.cookieI(), values.cookieR(), ZERO);
        this.skeyidA = prf.prf(skeyid, skeyidD, gxy, values.cookieI(), values.cookieR(), ONE);
        this.skeyidE = prf.prf(skeyid, skeyidA, gxy, values.cookieI(), values.cookieR(), TWO);
        this.encryptionKey = expand(prf, skeyidE, suite.keyLength());
    }

    /**
     * Keys for pre-shared-key authentication. {@code gxy} is the phase-1 shared secret
     * ({@link DhKeyPair#sharedSecret}); the caller keeps and wipes it and the key.
     */
    public static Phase1Keys preSharedKey(Phase1Suite suite, byte[] psk, Phase1Values values, byte[] gxy) {
        if (psk == null || psk.length == 0) {
            throw new IllegalArgumentException("pre-shared key must not be empty");
        }
        return new Phase1Keys(suite, values, suite.hash().prf(psk, values.nonceI(), values.nonceR()), gxy);
    }

    /** Keys for signature authentication (RSA, ECDSA): SKEYID = prf(Ni_b | Nr_b, g^xy). */
    public static Phase1Keys signatures(Phase1Suite suite, Phase1Values values, byte[] gxy) {
        byte[] nonces = concat(values.nonceI(), values.nonceR());
        try {
            return new Phase1Keys(suite, values, suite.hash().prf(nonces, gxy), gxy);
        } finally {
            Arrays.fill(nonces, (byte) 0);
        }
    }

    /** Appendix B: the first {@code length} bytes of SKEYID_e, or of K1 | K2 | ... when it is too short. */
    static byte[] expand(HashAlgorithm prf, byte[] skeyidE, int length) {
        if (skeyidE.length >= length) {
            return Arrays.copyOf(skeyidE, length);
        }
        byte[] out = new byte[length];
        byte[] k = ZERO;
        for (int off = 0; off < length; off += k.length) {
            byte[] next = prf.prf(skeyidE, k);
            if (k != ZERO) {
                Arrays.fill(k, (byte) 0);
            }
            k = next;
            System.arraycopy(k, 0, out, off, Math.min(k.length, length - off));
        }
        Arrays.fill(k, (byte) 0);
        return out;
    }

    public Phase1Suite suite() {
        return suite;
    }

    /** HASH_I over the initiator's SA payload body and ID payload body, as both sides compute it. */
    public byte[] hashI(byte[] saiB, byte[] idiiB) {
        return prf(skeyid(), values.publicI(), values.publicR(), values.cookieI(), values.cookieR(), saiB, idiiB);
    }

    /** HASH_R: note SAi_b, the initiator's SA payload, not the responder's. */
    public byte[] hashR(byte[] saiB, byte[] idirB) {
        return prf(skeyid(), values.publicR(), values.publicI(), values.cookieR(), values.cookieI(), saiB, idirB);
    }

    /**
     * The encryption of this SA's messages, with its IV chain starting from hash(g^xi | g^xr). One per ISAKMP
     * SA: the chain is state.
     */
    public IsakmpEncryption newEncryption() {
        IvChain chain = new IvChain(suite.hash(), suite.cipher().blockSize(), values.publicI(), values.publicR());
        return new IsakmpEncryption(suite.cipher(), encryptionKey(), chain);
    }

    /** HASH(1) of Quick Mode: {@code afterHash} is the message's payloads after the HASH payload, as sent. */
    public byte[] quickModeHash1(int messageId, byte[] afterHash) {
        return prf(skeyidA(), uint32(messageId), afterHash);
    }

    /** HASH(2) of Quick Mode; {@code nonceI} is the body of the initiator's Quick Mode nonce payload. */
    public byte[] quickModeHash2(int messageId, byte[] nonceI, byte[] afterHash) {
        return prf(skeyidA(), uint32(messageId), nonceI, afterHash);
    }

    /** HASH(3) of Quick Mode. */
    public byte[] quickModeHash3(int messageId, byte[] nonceI, byte[] nonceR) {
        return prf(skeyidA(), ZERO, uint32(messageId), nonceI, nonceR);
    }

    /** HASH(1) of an Informational exchange: {@code afterHash} is the Notify or Delete payload(s). */
    public byte[] informationalHash(int messageId, byte[] afterHash) {
        return prf(skeyidA(), uint32(messageId), afterHash);
    }

    /**
     * {@code length} bytes of KEYMAT for the one-direction SA whose SPI is {@code spi}.
     *
     * @param protocolId the ISAKMP protocol ID of the SA payload's proposal (RFC 2407 §4.4.1: AH 2, ESP 3)
     * @param spi        the SPI of the SA being keyed: the receiver's SPI, so our inbound SA uses our own SPI
     * @param gqmxy      the Quick Mode shared secret with PFS, or null without
     * @param nonceI     the body of the initiator's Quick Mode nonce payload
     * @param nonceR     the body of the responder's
     */
    public byte[] keymat(int protocolId, int spi, byte[] gqmxy, byte[] nonceI, byte[] nonceR, int length) {
        if (protocolId < 0 || protocolId > 255) {
            throw new IllegalArgumentException("protocol ID " + protocolId + " does not fit one octet");
        }
        byte[] seed = concat(gqmxy == null ? new byte[0] : gqmxy, new byte[] {(byte) protocolId},
                uint32(spi), nonceI, nonceR);
        byte[] out = new byte[length];
        byte[] k = new byte[0];
        for (int off = 0; off < length; off += k.length) {
            byte[] next = prf(skeyidD(), k, seed);
            Arrays.fill(k, (byte) 0);
            k = next;
            System.arraycopy(k, 0, out, off, Math.min(k.length, length - off));
        }
        Arrays.fill(k, (byte) 0);
        Arrays.fill(seed, (byte) 0);
        return out;
    }

    /** Zeroes SKEYID, SKEYID_d/_a/_e and Ka. Idempotent. */
    public void destroy() {
        destroyed = true;
        for (byte[] k : new byte[][] {skeyid, skeyidD, skeyidA, skeyidE, encryptionKey}) {
            Arrays.fill(k, (byte) 0);
        }
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    /**
     * A copy of Ka, for the test-only export of keys to tshark's {@code ikev1_decryption_table}; the caller
     * wipes it. Never log it.
     */
    public byte[] exportEncryptionKey() {
        return encryptionKey().clone();
    }

    /** Compares a received hash with the computed one in constant time. */
    public static void verify(byte[] computed, byte[] received, String what) throws IkeCryptoException {
        if (!MessageDigest.isEqual(computed, received)) {
            throw new IkeCryptoException(IkeCryptoException.INVALID_HASH_INFORMATION,
                    what + " does not verify (" + received.length + " bytes received)");
        }
    }

    @Override
    public String toString() {
        return "Phase1Keys[" + suite + (destroyed ? ", destroyed]" : "]");
    }

    byte[] skeyid() {
        return alive(skeyid);
    }

    byte[] skeyidD() {
        return alive(skeyidD);
    }

    byte[] skeyidA() {
        return alive(skeyidA);
    }

    byte[] skeyidE() {
        return alive(skeyidE);
    }

    byte[] encryptionKey() {
        return alive(encryptionKey);
    }

    private byte[] alive(byte[] key) {
        if (destroyed) {
            throw new IllegalStateException("keys of this ISAKMP SA were destroyed");
        }
        return key;
    }

    private byte[] prf(byte[] key, byte[]... parts) {
        return suite.hash().prf(key, parts);
    }

    /** Four octets, network order: a message ID or an SPI. */
    static byte[] uint32(int id) {
        return new byte[] {(byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id};
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, off, p.length);
            off += p.length;
        }
        return out;
    }
}
