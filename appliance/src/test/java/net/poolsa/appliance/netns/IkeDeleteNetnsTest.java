package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root, tcpdump and tshark: two {@code poolsa run} appliances ({@link ApplianceLab}) keyed by IKE; gA is
 * stopped with SIGTERM. Its shutdown sends, before it removes its SAs, an Informational exchange with a Delete for
 * its inbound ESP SA and one for the ISAKMP SA (RFC 2408 §3.15, RFC 2409 §5.7: {@code HDR*, HASH(1), D}), which
 * tshark decrypts with gA's test-only key export; gB acts on them at once: its SA pair, its IKE SA and
 * {@code poolsa_tunnel_up} go, and its log says the peer deleted them (not an expiry). Then the same through
 * {@code poolsa terminate} on gB, the responder: gA removes everything on gB's Deletes.
 * <pre>
 * gA: SIGTERM
 * HDR*, HASH(1), D(ESP, gA's inbound SPI)   --&gt;  gB removes the SA pair
 * HDR*, HASH(1), D(ISAKMP, CKY-I | CKY-R)   --&gt;  gB removes the IKE SA
 * </pre>
 */
@Tag("root")
class IkeDeleteNetnsTest {
    /** The payloads of a DPD R-U-THERE or ACK (RFC 3706): HASH (8), Notification (11). */
    private static final String PAYLOADS_DPD = "8,11";
    /** tshark's isakmp.exchangetype of Informational (RFC 2408 §3.1). */
    static final int INFORMATIONAL = 5;
    /** Protocol IDs in a Delete payload (RFC 2407 §4.4.1). */
    static final String PROTO_ISAKMP = "1";
    static final String PROTO_ESP = "3";

    @Test
    void sigtermSendsDeletesThatThePeerActsOnAtOnce() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-delete")) {
            Path keys = Files.createDirectories(lab.dir().resolve("keys"));
            lab.jvmOptions(ApplianceLab.GW_A, "-Dpoolsa.ike.keyExportDir=" + keys);
            ApplianceLab.Capture cap = lab.startCapture(ApplianceLab.GW_B, "l1b", "udp port 500 or udp port 4500");
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, IkePoolPairNetnsTest.pairConfig(lab, ApplianceLab.GW_B, "pair", "none"));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, IkePoolPairNetnsTest.pairConfig(lab, ApplianceLab.GW_A, "pair", "none"));
            assertEquals(0, a.control("initiate", "pair").exitCode(), a.log());
            Map<String, Object> childA = StrongSwanIkeInteropTest.ikeChild(a.status(true), "pair");
            Map<String, Object> ikeA = IkeGarbageFloodNetnsTest.ikeSa(a.status(true));
            assertEquals(2.0, sas(b));
            assertEquals(1.0, b.metric("poolsa_tunnel_up{connection=\"pair\"}"));

            assertEquals(0, a.stop(), a.log());
            // the engine's shutdown ran (Deletes, key copies and IKE SA keys wiped): the stop line may say so
            assertTrue(a.log().contains("event=stopped keys=zeroed"), a.log());
            // gB acts on the Deletes, not on a timer: its SAs are gone within 5 s of gA's exit (no DPD, lifetimes of hours)
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            double sas = -1;
            while (System.nanoTime() < deadline) {
                sas = sas(b);
                if (sas == 0) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals(0.0, sas, b.log());
            assertEquals(0.0, b.metric("poolsa_tunnel_up{connection=\"pair\"}"));
            assertEquals(1, b.logLines("event=child_sa_removed connection=pair spi_in=0x" + childA.get("spi_out")
                    + " .*delete_sent=false").size(), b.log());
            assertEquals(1, b.logLines("event=ike_sa_removed connection=pair .*reason=\"the peer deleted it\"").size(),
                    b.log());
            assertTrue(a.logLines("event=ike_shutdown_incomplete").isEmpty(), a.log());
            assertTrue(b.process().isAlive());

            // the capture: exactly two Informationals from gA with a Delete, each HASH + Delete, ESP (gA's inbound SPI)
            // then ISAKMP; every other Informational from gA is dead peer detection (HASH + Notify, on by default)
            Path pcap = cap.stop();
            List<String> deletes = new ArrayList<>();
            for (String[] f : Tshark.fields(pcap, keys, "isakmp.exchangetype == " + INFORMATIONAL + " && ip.src == 198.51.100.1",
                    "isakmp.typepayload", "isakmp.delete.protoid", "isakmp.delete.spi")) {
                if (f[0].equals(PAYLOADS_DPD) && f[1].isEmpty()) {
                    continue;
                }
                deletes.add(f[0] + " " + f[1] + " " + f[2].replace(":", ""));
            }
            assertEquals(List.of("8,12 " + PROTO_ESP + " " + childA.get("spi_in"), "8,12 " + PROTO_ISAKMP + " "
                    + ikeA.get("initiator_cookie") + ikeA.get("responder_cookie")), deletes);
        }
    }

    @Test
    void terminateOnTheResponderDeletesOnBothSides() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-terminate")) {
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, IkePoolPairNetnsTest.pairConfig(lab, ApplianceLab.GW_B, "pair", "none"));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, IkePoolPairNetnsTest.pairConfig(lab, ApplianceLab.GW_A, "pair", "none"));
            assertEquals(0, a.control("initiate", "pair").exitCode(), a.log());
            assertEquals(2.0, sas(a));
            assertEquals(1.0, a.metric("poolsa_tunnel_up{connection=\"pair\"}"));
            var t = b.control("terminate", "pair");
            assertEquals(0, t.exitCode(), t.output());
            assertTrue(t.output().contains("connection pair terminated: 1 child SA pair(s), 1 IKE SA(s) deleted"), t.output());
            a.awaitLog("event=ike_sa_removed connection=pair .*reason=\"the peer deleted it\"", Duration.ofSeconds(5));
            assertEquals(0.0, sas(a));
            assertEquals(0.0, a.metric("poolsa_tunnel_up{connection=\"pair\"}"));
        }
    }

    /** The SAs installed (in + out), from a series that must be there. */
    static double sas(ApplianceLab.Poolsa p) throws Exception {
        String m = p.metrics();
        assertTrue(m.contains("poolsa_sas{direction=\"in\"") && m.contains("poolsa_sas{direction=\"out\""), m);
        return p.metric("poolsa_sas{direction=\"in\"}") + p.metric("poolsa_sas{direction=\"out\"}");
    }
}
