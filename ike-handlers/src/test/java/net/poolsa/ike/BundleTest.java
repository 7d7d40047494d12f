package net.poolsa.ike;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;

/**
 * AH+ESP bundles in Quick Mode (RFC 2408 §4.2: an AH and an ESP proposal under one number are a conjunction;
 * RFC 2409 §5.5: KEYMAT per protocol and SPI): one Quick Mode installs, on each side, the ESP pair in the
 * connection's mode and a transport-mode AH pair between the outer addresses under the same reqid, which the data
 * plane applies over the ESP packets (IpsecKernel#addSa). A Delete removes all four SAs; a bundle is taken whole or
 * not at all; a bundle is not offered across a NAT (RFC 3715 §2.1).
 */
class BundleTest {

    @ParameterizedTest(name = "ESP {0} + AH {1}, {2}")
    @CsvSource({
        "aes128-sha256-modp2048, sha256, TUNNEL,    aes-cbc,    hmac-sha2-256-128, hmac-sha2-256-128",
        "3des-sha1,              sha1,   TUNNEL,    3des-cbc,   hmac-sha1-96,      hmac-sha1-96",
        "aes128gcm16-ecp256,     sha512, TRANSPORT, aes-gcm-16, none,              hmac-sha2-512-256",
    })
    void oneQuickModeInstallsAnEspAndAnAhPairUnderOneReqid(String esp, String ah, SaMode mode, String enc,
                                                             String integ, String ahInteg) {
        for (boolean aInitiates : new boolean[] {true, false}) {
            String where = esp + " + " + ah + (aInitiates ? " A->B" : " B->A");
            Gateways g = new Gateways();
            Conn a = mode == SaMode.TRANSPORT ? Conn.of("192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.2")
                    : Gateways.forA();
            Conn b = mode == SaMode.TRANSPORT ? Conn.of("192.0.2.2", "192.0.2.1", "192.0.2.2", "192.0.2.1")
                    : Gateways.forB();
            g.configure(a.esp(esp).ah(ah).mode(mode), b.esp(esp).ah(ah).mode(mode));
            IkeResult r = g.initiate(aInitiates ? g.a : g.b);
            assertTrue(r.ok(), where + ": " + r.message());
            assertEquals(9, g.wire.log.size(), where + ": Main Mode and one Quick Mode");
            assertEquals(0, g.a.events.totalDrops() + g.b.events.totalDrops(), where);

            for (IpsecProtocol p : IpsecProtocol.values()) {
                SecurityAssociation aIn = one(g.a, Direction.INBOUND, p);
                SecurityAssociation aOut = one(g.a, Direction.OUTBOUND, p);
                SecurityAssociation bIn = one(g.b, Direction.INBOUND, p);
                SecurityAssociation bOut = one(g.b, Direction.OUTBOUND, p);
                assertEquals(aIn.spi(), bOut.spi(), where + " " + p);
                assertEquals(bIn.spi(), aOut.spi(), where + " " + p);
                for (SecurityAssociation[] pair : new SecurityAssociation[][] {{aIn, bOut}, {bIn, aOut}}) {
                    assertArrayEquals(pair[0].keys().encryptionKey(), pair[1].keys().encryptionKey(), where + " " + p);
                    assertArrayEquals(pair[0].keys().integrityKey(), pair[1].keys().integrityKey(), where + " " + p);
                    assertEquals(p == IpsecProtocol.AH ? SaMode.TRANSPORT : mode, pair[0].mode(), where + " " + p);
                    assertEquals(p == IpsecProtocol.AH ? "none" : enc, pair[0].keys().encryptionAlgorithm(), where);
                    assertEquals(p == IpsecProtocol.AH ? ahInteg : integ, pair[0].keys().integrityAlgorithm(), where);
                    assertEquals(7, pair[0].reqid(), where + " " + p + ": the connection's reqid");
                    assertEquals(7, pair[1].reqid(), where + " " + p + ": the connection's reqid");
                }
            }
            // the AH pair runs between the outer addresses, over the ESP packets, never in UDP
            SecurityAssociation ahOut = one(g.a, Direction.OUTBOUND, IpsecProtocol.AH);
            assertEquals(TrafficSelector.between(AddressPool.parse("192.0.2.1"), AddressPool.parse("192.0.2.2")),
                    ahOut.selector(), where);
            assertNull(ahOut.udpEncapsulation(), where);
            // KEYMAT is per protocol and SPI: the two halves share no key
            SecurityAssociation espIn = one(g.a, Direction.INBOUND, IpsecProtocol.ESP);
            SecurityAssociation ahIn = one(g.a, Direction.INBOUND, IpsecProtocol.AH);
            assertNotEquals(espIn.spi(), ahIn.spi(), where);
            assertFalse(Arrays.equals(espIn.keys().integrityKey(), ahIn.keys().integrityKey())
                    || Arrays.equals(espIn.keys().encryptionKey(), ahIn.keys().integrityKey()), where);

            ChildSaSnapshot child = g.snapshot(g.a).get(0).children().get(0);
            assertEquals(espIn.spi(), child.spiIn(), where);
            assertEquals(esp + " + ah " + ah, child.proposal(), where);

            // terminate: Deletes for both inbound SPIs, and all four SAs go on both sides
            Wire.Side initiator = aInitiates ? g.a : g.b;
            IkeResult t = Gateways.done(initiator.engine.terminate("c").toCompletableFuture());
            assertTrue(t.ok(), t.message());
            List<Wire.Datagram> deletes = g.wire.take();
            assertEquals(3, deletes.size(), where + ": D(ESP), D(AH), D(ISAKMP)");
            deletes.forEach(g.wire::deliver);
            assertEquals(List.of(), g.a.kernel.listSas(), where);
            assertEquals(List.of(), g.b.kernel.listSas(), where);
            assertEquals(0, g.a.counting.held() + g.b.counting.held(), where + ": no SPI still reserved");
        }
    }

