package net.poolsa.ike.proposal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.crypto.EspAlgorithm;
import net.poolsa.esp.crypto.IntegrityAlgorithm;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.ike.Proposals;
import net.poolsa.ike.crypto.DhGroup;
import net.poolsa.ike.crypto.HashAlgorithm;
import net.poolsa.ike.crypto.IkeCipher;

/** strongSwan's proposal keywords as the engine and check-config read them; every error names the word at fault. */
class ProposalsTest {

    @Test
    void ikeProposalsOfferEveryCombinationInTheOrderWritten() {
        assertEquals(List.of(new IkeProposal(IkeCipher.AES_CBC, 128, HashAlgorithm.SHA2_256, DhGroup.MODP_2048)),
                AlgorithmWords.parseIke("aes128-sha256-modp2048"));
        List<IkeProposal> all = AlgorithmWords.parseIke("aes256-3des-sha1-sha512-ecp384-curve25519");
        assertEquals(8, all.size());
        assertEquals("aes256-sha1-ecp384", all.get(0).name());
        assertEquals("aes256-sha1-curve25519", all.get(1).name());
        assertEquals("3des-sha512-curve25519", all.get(7).name());
        assertEquals("aes128-sha256-modp2048", AlgorithmWords.parseIke("AES128-SHA256-PRFSHA256-MODP2048").get(0).name());
        assertEquals(DhGroup.MODP_1024, AlgorithmWords.parseIke("aes256-sha1-modp1024").get(0).group());
    }

    @Test
    void ikeErrorsNameTheWord() {
        assertEquals("proposal 'aes128-sha256' lacks a Diffie-Hellman group (modp2048, ...)",
                assertThrows(IllegalArgumentException.class, () -> Proposals.checkIke("aes128-sha256")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Proposals.checkIke("aes128-md5-modp2048"))
                .getMessage().startsWith("'md5' in proposal 'aes128-md5-modp2048' is not supported here"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Proposals.checkIke("aes128-sha256-modp4096"))
                .getMessage().startsWith("'modp4096' in proposal"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Proposals.checkIke("aes128-sha2-modp2048"))
                .getMessage().startsWith("'sha2' in proposal 'aes128-sha2-modp2048' is not a known algorithm keyword"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Proposals.checkIke("aes128gcm16-sha256-modp2048"))
                .getMessage().startsWith("'aes128gcm16' in proposal"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Proposals.checkIke("aes128-sha256-prfsha384-modp2048"))
                .getMessage().startsWith("'prfsha384' in proposal"));
        assertThrows(IllegalArgumentException.class, () -> Proposals.checkIke("aes128--modp2048"));
    }

    @Test
    void espProposals() {
        EspProposal gcm = AlgorithmWords.parseEsp("aes128gcm16-modp2048", IpsecProtocol.ESP, false).get(0);
        assertEquals(new EspProposal(IpsecProtocol.ESP, EspAlgorithm.AES_GCM_16, 128, IntegrityAlgorithm.NONE,
                DhGroup.MODP_2048, false), gcm);
        assertEquals("aes128gcm16-modp2048", gcm.name());
        assertEquals("3des-sha1", AlgorithmWords.parseEsp("3des-sha1", IpsecProtocol.ESP, false).get(0).name());
        assertEquals("ah sha256-esn", AlgorithmWords.parseEsp("sha256-esn", IpsecProtocol.AH, false).get(0).name());
        assertEquals(2, AlgorithmWords.parseEsp("aes256-sha256-esn-noesn", IpsecProtocol.ESP, false).size());
        assertTrue(AlgorithmWords.parseEsp("aes256-sha256", IpsecProtocol.ESP, true).get(0).esn(),
                "the connection's default when the proposal says nothing");
        assertEquals(256, AlgorithmWords.parseEsp("chacha20poly1305", IpsecProtocol.ESP, false).get(0).encryptionKeyBits());
    }

    @Test
    void espErrorsNameTheWord() {
        assertEquals("proposal 'aes128': aes128 needs an integrity algorithm (sha1, sha256, ...)",
                assertThrows(IllegalArgumentException.class, () -> Proposals.checkEsp("aes128", IpsecProtocol.ESP))
                        .getMessage());
        assertEquals("proposal 'aes128gcm16-sha256': aes128gcm16 is combined mode and takes no integrity algorithm",
                assertThrows(IllegalArgumentException.class,
                        () -> Proposals.checkEsp("aes128gcm16-sha256", IpsecProtocol.ESP)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Proposals.checkEsp("aes128-sha256", IpsecProtocol.AH))
                .getMessage().startsWith("'aes128' in proposal 'aes128-sha256' is not a known algorithm keyword for AH"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Proposals.checkEsp("aes128-sha256-modp2048-ecp256", IpsecProtocol.ESP)).getMessage()
                .contains("names 2 PFS groups"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Proposals.checkEsp("aes192gcm16", IpsecProtocol.ESP))
                .getMessage().startsWith("'aes192gcm16' in proposal 'aes192gcm16' is not supported here"));
    }
}
