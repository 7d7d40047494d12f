package net.poolsa.ike.proposal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;


import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.SecurityAssociationPayload;

/**
 * Our SA payloads against the ones strongSwan 5.9.8 sent in {@code strongswan-capture} (messages.txt: "aes-mm1"
 * offset 28, and the plaintext of "aes-qm1" after HASH(1)): byte for byte the same for the same suite, attribute
 * order included, and strongSwan's offers are read and chosen from as strongSwan meant them.
 */
class SaPayloadsTest {
    /** Body of the SA payload of aes-mm1: aes128-sha256-modp2048, PSK, 15840 s. */
    private static final String MM1_SA = "00000001000000010000002c0101000100000024010100008001000780"
            + "0e0080800200048004000e80030001800b0001800c3de0";
    /** Body of the SA payload of aes-qm1: ESP SPI a6b18c7f, AES-CBC-128, HMAC-SHA2-256, PFS 14, UDP tunnel, 3960 s. */
    private static final String QM1_SA = "00000001000000010000002c01030401a6b18c7f00000020010c0000800600808005"
            + "00058003000e800400038001000180020f78";

    @Test
    void ourPhaseOneOfferIsStrongSwansByteForByte() {
        assertEquals(MM1_SA, SaPayloadHex.hex(Phase1Sa.offer(AlgorithmWords.parseIke("aes128-sha256-modp2048"), 15840)));
    }

    /**
     * aes-mm1's SA with a second Life Type/Life Duration pair, kilobytes (2) 4608, after strongSwan's seconds (RFC 2409
     * Appendix A; strongSwan proposes no phase-1 kilobytes): the transform grows to 0x2c bytes, the proposal to 0x34.
     * {@code PhaseOneLifetimeTsharkTest} has tshark read it.
     */
    static final String MM1_SA_KILOBYTES = "00000001000000010000003401010001000000" + "2c010100008001000780"
            + "0e0080800200048004000e80030001800b0001800c3de0" + "800b0002800c1200";

    @Test
    void aPhaseOneOfferWithKilobytesAddsTheSecondLifePairAndIsChosenWithIt() throws Exception {
        assertEquals(MM1_SA_KILOBYTES, SaPayloadHex.hex(Phase1Sa.offer(AlgorithmWords.parseIke("aes128-sha256-modp2048"), 15840, 4608,
                net.poolsa.ike.message.IkeAttributeValues.AUTH_PRE_SHARED_KEY)));
        Phase1Sa.Choice c = Phase1Sa.choose(SaPayloadHex.decode(MM1_SA_KILOBYTES), AlgorithmWords.parseIke("aes128-sha256-modp2048"));
        assertEquals(15840, c.lifetimeSeconds());
        assertEquals(4608, c.lifetimeKilobytes());
        assertEquals(MM1_SA_KILOBYTES, SaPayloadHex.hex(Phase1Sa.answer(c)), "the transform returned as received, both pairs");
        assertEquals(4608, Phase1Sa.accepted(Phase1Sa.answer(c), AlgorithmWords.parseIke("aes128-sha256-modp2048"))
                .lifetimeKilobytes(), "the initiator reads the limit back");
        assertEquals(0, Phase1Sa.choose(SaPayloadHex.decode(MM1_SA), AlgorithmWords.parseIke("aes128-sha256-modp2048"))
                .lifetimeKilobytes(), "strongSwan's own offer has none");
    }

    @Test
    void theResponderChoosesFromStrongSwansOffer() throws Exception {
        SecurityAssociationPayload offer = SaPayloadHex.decode(MM1_SA);
        Phase1Sa.Choice c = Phase1Sa.choose(offer, merged("aes256-sha1-modp1024", "aes128-sha256-modp2048"));
        assertEquals("aes128-sha256-modp2048", c.proposal().name());
        assertEquals(15840, c.lifetimeSeconds());
        assertEquals(MM1_SA, SaPayloadHex.hex(Phase1Sa.answer(c)), "one proposal, the one transform, as received");
        IkeProtocolException e = assertThrows(IkeProtocolException.class,
                () -> Phase1Sa.choose(offer, AlgorithmWords.parseIke("3des-sha1-modp1024")));
        assertEquals(NotifyType.NO_PROPOSAL_CHOSEN, e.notifyType());
        assertEquals("no acceptable phase-1 proposal: offered [aes128-sha256-modp2048], configured [3des-sha1-modp1024]",
                e.getMessage());
    }

    @Test
    void ourQuickModeOfferIsStrongSwansByteForByte() {
        assertEquals(QM1_SA, SaPayloadHex.hex(Phase2Sa.offer(AlgorithmWords.parseEsp("aes128-sha256-modp2048", IpsecProtocol.ESP, false),
                0xa6b18c7f, SaMode.TUNNEL, Encapsulation.UDP_RFC, Lifetime.ofSeconds(3600, 3960))));
    }

    @Test
    void theQuickModeResponderChoosesFromStrongSwansOffer() throws Exception {
        SecurityAssociationPayload offer = SaPayloadHex.decode(QM1_SA);
        List<EspProposal> ours = AlgorithmWords.parseEsp("aes128-sha256-modp2048", IpsecProtocol.ESP, false);
        Phase2Sa.Choice c = Phase2Sa.choose(offer, ours, SaMode.TUNNEL, Encapsulation.UDP_RFC, true);
        assertEquals(0xa6b18c7f, c.spi());
        assertEquals(3960, c.lifetimeSeconds());
        assertEquals("aes128-sha256-modp2048", c.proposal().name());
        assertEquals(QM1_SA.replace("a6b18c7f", "01020304"), SaPayloadHex.hex(Phase2Sa.answer(c, 0x01020304)));
        for (Runnable wrong : List.<Runnable>of(
                () -> choose(offer, ours, SaMode.TRANSPORT, Encapsulation.UDP_RFC, true),
                () -> choose(offer, ours, SaMode.TUNNEL, Encapsulation.NONE, true),
                () -> choose(offer, ours, SaMode.TUNNEL, Encapsulation.UDP_RFC, false),
                () -> choose(offer, AlgorithmWords.parseEsp("aes128gcm16-modp2048", IpsecProtocol.ESP, false),
                        SaMode.TUNNEL, Encapsulation.UDP_RFC, true))) {
            wrong.run();
        }
    }

    private static void choose(SecurityAssociationPayload offer, List<EspProposal> ours, SaMode mode, Encapsulation e,
                               boolean ke) {
        IkeProtocolException x = assertThrows(IkeProtocolException.class, () -> Phase2Sa.choose(offer, ours, mode, e, ke));
        assertEquals(NotifyType.NO_PROPOSAL_CHOSEN, x.notifyType());
        assertTrue(x.getMessage().startsWith("no acceptable Quick Mode proposal: offered [aes128-sha256-modp2048 TUNNEL UDP_RFC]"),
                x.getMessage());
    }

    private static List<IkeProposal> merged(String... ps) {
        List<IkeProposal> out = new java.util.ArrayList<>();
        for (String p : ps) {
            out.addAll(AlgorithmWords.parseIke(p));
        }
        return out;
    }

}
