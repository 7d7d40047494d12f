package net.poolsa.ike.crypto;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ISAKMP payload encryption and the IV chain of RFC 2409 Appendix B, between an initiator and a responder built
 * from the same keys. The IVs are checked against an independent CBC decryption with the IV the appendix
 * prescribes; the subtle cases of {@link IvChain} (unauthenticated and retransmitted messages, one chain for both
 * directions, bounded state) each have a test. The real-peer check is {@link KeymatVectorTest}.
 */
class IsakmpEncryptionTest {
    private static final int QM = 0x1234abcd;

    private final Phase1Values values = new Phase1Values(bytes("cky-i", 8), bytes("cky-r", 8), bytes("ni", 16),
            bytes("nr", 16), bytes("gxi", 256), bytes("gxr", 256));
    private final Phase1Keys keys = Phase1Keys.preSharedKey(new Phase1Suite(HashAlgorithm.SHA2_256, IkeCipher.AES_CBC, 128),
            "test-only".getBytes(StandardCharsets.US_ASCII), values, bytes("gxy", 256));
    private final IsakmpEncryption initiator = keys.newEncryption();
    private final IsakmpEncryption responder = keys.newEncryption();

    private static byte[] bytes(String seed, int n) {
        return new SeededRandom(seed).bytes(n);
    }

