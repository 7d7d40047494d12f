package net.poolsa.esp.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The CBC ciphers are initialised once and each packet is one chain from a zero IV over {@code R | plaintext}
 * (CbcHmacCipher's class comment). Checked here against the JCA's own CBC initialised with the IV on the wire, which
 * is what a peer does: every seal decrypts that way, every packet a peer sealed with an IV of its choice opens, the
 * IV is the encryption of the block drawn from the random source, and a chain never carries over into the next
 * packet, after a seal, an open or a forged packet.
 */
class CbcHmacCipherTest {
    private static final int PLAINTEXT = 1408;

    @ParameterizedTest
    @EnumSource(value = EspAlgorithm.class, names = {"AES_CBC", "TRIPLE_DES_CBC"})
    void whatIsSealedIsStandardCbcUnderTheIvOnTheWireAndTheIvIsTheDrawnBlockEncrypted(EspAlgorithm algorithm) throws Exception {
        byte[] key = key(algorithm);
        int ivLength = algorithm.ivLength();
        byte[] drawn = new byte[ivLength * 4];
        for (int i = 0; i < drawn.length; i++) {
            drawn[i] = (byte) (0x5a + i * 13);
        }
        CbcHmacCipher sealer = new CbcHmacCipher(algorithm, key, IntegrityAlgorithm.HMAC_SHA2_256_128, macKey(),
                ReplayingRandom.of(drawn).newGenerator());
        byte[] plain = plaintext();
        Set<String> ivs = new HashSet<>();
        for (int p = 0; p < 4; p++) {
            ByteBuf esp = espWith(plain, ivLength, 16);
            sealer.seal(esp, 0, PLAINTEXT, p + 1, false);
            byte[] iv = ByteBufUtil.getBytes(esp, 8, ivLength);
            byte[] r = Arrays.copyOfRange(drawn, p * ivLength, (p + 1) * ivLength);
            assertArrayEquals(block(algorithm, key, Cipher.ENCRYPT_MODE, r), iv, "packet " + p + ": the IV is E(R)");
            Cipher peer = Cipher.getInstance(algorithm.transformation());
            peer.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, algorithm.keyAlgorithm()), new IvParameterSpec(iv));
            assertArrayEquals(plain, peer.doFinal(ByteBufUtil.getBytes(esp, 8 + ivLength, PLAINTEXT)),
                    "packet " + p + " decrypts as CBC under the IV on the wire");
            ivs.add(Arrays.toString(iv));
            esp.release();
        }
        assertEquals(4, ivs.size(), "four seals of one plaintext, four IVs: " + ivs);
        sealer.destroy();
    }

    @ParameterizedTest
    @EnumSource(value = EspAlgorithm.class, names = {"AES_CBC", "TRIPLE_DES_CBC"})
    void packetsAPeerSealedOpenAndNoChainCarriesOverAfterASealOrAForgery(EspAlgorithm algorithm) throws Exception {
        byte[] key = key(algorithm);
        int ivLength = algorithm.ivLength();
        // One instance seals and opens, as the benchmark's does: its two chains must stay apart.
        CbcHmacCipher ours = new CbcHmacCipher(algorithm, key, IntegrityAlgorithm.HMAC_SHA2_256_128, macKey(),
                RandomSource.SYSTEM.newGenerator());
        IntegrityMac peerMac = new IntegrityMac(IntegrityAlgorithm.HMAC_SHA2_256_128, macKey());
        SecureRandom peerRandom = new SecureRandom();
        for (int p = 0; p < 6; p++) {
            byte[] plain = plaintext();
            plain[0] = (byte) p;
            byte[] iv = new byte[ivLength];
            peerRandom.nextBytes(iv);
            Cipher peer = Cipher.getInstance(algorithm.transformation());
            peer.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, algorithm.keyAlgorithm()), new IvParameterSpec(iv));
            ByteBuf esp = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(2048)).clear();
            esp.writeInt(0x1001).writeInt(p + 1).writeBytes(iv).writeBytes(peer.doFinal(plain));
            peerMac.update(esp, 0, esp.writerIndex());
            esp.writeBytes(Arrays.copyOf(peerMac.finish(), 16));
            int espLength = esp.writerIndex();

            if (p % 2 == 1) {
                ByteBuf forged = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(2048)).clear();
                forged.writeBytes(esp, 0, espLength);
                forged.setByte(8 + ivLength + 20, forged.getByte(8 + ivLength + 20) ^ 1);
                ByteBuf nothing = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(2048)).clear();
                assertFalse(ours.open(forged, 0, espLength, 0, false, nothing), "a forged packet does not open");
                assertEquals(0, nothing.writerIndex(), "nothing of a forged packet is written");
                forged.release();
                nothing.release();
            }
            if (p % 3 == 2) {
                ByteBuf sealed = espWith(plaintext(), ivLength, 16);
                ours.seal(sealed, 0, PLAINTEXT, 100 + p, false);
                sealed.release();
            }
            ByteBuf inner = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(2048)).clear();
            assertTrue(ours.open(esp, 0, espLength, 0, false, inner), "packet " + p + " opens");
            assertArrayEquals(plain, ByteBufUtil.getBytes(inner), "packet " + p + " opens to what the peer sealed");
            esp.release();
            inner.release();
        }
        ours.destroy();
        peerMac.destroy();
    }

    private static ByteBuf espWith(byte[] plain, int ivLength, int icvLength) {
        ByteBuf esp = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(2048)).clear();
        esp.writeInt(0x1001).writeInt(1).writeZero(ivLength).writeBytes(plain).writeZero(icvLength);
        return esp;
    }

    private static byte[] block(EspAlgorithm algorithm, byte[] key, int mode, byte[] in) throws Exception {
        Cipher ecb = Cipher.getInstance(algorithm.keyAlgorithm() + "/ECB/NoPadding");
        ecb.init(mode, new SecretKeySpec(key, algorithm.keyAlgorithm()));
        return ecb.doFinal(in);
    }

    private static byte[] key(EspAlgorithm algorithm) {
        byte[] key = new byte[algorithm == EspAlgorithm.AES_CBC ? 16 : 24];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (0x31 * i + 7);
        }
        return key;
    }

    private static byte[] macKey() {
        byte[] k = new byte[32];
        Arrays.fill(k, (byte) 0x42);
        return k;
    }

    private static byte[] plaintext() {
        byte[] plain = new byte[PLAINTEXT];
        for (int i = 0; i < plain.length; i++) {
            plain[i] = (byte) (i * 7);
        }
        return plain;
    }
}
