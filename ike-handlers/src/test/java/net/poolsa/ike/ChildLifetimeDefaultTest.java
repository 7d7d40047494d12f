package net.poolsa.ike;

import net.poolsa.ike.proposal.SaPayloadHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;


import org.junit.jupiter.api.Test;

import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.ike.message.AttributeType;
import net.poolsa.ike.message.IpsecAttributeValues;
import net.poolsa.ike.message.SecurityAssociationPayload;
import net.poolsa.ike.message.Transform;
import net.poolsa.ike.proposal.AlgorithmWords;
import net.poolsa.ike.proposal.Encapsulation;
import net.poolsa.ike.proposal.EspProposal;
import net.poolsa.ike.proposal.Phase2Sa;

/**
 * RFC 2407 §4.5, SA Life Type: "When unspecified, the default value shall be assumed to be 28800 seconds (8 hours)".
 * A connection without a time limit offers that, a transform without one is read so, and the child SA gets a rekey
 * before it. Before, such a connection offered no life, kept an offer without one as unlimited and never rekeyed:
 * a peer that follows the RFC expired the SA after 8 hours while we kept sending on it. Every case here fails on the
 * old code.
 */
class ChildLifetimeDefaultTest {
    /**
     * Body of the SA payload strongSwan 5.9.8 sent in Quick Mode ({@code strongswan-capture}, "aes-qm1"): ESP SPI
     * a6b18c7f, AES-CBC-128, HMAC-SHA2-256, PFS 14, UDP tunnel, then Life Type seconds (80010001) and Life Duration
     * 3960 (80020f78).
     */
    private static final String QM1_SA = "00000001000000010000002c01030401a6b18c7f00000020010c0000800600808005"
            + "00058003000e800400038001000180020f78";
    /**
     * The same without the life attributes, as a peer that leaves them to the default sends it: the transform is 8
     * bytes shorter (0x20 to 0x18), and so is the proposal (0x2c to 0x24).
     */
    private static final String QM1_SA_NO_LIFE = "00000001000000010000002401030401a6b18c7f00000018010c0000800600808005"
            + "00058003000e80040003";

    private static final List<EspProposal> OURS = AlgorithmWords.parseEsp("aes128-sha256-modp2048", IpsecProtocol.ESP,
            false);

    @Test
    void aConnectionWithoutALifetimeOffersLifeTypeSecondsWithTheDefaultDuration() throws Exception {
        IkeConnection c = Gateways.forA().lifetime(Lifetime.UNLIMITED).build();
        SecurityAssociationPayload offer = Phase2Sa.offer(OURS, 0xa6b18c7f, SaMode.TUNNEL, Encapsulation.UDP_RFC,
                c.childLifetime());
        String bytes = SaPayloadHex.hex(offer);
        // strongSwan's layout with 28800 = 0x7080 in place of its 3960
        assertEquals(QM1_SA.replace("80020f78", "80027080"), bytes);
        Transform t = SaPayloadHex.decode(bytes).proposals().get(0).transforms().get(0);
        assertEquals(1, t.attributes(AttributeType.IPSEC_SA_LIFE_TYPE).size(), t.toString());
        assertEquals(IpsecAttributeValues.LIFE_SECONDS, t.attributes(AttributeType.IPSEC_SA_LIFE_TYPE).get(0).longValue());
        assertEquals(28800, t.attributes(AttributeType.IPSEC_SA_LIFE_DURATION).get(0).longValue());
    }

    @Test
    void aTransformWithoutLifeAttributesIsReadAsTheDefaultByResponderAndInitiator() throws Exception {
        SecurityAssociationPayload noLife = SaPayloadHex.decode(QM1_SA_NO_LIFE);
        assertTrue(noLife.proposals().get(0).transforms().get(0).attributes(AttributeType.IPSEC_SA_LIFE_TYPE).isEmpty());
        Phase2Sa.Choice chosen = Phase2Sa.choose(noLife, OURS, SaMode.TUNNEL, Encapsulation.UDP_RFC, true);
        assertEquals(28800, chosen.lifetimeSeconds(), "as responder");
        assertEquals(0, chosen.lifetimeKilobytes(), "no default in kilobytes");
        Phase2Sa.Choice answered = Phase2Sa.accepted(noLife, OURS, SaMode.TUNNEL, Encapsulation.UDP_RFC);
        assertEquals(28800, answered.lifetimeSeconds(), "as initiator, reading the answer");
        assertEquals(3960, Phase2Sa.choose(SaPayloadHex.decode(QM1_SA), OURS, SaMode.TUNNEL, Encapsulation.UDP_RFC, true)
                .lifetimeSeconds(), "a given duration is read as given");
    }

    @Test
    void childSasWithoutAConfiguredLifetimeExpireAtTheDefaultAndAreRekeyedBefore() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA().lifetime(Lifetime.UNLIMITED), Gateways.forB().lifetime(Lifetime.UNLIMITED));
        assertTrue(g.initiate(g.a).ok());
        for (Wire.Side s : List.of(g.a, g.b)) {
            assertEquals(2, s.kernel.listSas().size(), s.toString());
            for (SecurityAssociation sa : s.kernel.listSas()) {
                assertEquals(28800, sa.lifetime().hardSeconds(), s + " " + sa);
                assertEquals(25920, sa.lifetime().softSeconds(), s + " " + sa);
            }
            ChildSaSnapshot child = g.snapshot(s).get(0).children().get(0);
            assertEquals(28800, child.expiresInSeconds(), s + " status: " + child);
            // jitter 10 %: the rekey comes between 9/10 and 9/10 * 0.9 of the lifetime
            assertTrue(child.rekeyInSeconds() > 25920 * 9 / 10 && child.rekeyInSeconds() <= 25920,
                    s + " status: " + child);
        }
    }

    @Test
    void aPeerOfferingLessKeepsItsLifetimeInEitherRole() {
        Lifetime peer = Lifetime.ofSeconds(3000, 3600);
        Gateways g = new Gateways();
        g.configure(Gateways.forA().lifetime(peer), Gateways.forB().lifetime(Lifetime.UNLIMITED));
        assertTrue(g.initiate(g.a).ok());
        for (SecurityAssociation sa : g.b.kernel.listSas()) {
            assertEquals(3600, sa.lifetime().hardSeconds(), "B (responder) took A's offer: " + sa);
            assertEquals(3240, sa.lifetime().softSeconds(), "the soft time keeps its 9/10: " + sa);
        }
        for (SecurityAssociation sa : g.a.kernel.listSas()) {
            assertEquals(peer, Lifetime.ofSeconds(sa.lifetime().softSeconds(), sa.lifetime().hardSeconds()), sa.toString());
        }

        Gateways h = new Gateways();
        h.configure(Gateways.forA().lifetime(Lifetime.UNLIMITED), Gateways.forB().lifetime(peer));
        assertTrue(h.initiate(h.a).ok());
        for (SecurityAssociation sa : h.a.kernel.listSas()) {
            assertEquals(3600, sa.lifetime().hardSeconds(), "A (initiator) took B's RESPONDER-LIFETIME: " + sa);
            assertEquals(3240, sa.lifetime().softSeconds(), sa.toString());
        }
        for (SecurityAssociation sa : h.b.kernel.listSas()) {
            assertEquals(3600, sa.lifetime().hardSeconds(), sa.toString());
        }
    }

}
