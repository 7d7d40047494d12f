package net.poolsa.esp.crypto;

import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;

/**
 * AES-GCM-16 (RFC 4106) and ChaCha20-Poly1305 (RFC 7634) through the JDK provider. The 8-byte explicit IV is
 * the packet's 64-bit sequence number: unique per SA because the outbound counter never wraps, which is
 * what both RFCs require of the IV (RFC 4106 §3.1, RFC 7634 §2). Nonce = 4-byte salt || IV; AAD = SPI ||
 * sequence number (32 bits) or SPI || ESN high || ESN low (RFC 4106 §5, RFC 7634 §4).
 */
public final class AeadCipher implements EspCipher {
    private static final int IV = 8;
    private static final int TAG = 16;

    private final EspAlgorithm algorithm;
    private final WipeableKey key;
    private final Cipher cipher;
    private final byte[] nonce = new byte[12];
    private final byte[] aad = new byte[12];
    private final Jca jca = new Jca();

    /**
     * @param keyMaterial key followed by the 4-byte salt (copied)
     */
    public AeadCipher(EspAlgorithm algorithm, byte[] keyMaterial) throws GeneralSecurityException {
        if (!algorithm.aead() || !algorithm.acceptsKeyMaterial(keyMaterial.length)) {
            throw new GeneralSecurityException(algorithm.ikeName() + " does not take " + keyMaterial.length + " bytes of key material");
        }
        this.algorithm = algorithm;
        int keyLen = keyMaterial.length - 4;
        this.key = new WipeableKey(algorithm.keyAlgorithm(), keyMaterial, 0, keyLen);
        System.arraycopy(keyMaterial, keyLen, nonce, 0, 4);
        this.cipher = Cipher.getInstance(algorithm.transformation());
    }

    @Override
    public int ivLength() {
        return IV;
    }

    @Override
    public int icvLength() {
        return TAG;
    }

    @Override
    public int blockSize() {
        return 4;
    }

    @Override
    public void seal(ByteBuf buf, int espOff, int plaintextLength, long seq, boolean esn) throws GeneralSecurityException {
        buf.setLong(espOff + 8, seq);
        putLong(nonce, 4, seq);
        cipher.init(Cipher.ENCRYPT_MODE, key, spec());
        cipher.updateAAD(aad(buf, espOff, (int) (seq >>> 32), esn), 0, esn ? 12 : 8);
        int ptOff = espOff + 8 + IV;
        jca.doFinal(cipher, buf, ptOff, plaintextLength, buf, ptOff, plaintextLength + TAG);
    }

    @Override
    public boolean open(ByteBuf src, int espOff, int espLength, int seqHigh, boolean esn, ByteBuf dst) throws GeneralSecurityException {
        int ctLen = espLength - 8 - IV;
        if (ctLen < TAG) {
            return false;
        }
        src.getBytes(espOff + 8, nonce, 4, IV);
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, spec());
        } catch (InvalidKeyException e) {
            // SunJCE's ChaCha20-Poly1305 refuses the previous key+nonce even for decryption. A forged packet that
            // copied a genuine IV must not lock out the genuine packet, so step through another nonce first.
            nonce[11] ^= 1;
            cipher.init(Cipher.DECRYPT_MODE, key, spec());
            nonce[11] ^= 1;
            cipher.init(Cipher.DECRYPT_MODE, key, spec());
        }
        cipher.updateAAD(aad(src, espOff, seqHigh, esn), 0, esn ? 12 : 8);
        dst.ensureWritable(ctLen); // room for the tag too: an in-place decryption first copies it there
        try {
            int n = jca.doFinal(cipher, src, espOff + 8 + IV, ctLen, dst, dst.writerIndex(), ctLen - TAG);
            dst.writerIndex(dst.writerIndex() + n);
            return true;
        } catch (AEADBadTagException e) {
            return false;
        }
    }

    private AlgorithmParameterSpec spec() {
        // The specs clone the nonce: one small allocation per packet that the JCA API does not let us avoid.
        return algorithm == EspAlgorithm.AES_GCM_16 ? new GCMParameterSpec(TAG * 8, nonce) : new IvParameterSpec(nonce);
    }

    private byte[] aad(ByteBuf buf, int espOff, int seqHigh, boolean esn) {
        buf.getBytes(espOff, aad, 0, 4);
        if (esn) {
            putInt(aad, 4, seqHigh);
            buf.getBytes(espOff + 4, aad, 8, 4);
        } else {
            buf.getBytes(espOff + 4, aad, 4, 4);
        }
        return aad;
    }

    @Override
    public void destroy() {
        key.destroy();
        jca.wipe();
        java.util.Arrays.fill(nonce, (byte) 0);
        try {
            // Overwrite the provider's key schedule. ENCRYPT_MODE: SunJCE's GCM keeps a copy of the last encryption
            // key for its IV-reuse check and replaces (and zeroes) it only on an init for encryption. The zero key was
            // never used, so nonce 0...01 passes that check.
            byte[] zero = new byte[key.length()];
            nonce[11] = 1;
            cipher.init(Cipher.ENCRYPT_MODE, new WipeableKey(algorithm.keyAlgorithm(), zero, 0, zero.length), spec());
        } catch (GeneralSecurityException | RuntimeException ignored) {
            // Best effort only: the key object above is already zeroed.
        }
    }

    static void putLong(byte[] b, int off, long v) {
        putInt(b, off, (int) (v >>> 32));
        putInt(b, off + 4, (int) v);
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }
}
