package net.poolsa.esp.crypto;

import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;

/**
 * Encrypt-then-MAC ESP: a CBC cipher (AES RFC 3602, 3DES RFC 2451, DES RFC 2405) or NULL (RFC 2410), with an
 * HMAC (RFC 2404, RFC 4868) or without one (confidentiality only, RFC 4303 §3.2). The IV is random per
 * packet (RFC 3602 §3 wants it unpredictable). On receipt the ICV is checked in constant time before
 * anything is decrypted (RFC 4303 §3.4.4.1).
 */
public final class CbcHmacCipher implements EspCipher {
    private final EspAlgorithm algorithm;
    private final WipeableKey key;
    private final Cipher cipher;
    private final IntegrityMac mac;
    private final SecureRandom random;
    private final byte[] iv;

    /**
     * @param encryptionKey ignored for "null"
     * @param integrity     null or {@link IntegrityAlgorithm#NONE} for no integrity
     * @param random        IV source (a per-thread DRBG instance: no lock shared between threads)
     */
    public CbcHmacCipher(EspAlgorithm algorithm, byte[] encryptionKey, IntegrityAlgorithm integrity, byte[] integrityKey,
                         SecureRandom random) throws GeneralSecurityException {
        if (algorithm.aead() || algorithm == EspAlgorithm.NONE) {
            throw new GeneralSecurityException(algorithm.ikeName() + " is not a CBC/NULL ESP cipher");
        }
        boolean hasMac = integrity != null && integrity != IntegrityAlgorithm.NONE;
        if (algorithm == EspAlgorithm.NULL && !hasMac) {
            throw new GeneralSecurityException("ESP with NULL encryption needs an integrity algorithm (RFC 4303 §3.2)");
        }
        if (algorithm == EspAlgorithm.DES_CBC && !LegacyAlgorithms.desAllowed()) {
            throw new GeneralSecurityException("des-cbc is disabled; see LegacyAlgorithms.allowDes");
        }
        this.algorithm = algorithm;
        if (algorithm == EspAlgorithm.NULL) {
            this.key = null;
            this.cipher = null;
        } else {
            if (!algorithm.acceptsKeyMaterial(encryptionKey.length)) {
                throw new GeneralSecurityException(algorithm.ikeName() + " does not take a " + encryptionKey.length + "-byte key");
            }
            this.key = new WipeableKey(algorithm.keyAlgorithm(), encryptionKey, 0, encryptionKey.length);
            this.cipher = Cipher.getInstance(algorithm.transformation());
        }
        this.mac = hasMac ? new IntegrityMac(integrity, integrityKey) : null;
        this.random = random;
        this.iv = new byte[algorithm.ivLength()];
    }

    @Override
    public int ivLength() {
        return iv.length;
    }

    @Override
    public int icvLength() {
        return mac == null ? 0 : mac.icvLength();
    }

    @Override
    public int blockSize() {
        return algorithm.blockSize();
    }

    public boolean authenticated() {
        return mac != null;
    }

    @Override
    public void seal(ByteBuf buf, int espOff, int plaintextLength, long seq, boolean esn) throws GeneralSecurityException {
        int ptOff = espOff + 8 + iv.length;
        if (cipher != null) {
            random.nextBytes(iv);
            buf.setBytes(espOff + 8, iv);
            cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(iv));
            Jca.doFinal(cipher, buf, ptOff, plaintextLength, buf, ptOff, plaintextLength);
        }
        if (mac != null) {
            mac.update(buf, espOff, 8 + iv.length + plaintextLength);
            if (esn) {
                mac.updateInt((int) (seq >>> 32));
            }
            mac.finishInto(buf, ptOff + plaintextLength);
        }
    }

    @Override
    public boolean open(ByteBuf src, int espOff, int espLength, int seqHigh, boolean esn, ByteBuf dst) throws GeneralSecurityException {
        int icv = icvLength();
        int ctLen = espLength - 8 - iv.length - icv;
        if (ctLen <= 0) {
            return false;
        }
        if (mac != null) {
            mac.update(src, espOff, espLength - icv);
            if (esn) {
                mac.updateInt(seqHigh);
            }
            if (!mac.finishAndVerify(src, espOff + espLength - icv)) {
                return false;
            }
        }
        int ctOff = espOff + 8 + iv.length;
        dst.ensureWritable(ctLen);
        if (cipher == null) {
            dst.writeBytes(src, ctOff, ctLen);
            return true;
        }
        src.getBytes(espOff + 8, iv);
        cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(iv));
        int n = Jca.doFinal(cipher, src, ctOff, ctLen, dst, dst.writerIndex(), ctLen);
        dst.writerIndex(dst.writerIndex() + n);
        return true;
    }

    @Override
    public void destroy() {
        if (mac != null) {
            mac.destroy();
        }
        if (cipher != null) {
            key.destroy();
            try {
                cipher.init(Cipher.DECRYPT_MODE, new WipeableKey(algorithm.keyAlgorithm(), new byte[key.length()], 0, key.length()),
                        new IvParameterSpec(iv));
            } catch (GeneralSecurityException | RuntimeException ignored) {
                // Best effort: overwrites the provider's key schedule.
            }
        }
    }
}
