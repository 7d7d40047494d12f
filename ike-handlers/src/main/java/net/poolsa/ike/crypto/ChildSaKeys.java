package net.poolsa.ike.crypto;

import java.util.Arrays;
import net.poolsa.esp.crypto.EspAlgorithm;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaKeys;

/**
 * The keys of the SA pair one Quick Mode proposal (ESP or AH) negotiated, cut from KEYMAT
 * ({@link Phase1Keys#keymat}) in the form the data plane installs ({@link SaKeys}). Each direction has its own
 * KEYMAT, seeded with the SPI of that direction's SA: the inbound SA with the SPI we chose, the outbound SA with
 * the peer's. Each KEYMAT is cut as encryption key, then integrity key, the order strongSwan's keymat_v1.c and
 * the Linux/KAME implementations use (RFC 2409 leaves it to the transforms). An AES-GCM key is followed by its
 * 4-byte salt (RFC 4106 §8.1), so its KEYMAT is 20, 28 or 36 bytes.
 *
 * <p>An AH+ESP bundle is two proposals with two SPI pairs: derive once for each.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#section-5.5">RFC 2409 §5.5</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4106#section-8.1">RFC 4106 §8.1</a>
 */
public record ChildSaKeys(SaKeys inbound, SaKeys outbound) {

    /** ISAKMP protocol IDs of the IPsec DOI (RFC 2407 §4.4.1). */
    static final int PROTO_IPSEC_AH = 2;
    static final int PROTO_IPSEC_ESP = 3;

    /**
     * The transforms of one negotiated proposal.
     *
     * @param encryptionKeyBits the Key Length attribute (AES: 128, 192, 256), or the cipher's fixed size (3DES:
     *                          192), 0 for NULL encryption and for AH; without the GCM salt
     */
    public record Suite(IpsecProtocol protocol, EspAlgorithm encryption, int encryptionKeyBits,
                        IntegrityAlgorithm integrity) {

        public Suite {
            if (protocol == null || encryption == null || integrity == null) {
                throw new IllegalArgumentException("protocol, encryption and integrity must be given (NONE for none)");
            }
            if (protocol == IpsecProtocol.AH && (encryption != EspAlgorithm.NONE || integrity == IntegrityAlgorithm.NONE)) {
                throw new IllegalArgumentException("AH has an integrity algorithm and no encryption");
            }
            if (protocol == IpsecProtocol.ESP && encryption == EspAlgorithm.NONE) {
                throw new IllegalArgumentException("ESP without encryption is the NULL algorithm, not NONE");
            }
            if (encryption.aead() && integrity != IntegrityAlgorithm.NONE) {
                throw new IllegalArgumentException(encryption.ikeName() + " is combined mode: no integrity algorithm");
            }
            if (encryptionKeyBits % 8 != 0 || !encryption.acceptsKeyMaterial(encryptionKeyBits / 8 + encryption.saltLength())) {
                throw new IllegalArgumentException(encryption.ikeName() + " has no " + encryptionKeyBits + "-bit keys");
            }
        }

        /** Encryption key bytes including the salt. */
        public int encryptionKeyLength() {
            return encryptionKeyBits / 8 + encryption.saltLength();
        }

        /** Bytes of KEYMAT each direction needs. */
        public int keymatLength() {
            return encryptionKeyLength() + integrity.keyLength();
        }

        int protocolId() {
            return protocol == IpsecProtocol.AH ? PROTO_IPSEC_AH : PROTO_IPSEC_ESP;
        }
    }

    /**
     * Keys for both directions.
     *
     * @param inboundSpi  the SPI we allocated and sent in our SA payload
     * @param outboundSpi the SPI the peer sent
     * @param nonceI      body of the initiator's Quick Mode nonce payload
     * @param nonceR      body of the responder's
     * @param gqmxy       the Quick Mode Diffie-Hellman shared secret (PFS), or null
     */
    public static ChildSaKeys derive(Phase1Keys keys, Suite suite, int inboundSpi, int outboundSpi, byte[] nonceI,
                                     byte[] nonceR, byte[] gqmxy) {
        return new ChildSaKeys(
                cut(suite, keys.keymat(suite.protocolId(), inboundSpi, gqmxy, nonceI, nonceR, suite.keymatLength())),
                cut(suite, keys.keymat(suite.protocolId(), outboundSpi, gqmxy, nonceI, nonceR, suite.keymatLength())));
    }

    private static SaKeys cut(Suite suite, byte[] keymat) {
        int e = suite.encryptionKeyLength();
        byte[] enc = Arrays.copyOfRange(keymat, 0, e);
        byte[] integ = Arrays.copyOfRange(keymat, e, keymat.length);
        try {
            return new SaKeys(suite.encryption().ikeName(), enc, suite.integrity().ikeName(), integ);
        } finally {
            Arrays.fill(enc, (byte) 0);
            Arrays.fill(integ, (byte) 0);
            Arrays.fill(keymat, (byte) 0);
        }
    }

    /** Zeroes both directions' keys (normally the SAs own them once installed). */
    public void destroy() {
        inbound.destroy();
        outbound.destroy();
    }
}
