package net.poolsa.ike.proposal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.ike.message.AttributeType;
import net.poolsa.ike.message.DataAttribute;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IpsecAttributeValues;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.Proposal;
import net.poolsa.ike.message.ProtocolId;
import net.poolsa.ike.message.SecurityAssociationPayload;

/**
 * AH+ESP bundles in the Quick Mode SA payload (RFC 2408 §4.2: proposals that share a number are a conjunction,
 * "AH AND ESP" is Proposal 1 AH, Proposal 1 ESP): our offer's structure, the responder's choice and answer, the
 * initiator's check, and a conjunction is never taken in halves.
 */
class BundleSaPayloadTest {
    private static final Lifetime LIFE = Lifetime.ofSeconds(3000, 3600);
    private static final List<EspProposal> ESP = AlgorithmWords.parseEsp("aes128-sha256-modp2048", IpsecProtocol.ESP, false);
    private static final List<EspProposal> AH = AlgorithmWords.parseBundleAh("sha256-sha1", false);

    @Test
    void theOfferPairsEveryAhWithEveryEspTransformUnderOneNumberAhFirst() {
        SecurityAssociationPayload sa = Phase2Sa.offer(ESP, AH, 0x11111111, 0x22222222, SaMode.TUNNEL,
                Encapsulation.NONE, LIFE);
        List<Proposal> ps = sa.proposals();
        assertEquals(4, ps.size());
        for (int i = 0; i < 4; i += 2) {
            Proposal ah = ps.get(i);
            Proposal esp = ps.get(i + 1);
            assertEquals(i / 2 + 1, ah.number());
            assertEquals(i / 2 + 1, esp.number());
            assertEquals(ProtocolId.IPSEC_AH, ah.protocol());
            assertEquals(ProtocolId.IPSEC_ESP, esp.protocol());
            assertEquals(Octets.ofInt(0x22222222), ah.spi());
            assertEquals(Octets.ofInt(0x11111111), esp.spi());
            List<DataAttribute> a = ah.transforms().get(0).attributes();
            assertEquals(List.of(
                    DataAttribute.basic(AttributeType.IPSEC_AUTHENTICATION_ALGORITHM, i == 0
                            ? IpsecAttributeValues.AUTH_HMAC_SHA2_256 : IpsecAttributeValues.AUTH_HMAC_SHA1),
                    DataAttribute.basic(AttributeType.IPSEC_GROUP_DESCRIPTION, 14),
                    DataAttribute.basic(AttributeType.IPSEC_ENCAPSULATION_MODE, 2),
                    DataAttribute.basic(AttributeType.IPSEC_SA_LIFE_TYPE, IpsecAttributeValues.LIFE_SECONDS),
                    DataAttribute.number(AttributeType.IPSEC_SA_LIFE_DURATION, 3600)), a,
                    "AH: its integrity, the ESP transform's group, transport mode (RFC 2407 §4.5 value 2)");
            assertEquals(Phase2Sa.offer(ESP, 0x11111111, SaMode.TUNNEL, Encapsulation.NONE, LIFE).proposals().get(0)
                    .transforms(), esp.transforms());
        }
    }