    private byte[] cbcDecrypt(byte[] iv, byte[] ct) throws Exception {
        Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(keys.encryptionKey(), "AES"), new IvParameterSpec(iv));
        return c.doFinal(ct);
    }

    private static byte[] sha256(byte[]... parts) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (byte[] p : parts) {
            md.update(p);
        }
        return md.digest();
    }

    private static byte[] lastBlock(byte[] ct) {
        return Arrays.copyOfRange(ct, ct.length - 16, ct.length);
    }

    private static byte[] padded(byte[] p, int blockSize) {
        return Arrays.copyOf(p, p.length + blockSize - p.length % blockSize);
    }

    /** The appendix's IV for each message, and each side decrypts what the other encrypted. */
    @Test
    void ivsFollowAppendixB() throws Exception {
        byte[] mm5 = bytes("mm5", 70);
        byte[] c5 = initiator.encrypt(0, mm5);
        assertArrayEquals(padded(mm5, 16), cbcDecrypt(Arrays.copyOf(sha256(values.publicI(), values.publicR()), 16), c5),
                "message 5: IV = hash(g^xi | g^xr), truncated");
        IsakmpEncryption.Decrypted d5 = responder.decrypt(0, c5);
        assertArrayEquals(padded(mm5, 16), d5.plaintext());
        d5.confirm();

        byte[] mm6 = bytes("mm6", 52);
        byte[] c6 = responder.encrypt(0, mm6);
        assertArrayEquals(padded(mm6, 16), cbcDecrypt(lastBlock(c5), c6), "message 6: IV = last block of message 5");
        initiator.decrypt(0, c6).confirm();

        byte[] qm1 = bytes("qm1", 300);
        byte[] q1 = initiator.encrypt(QM, qm1);
        byte[] qmIv = Arrays.copyOf(sha256(lastBlock(c6), Phase1Keys.uint32(QM)), 16);
        assertArrayEquals(padded(qm1, 16), cbcDecrypt(qmIv, q1), "Quick Mode: IV = hash(last phase-1 block | M-ID)");
        responder.decrypt(QM, q1).confirm();
        byte[] qm2 = bytes("qm2", 290);
        byte[] q2 = responder.encrypt(QM, qm2);
        assertArrayEquals(padded(qm2, 16), cbcDecrypt(lastBlock(q1), q2), "HASH(2): IV = last block of HASH(1)");
        initiator.decrypt(QM, q2).confirm();
        byte[] qm3 = bytes("qm3", 24);
        byte[] q3 = initiator.encrypt(QM, qm3);
        assertArrayEquals(padded(qm3, 16), cbcDecrypt(lastBlock(q2), q3));
        assertArrayEquals(padded(qm3, 16), responder.decrypt(QM, q3).plaintext());

        int info = 0x0badcafe;
        byte[] n = bytes("notify", 40);
        byte[] ci = responder.encryptInformational(info, n);
        byte[] infoIv = Arrays.copyOf(sha256(lastBlock(c6), Phase1Keys.uint32(info)), 16);
        assertArrayEquals(padded(n, 16), cbcDecrypt(infoIv, ci), "Informational: hash(last phase-1 block | M-ID)");
        assertArrayEquals(padded(n, 16), initiator.decryptInformational(info, ci).plaintext());
    }

    /** Zero padding up to the block, always at least one octet (what strongSwan sends). */
    @Test
    void padsWithZerosToTheBlockAlwaysAtLeastOneOctet() throws Exception {
        int[][] cases = {{1, 16}, {15, 16}, {16, 32}, {17, 32}, {32, 48}};
        for (int[] c : cases) {
            byte[] p = new byte[c[0]];
            Arrays.fill(p, (byte) 0x5a);
            byte[] ct = initiator.encryptInformational(7, p);
            assertEquals(c[1], ct.length, c[0] + " bytes of payloads");
            byte[] plain = responder.decryptInformational(7, ct).plaintext();
            assertArrayEquals(p, Arrays.copyOf(plain, c[0]));
            for (int i = c[0]; i < plain.length; i++) {
                assertEquals(0, plain[i], "padding octet " + i);
            }
        }
        Phase1Keys tdes = Phase1Keys.preSharedKey(new Phase1Suite(HashAlgorithm.SHA1, IkeCipher.TRIPLE_DES_CBC, 192),
                new byte[] {1}, values, bytes("gxy", 128));
        assertEquals(16, tdes.newEncryption().encrypt(0, new byte[8]).length, "8 bytes with 3DES: one more block");
        assertEquals(8, tdes.newEncryption().encrypt(0, new byte[7]).length);
    }

    /** A body that is empty or not a whole number of blocks: PAYLOAD-MALFORMED, and the chain is untouched. */
    @Test
    void impossibleLengthsArePayloadMalformed() throws Exception {
        byte[] c5 = initiator.encrypt(0, bytes("mm5", 60));
        for (int len : new int[] {0, 1, 15, 17, 63}) {
            IkeCryptoException e = assertThrows(IkeCryptoException.class, () -> responder.decrypt(0, new byte[len]));
            assertEquals(16, e.notifyType().code(), len + " bytes");
            assertTrue(e.getMessage().contains(len + " bytes"), e.getMessage());
            IkeCryptoException i = assertThrows(IkeCryptoException.class,
                    () -> responder.decryptInformational(9, new byte[len]));
            assertEquals(16, i.notifyType().code());
        }
        assertArrayEquals(padded(bytes("mm5", 60), 16), responder.decrypt(0, c5).plaintext());
    }

    /** A forged or corrupt message is never confirmed, so the genuine one after it still decrypts. */
    @Test
    void unauthenticatedMessagesDoNotMoveTheChain() throws Exception {
        byte[] mm5 = bytes("mm5", 64);
        byte[] c5 = initiator.encrypt(0, mm5);
        byte[] forged = c5.clone();
        forged[forged.length - 1] ^= 1;
        IsakmpEncryption.Decrypted bad = responder.decrypt(0, forged);
        assertFalse(Arrays.equals(padded(mm5, 16), bad.plaintext()), "the corrupt block decrypts to garbage");
        IsakmpEncryption.Decrypted good = responder.decrypt(0, c5);
        assertArrayEquals(padded(mm5, 16), good.plaintext());
        good.confirm();
        byte[] c6 = responder.encrypt(0, bytes("mm6", 40));
        assertArrayEquals(padded(bytes("mm6", 40), 16), initiator.decrypt(0, c6).plaintext());

        // garbage under many message IDs, never confirmed, leaves no state behind
        for (int mid = 1; mid <= 1000; mid++) {
            responder.decrypt(mid, bytes("garbage" + mid, 48));
        }
        assertEquals(0, responder.chain().exchanges());
    }

    /**
     * The responder receives message 5 again after it sent message 6 (its message 6 was lost): recognised, decrypted
     * with the IV it had the first time, and the chain stays at message 6, so Quick Mode still works.
     */
    @Test
    void retransmittedMessageIsRecognisedAndDoesNotMoveTheChain() throws Exception {
        byte[] mm5 = bytes("mm5", 64);
        byte[] c5 = initiator.encrypt(0, mm5);
        IsakmpEncryption.Decrypted first = responder.decrypt(0, c5);
        assertFalse(first.retransmission());
        first.confirm();
        byte[] c6 = responder.encrypt(0, bytes("mm6", 40));

        IsakmpEncryption.Decrypted again = responder.decrypt(0, c5);
        assertTrue(again.retransmission());
        assertArrayEquals(padded(mm5, 16), again.plaintext(), "decrypted as the first time");
        again.confirm();

        initiator.decrypt(0, c6).confirm();
        byte[] q1 = initiator.encrypt(QM, bytes("qm1", 100));
        IsakmpEncryption.Decrypted d1 = responder.decrypt(QM, q1);
        assertArrayEquals(padded(bytes("qm1", 100), 16), d1.plaintext(), "phase-2 IV from message 6, not 5");
        d1.confirm();

        // Quick Mode: HASH(3) lost, the responder resends HASH(2); the initiator sees a retransmission
        byte[] q2 = responder.encrypt(QM, bytes("qm2", 100));
        initiator.decrypt(QM, q2).confirm();
        byte[] q3 = initiator.encrypt(QM, bytes("qm3", 20));
        assertTrue(initiator.decrypt(QM, q2).retransmission());
        assertArrayEquals(padded(bytes("qm3", 20), 16), responder.decrypt(QM, q3).plaintext());
    }

    /** One chain serves both directions: confirming a message after we sent on the same exchange is our bug. */
    @Test
    void confirmingAfterTheChainMovedIsABug() throws Exception {
        byte[] c5 = initiator.encrypt(0, bytes("mm5", 64));
        IsakmpEncryption.Decrypted d = responder.decrypt(0, c5);
        responder.encrypt(0, bytes("mm6", 40));
        assertThrows(IllegalStateException.class, d::confirm);
    }

    /** At most {@link IvChain#MAX_EXCHANGES} phase-2 chains; the least recently used goes first. */
    @Test
    void phase2StateIsBounded() throws Exception {
        byte[] q1 = initiator.encrypt(1, bytes("qm1-1", 40));
        responder.decrypt(1, q1).confirm();
        // another peer of the same SA keeps the responder busy with more exchanges than it keeps
        IsakmpEncryption others = keys.newEncryption();
        int last = IvChain.MAX_EXCHANGES + 1;
        for (int mid = 2; mid <= last; mid++) {
            responder.decrypt(mid, others.encrypt(mid, bytes("qm1-" + mid, 40))).confirm();
        }
        assertEquals(IvChain.MAX_EXCHANGES, responder.chain().exchanges());
        assertEquals(1, initiator.chain().exchanges());
        // exchange 1 was evicted at the responder: the initiator's HASH(3) decrypts to garbage there
        byte[] p = bytes("qm3-1", 32);
        assertFalse(Arrays.equals(padded(p, 16), responder.decrypt(1, initiator.encrypt(1, p)).plaintext()));
        // the most recent exchange is still there
        byte[] pl = bytes("qm3-last", 32);
        assertArrayEquals(padded(pl, 16), responder.decrypt(last, others.encrypt(last, pl)).plaintext());
        responder.chain().forget(last);
        assertEquals(IvChain.MAX_EXCHANGES - 1, responder.chain().exchanges());
    }

    /** Informational messages never chain: two with the same message ID use the same IV, and no state is kept. */
    @Test
    void informationalIsStateless() throws Exception {
        byte[] a = responder.encryptInformational(42, bytes("a", 20));
        byte[] b = responder.encryptInformational(42, bytes("b", 20));
        assertArrayEquals(padded(bytes("b", 20), 16), initiator.decryptInformational(42, b).plaintext());
        IsakmpEncryption.Decrypted da = initiator.decryptInformational(42, a);
        assertFalse(da.retransmission());
        da.confirm();
        assertArrayEquals(padded(bytes("a", 20), 16), da.plaintext());
        assertEquals(0, initiator.chain().exchanges());
        assertEquals(0, responder.chain().exchanges());
        // message ID 0 (a peer should not use it): the current phase-1 IV, as strongSwan hands out, and no chaining
        byte[] zero = bytes("zero", 20);
        byte[] z = responder.encryptInformational(0, zero);
        assertArrayEquals(padded(zero, 16), cbcDecrypt(Arrays.copyOf(sha256(values.publicI(), values.publicR()), 16), z));
        assertArrayEquals(padded(zero, 16), initiator.decryptInformational(0, z).plaintext());
        assertArrayEquals(z, responder.encryptInformational(0, zero), "phase-1 chain untouched");
    }

    @Test
    void destroyedEncryptionRefusesWork() {
        initiator.destroy();
        initiator.destroy();
        assertThrows(IllegalStateException.class, () -> initiator.encrypt(0, new byte[4]));
        assertThrows(IllegalStateException.class, () -> initiator.decrypt(0, new byte[16]));
    }
}