    @Test
    void aPeersDeleteOfTheAhSpiRemovesTheWholeBundle() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA().esp("aes128-sha256").ah("sha256"), Gateways.forB().esp("aes128-sha256").ah("sha256"));
        assertTrue(g.initiate(g.a).ok());
        assertEquals(4, g.b.kernel.listSas().size());
        Gateways.done(g.a.engine.terminate("c").toCompletableFuture());
        List<Wire.Datagram> deletes = g.wire.take();
        assertEquals(3, deletes.size(), "D(ESP), D(AH), D(ISAKMP)");
        g.wire.deliver(deletes.get(1)); // D(AH) alone
        assertEquals(List.of(), g.b.kernel.listSas(), "the AH SPI names the bundle");
        assertEquals(0, g.b.events.totalDrops(), g.b.events.drops.toString());
    }

    @Test
    void aBundleIsTakenWholeOrNotAtAll() {
        // A offers AH+ESP, B takes ESP alone: B must not pick the ESP half of the conjunction
        Gateways g = new Gateways();
        g.configure(Gateways.forA().esp("aes128-sha256").ah("sha256"), Gateways.forB().esp("aes128-sha256"));
        IkeResult r = g.initiate(g.a);
        assertFalse(r.ok(), r.message());
        assertTrue(r.message().contains("NO-PROPOSAL-CHOSEN"), r.message());
        assertEquals(List.of(), g.a.kernel.listSas());
        assertEquals(List.of(), g.b.kernel.listSas());
        assertEquals(1, g.b.events.exchanges("quick_mode/refused"), g.b.events.exchanges.toString());
        assertEquals(0, g.a.counting.held() + g.b.counting.held());

        // A offers ESP alone, B wants the bundle
        Gateways h = new Gateways();
        h.configure(Gateways.forA().esp("aes128-sha256"), Gateways.forB().esp("aes128-sha256").ah("sha256"));
        IkeResult s = h.initiate(h.a);
        assertFalse(s.ok(), s.message());
        assertTrue(s.message().contains("NO-PROPOSAL-CHOSEN"), s.message());
        assertEquals(List.of(), h.a.kernel.listSas());
        assertEquals(List.of(), h.b.kernel.listSas());
    }

    @Test
    void aBundleIsNotOfferedAcrossANat() {
        Gateways g = new Gateways();
        g.configure(Gateways.forA().esp("aes128-sha256").ah("sha256").encap(true),
                Gateways.forB().esp("aes128-sha256").ah("sha256"));
        IkeResult r = g.initiate(g.a);
        assertFalse(r.ok(), r.message());
        assertTrue(r.message().contains("an AH+ESP bundle cannot cross a NAT"), r.message());
        assertEquals(6, g.wire.log.size(), "Main Mode only: no Quick Mode went out");
        assertEquals(List.of(), g.a.kernel.listSas());
        assertEquals(0, g.a.counting.allocated, "no SPI reserved");
    }

    @Test
    void theConnectionRefusesWhatCannotBeABundle() {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> Gateways.forA().protocol(IpsecProtocol.AH).esp("sha256").ah("sha1").build());
        assertEquals("connection c: an AH bundle goes over ESP, not AH", x.getMessage());
        x = assertThrows(IllegalArgumentException.class,
                () -> Gateways.forA().ah("sha256-modp2048").build());
        assertEquals("AH bundle proposal 'sha256-modp2048' names PFS group modp2048; a bundle takes its group from "
                + "the ESP proposal", x.getMessage());
        x = assertThrows(IllegalArgumentException.class,
                () -> Gateways.forA().ah("aes128").build());
        assertTrue(x.getMessage().contains("'aes128'"), x.getMessage());
    }

    private static SecurityAssociation one(Wire.Side side, Direction d, IpsecProtocol p) {
        List<SecurityAssociation> out = side.kernel.listSas().stream()
                .filter(s -> s.direction() == d && s.protocol() == p).toList();
        assertEquals(1, out.size(), side + " " + d + " " + p + " SAs: " + side.kernel.listSas());
        return out.get(0);
    }
}