    @Test
    void theResponderChoosesBothHalvesAndTheInitiatorAcceptsTheAnswer() throws Exception {
        SecurityAssociationPayload offer = Phase2Sa.offer(ESP, AH, 0x11111111, 0x22222222, SaMode.TUNNEL,
                Encapsulation.NONE, LIFE);
        List<EspProposal> sha1Only = AlgorithmWords.parseBundleAh("sha1", false);
        Phase2Sa.Chosen c = Phase2Sa.choose(offer, ESP, sha1Only, SaMode.TUNNEL, Encapsulation.NONE, true);
        assertEquals(2, c.main().proposalNumber(), "the number whose AH is the one configured");
        assertEquals(0x11111111, c.main().spi());
        assertEquals(0x22222222, c.ah().spi());
        assertEquals("ah sha1-modp2048", c.ah().proposal().name(), "the AH transform carries the bundle's group");
        SecurityAssociationPayload answer = Phase2Sa.answer(c, 0x33333333, 0x44444444);
        assertEquals(2, answer.proposals().size());
        assertEquals(ProtocolId.IPSEC_AH, answer.proposals().get(0).protocol());
        assertEquals(Octets.ofInt(0x44444444), answer.proposals().get(0).spi());
        assertEquals(Octets.ofInt(0x33333333), answer.proposals().get(1).spi());
        Phase2Sa.Chosen back = Phase2Sa.accepted(answer, ESP, AH, SaMode.TUNNEL, Encapsulation.NONE);
        assertEquals(0x33333333, back.main().spi());
        assertEquals(0x44444444, back.ah().spi());

        // an answer without its AH half, or with an AH we did not offer, is refused
        SecurityAssociationPayload half = SecurityAssociationPayload.ipsec(List.of(answer.proposals().get(1)));
        IkeProtocolException x = assertThrows(IkeProtocolException.class,
                () -> Phase2Sa.accepted(half, ESP, AH, SaMode.TUNNEL, Encapsulation.NONE));
        assertEquals(NotifyType.BAD_PROPOSAL_SYNTAX, x.notifyType());
        x = assertThrows(IkeProtocolException.class, () -> Phase2Sa.accepted(answer, ESP,
                AlgorithmWords.parseBundleAh("sha512", false), SaMode.TUNNEL, Encapsulation.NONE));
        assertEquals(NotifyType.NO_PROPOSAL_CHOSEN, x.notifyType());
        assertTrue(x.getMessage().startsWith("the responder chose AH ah sha1-modp2048 TRANSPORT NONE"), x.getMessage());
        // and a plain initiator takes no bundle answer
        x = assertThrows(IkeProtocolException.class,
                () -> Phase2Sa.accepted(answer, ESP, SaMode.TUNNEL, Encapsulation.NONE));
        assertEquals(NotifyType.BAD_PROPOSAL_SYNTAX, x.notifyType());
    }

    @Test
    void aConjunctionIsNotTakenInHalves() {
        // Proposal 1 AH, Proposal 1 ESP: a responder configured for ESP alone must not answer with the ESP half
        EspProposal ah = AlgorithmWords.parseEsp("sha256-modp2048", IpsecProtocol.AH, false).get(0);
        Proposal esp = Phase2Sa.offer(ESP, 0x11111111, SaMode.TUNNEL, Encapsulation.NONE, LIFE).proposals().get(0);
        SecurityAssociationPayload offer = SecurityAssociationPayload.ipsec(List.of(
                new Proposal(1, ProtocolId.IPSEC_AH, Octets.ofInt(0x22222222),
                        List.of(Phase2Sa.transform(1, ah, SaMode.TRANSPORT, Encapsulation.NONE, LIFE))), esp));
        IkeProtocolException x = assertThrows(IkeProtocolException.class,
                () -> Phase2Sa.choose(offer, ESP, SaMode.TUNNEL, Encapsulation.NONE, true));
        assertEquals(NotifyType.NO_PROPOSAL_CHOSEN, x.notifyType());
        // nor one configured for AH alone with the AH half
        x = assertThrows(IkeProtocolException.class, () -> Phase2Sa.choose(offer, List.of(ah), SaMode.TRANSPORT,
                Encapsulation.NONE, true));
        assertEquals(NotifyType.NO_PROPOSAL_CHOSEN, x.notifyType());
    }

    @Test
    void withoutABundleTheAnswerIsAsBefore() throws Exception {
        SecurityAssociationPayload offer = Phase2Sa.offer(ESP, List.of(), 0x11111111, 0, SaMode.TUNNEL,
                Encapsulation.NONE, LIFE);
        assertEquals(Phase2Sa.offer(ESP, 0x11111111, SaMode.TUNNEL, Encapsulation.NONE, LIFE), offer);
        Phase2Sa.Chosen c = Phase2Sa.choose(offer, ESP, List.of(), SaMode.TUNNEL, Encapsulation.NONE, true);
        assertNull(c.ah());
        assertEquals(Phase2Sa.answer(c.main(), 5), Phase2Sa.answer(c, 5, 0));
    }
}
