package net.poolsa.esp.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.Mac;
import org.junit.jupiter.api.Test;

/**
 * What a destroyed {@link IntegrityMac} leaves in SunJCE's digest, read by reflection (the root pom opens the JDK's
 * crypto packages to the tests). CI's heap-dump test once found an SA's outer pad (key XOR 0x5c) in an {@code int[]}
 * after the SA died: the SHA-2 message schedule {@code W}, which keeps the last block compressed in Java until the
 * next message starts, and re-keying with zeros does not start one. The heap-dump test sees it only when the JIT
 * compiles the digest between two blocks of one MAC; here the digest's scratch is read directly, whatever the JIT
 * did: after the destroy it must hold no block at all.
 */
class MacWiperTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Test
    void aDestroyedIntegrityMacLeavesNoBlockInItsDigestsScratch() throws Exception {
        List<String> left = new ArrayList<>();
        for (IntegrityAlgorithm alg : List.of(IntegrityAlgorithm.HMAC_SHA1_96, IntegrityAlgorithm.HMAC_SHA2_256_128,
                IntegrityAlgorithm.HMAC_SHA2_384_192, IntegrityAlgorithm.HMAC_SHA2_512_256)) {
            byte[] key = new byte[alg.keyLength()];
            RANDOM.nextBytes(key);
            IntegrityMac mac = new IntegrityMac(alg, key);
            byte[] data = new byte[300];
            for (int i = 0; i < 3; i++) {
                mac.update(Unpooled.wrappedBuffer(data), 0, data.length);
                mac.finishInto(Unpooled.buffer(64).writeZero(64), 0);
            }
            Object digest = digestOf((Mac) field(mac, "mac"));
            assertTrue(nonZero(field(digest, "W")) > 0 || nonZero(field(digest, "buffer")) > 0,
                    alg + ": control: the digest holds the last block before the destroy");

            mac.destroy();
            int w = nonZero(field(digest, "W"));
            int buffer = nonZero(field(digest, "buffer"));
            if (w + buffer > 0) {
                left.add(alg + ": " + w + " words of W and " + buffer + " bytes of the buffer are not zero");
            }
        }
        assertEquals(List.of(), left, "the digest's scratch after the destroy");
    }

    @Test
    void aWipedMacStillWorksWhenKeyedAgain() throws Exception {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new WipeableKey("HmacSHA256", key, 0, key.length));
        byte[] before = mac.doFinal(new byte[] {1, 2, 3});
        MacWiper.wipe(mac);
        mac.init(new WipeableKey("HmacSHA256", key, 0, key.length));
        assertEquals(java.util.HexFormat.of().formatHex(before), java.util.HexFormat.of().formatHex(mac.doFinal(new byte[] {1, 2, 3})));
    }

    /** The MessageDigestSpi inside SunJCE's HmacCore: Mac.spi -> HmacCore.md -> MessageDigest's digestSpi. */
    private static Object digestOf(Mac mac) throws ReflectiveOperationException {
        Object md = field(field(mac, "spi"), "md");
        return field(md, "digestSpi");
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        for (Class<?> c = o.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f.get(o);
            } catch (NoSuchFieldException e) {
                // declared higher up
            }
        }
        throw new NoSuchFieldException(o.getClass().getName() + "." + name + " (did the JDK's HMAC change?)");
    }

    /** Non-zero elements of a primitive array; a digest that never ran in Java has no W (null): zero. */
    private static int nonZero(Object array) {
        if (array == null) {
            return 0;
        }
        int n = 0;
        for (int i = 0; i < Array.getLength(array); i++) {
            if (((Number) Array.get(array, i)).longValue() != 0) {
                n++;
            }
        }
        return n;
    }
}
