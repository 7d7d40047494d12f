package net.poolsa.ike.crypto;

import net.poolsa.esp.crypto.EspAlgorithm;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaKeys;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * KEYMAT cut into the data plane's {@link SaKeys}: which SPI keys which direction, encryption key (with the GCM
 * salt) before integrity key, AH's protocol octet. Against strongSwan: {@link KeymatVectorTest}.
 */
class ChildSaKeysTest {
    private final Phase1Keys keys = Phase1Keys.preSharedKey(new Phase1Suite(HashAlgorithm.SHA2_256, IkeCipher.AES_CBC, 128),
            new byte[] {1, 2, 3}, new Phase1Values(new byte[8], new byte[8], new byte[16], new byte[16], new byte[32],
                    new byte[32]), new byte[32]);
    private final byte[] ni = new SeededRandom("ni").bytes(16);
    private final byte[] nr = new SeededRandom("nr").bytes(16);
    private static final int IN = 0xc1000001;
    private static final int OUT = 0xc2000002;

    @Test
    void inboundUsesOurSpiOutboundThePeers() {
        ChildSaKeys.Suite s = new ChildSaKeys.Suite(IpsecProtocol.ESP, EspAlgorithm.AES_CBC, 256,
                IntegrityAlgorithm.HMAC_SHA2_256_128);
        assertEquals(64, s.keymatLength());
        byte[] pfs = new SeededRandom("pfs").bytes(256);
        ChildSaKeys k = ChildSaKeys.derive(keys, s, IN, OUT, ni, nr, pfs);
        byte[] in = keys.keymat(3, IN, pfs, ni, nr, 64);
        byte[] out = keys.keymat(3, OUT, pfs, ni, nr, 64);
        assertArrayEquals(Arrays.copyOf(in, 32), k.inbound().encryptionKey());
        assertArrayEquals(Arrays.copyOfRange(in, 32, 64), k.inbound().integrityKey());
        assertArrayEquals(Arrays.copyOf(out, 32), k.outbound().encryptionKey());
        assertArrayEquals(Arrays.copyOfRange(out, 32, 64), k.outbound().integrityKey());
        assertEquals("aes-cbc", k.inbound().encryptionAlgorithm());
        assertEquals("hmac-sha2-256-128", k.outbound().integrityAlgorithm());
        k.destroy();
        assertTrue(k.inbound().isDestroyed() && k.outbound().isDestroyed());
    }

    /** RFC 4106 §8.1: AES-GCM takes 4 more bytes of KEYMAT, the salt, after the key; no integrity key. */
    @Test
    void gcmKeyCarriesItsSalt() {
        ChildSaKeys.Suite s = new ChildSaKeys.Suite(IpsecProtocol.ESP, EspAlgorithm.AES_GCM_16, 128, IntegrityAlgorithm.NONE);
        ChildSaKeys k = ChildSaKeys.derive(keys, s, IN, OUT, ni, nr, null);
        assertArrayEquals(keys.keymat(3, IN, null, ni, nr, 20), k.inbound().encryptionKey());
        assertEquals(0, k.inbound().integrityKey().length);
        assertEquals(36, new ChildSaKeys.Suite(IpsecProtocol.ESP, EspAlgorithm.AES_GCM_16, 256,
                IntegrityAlgorithm.NONE).keymatLength());
    }

    /** AH: protocol ID 2 in the seed, only an integrity key. */
    @Test
    void ahIsKeyedWithProtocolTwo() {
        ChildSaKeys.Suite s = new ChildSaKeys.Suite(IpsecProtocol.AH, EspAlgorithm.NONE, 0, IntegrityAlgorithm.HMAC_SHA1_96);
        ChildSaKeys k = ChildSaKeys.derive(keys, s, IN, OUT, ni, nr, null);
        assertArrayEquals(keys.keymat(2, IN, null, ni, nr, 20), k.inbound().integrityKey());
        assertEquals(0, k.inbound().encryptionKey().length);
        assertEquals("none", k.inbound().encryptionAlgorithm());
    }

    @Test
    void suiteRefusesWhatCannotBeKeyed() {
        assertThrows(IllegalArgumentException.class, () -> new ChildSaKeys.Suite(IpsecProtocol.AH, EspAlgorithm.AES_CBC,
                128, IntegrityAlgorithm.HMAC_SHA1_96));
        assertThrows(IllegalArgumentException.class, () -> new ChildSaKeys.Suite(IpsecProtocol.AH, EspAlgorithm.NONE,
                0, IntegrityAlgorithm.NONE));
        assertThrows(IllegalArgumentException.class, () -> new ChildSaKeys.Suite(IpsecProtocol.ESP,
                EspAlgorithm.AES_GCM_16, 128, IntegrityAlgorithm.HMAC_SHA1_96));
        assertThrows(IllegalArgumentException.class, () -> new ChildSaKeys.Suite(IpsecProtocol.ESP, EspAlgorithm.AES_CBC,
                100, IntegrityAlgorithm.HMAC_SHA1_96));
        assertThrows(IllegalArgumentException.class, () -> new ChildSaKeys.Suite(IpsecProtocol.ESP,
                EspAlgorithm.TRIPLE_DES_CBC, 128, IntegrityAlgorithm.HMAC_SHA1_96));
        assertThrows(IllegalArgumentException.class, () -> new ChildSaKeys.Suite(IpsecProtocol.ESP, EspAlgorithm.NONE,
                0, IntegrityAlgorithm.HMAC_SHA1_96));
        assertEquals(20, new ChildSaKeys.Suite(IpsecProtocol.ESP, EspAlgorithm.NULL, 0,
                IntegrityAlgorithm.HMAC_SHA1_96).keymatLength());
    }
}
