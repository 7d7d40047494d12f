package net.poolsa.appliance.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.poolsa.appliance.config.ConfigFixture;
import net.poolsa.appliance.config.ConfigLoader;
import net.poolsa.appliance.keying.ConnectionManager;
import net.poolsa.appliance.keying.ManualKeying;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.ike.ChildSaSnapshot;
import net.poolsa.ike.IkeSaSnapshot;

/**
 * IKE connections in {@code poolsa status}: one IKE SA (negotiated for site-c) carries the Quick Modes of site-c and
 * site-d, two connections to the same peer; each connection lists that IKE SA with its own child SA only (found by the
 * reqid of its inbound SA in the kernel), with the counters of the installed SAs.
 */
class StatusReportIkeTest {
    @TempDir
    Path dir;

    @Test
    void aSharedIkeSaIsListedUnderEachConnectionWithItsOwnChildren() throws Exception {
        ConfigFixture.write(dir);
        String yaml = ConfigFixture.YAML + """
                  site-d:
                    local-outer: [198.51.100.0/28]
                    remote-outer: [198.51.100.32/28]
                    local-protected: [192.0.2.64/26, 2001:db8:a:d::/64]
                    remote-protected: [2001:db8:d::/48]
                    ike-proposals: [aes128-sha256-modp2048]
                    esp-proposals: [aes128gcm16-modp2048]
                    start-action: none
                    authentication:
                      psk-file: secrets/site-c.psk
                """;
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        ConnectionManager m = new ConnectionManager(new ManualKeying(kernel));
        m.apply(ConfigLoader.load(ConfigFixture.writeYaml(dir, yaml)).connections(), 0);
        int c = m.reqid("site-c");
        int d = m.reqid("site-d");
        install(kernel, 0xc0000001, Direction.INBOUND, c).account(100);
        install(kernel, 0xc0000002, Direction.OUTBOUND, c);
        install(kernel, 0xd0000001, Direction.INBOUND, d).account(200);
        install(kernel, 0xd0000002, Direction.OUTBOUND, d);
        IkeSaSnapshot shared = new IkeSaSnapshot("site-c", new InetSocketAddress("198.51.100.1", 500),
                new InetSocketAddress("198.51.100.33", 500), "0011223344556677", "8899aabbccddeeff", "responder",
                "ESTABLISHED", "aes128-sha256-modp2048", 30, false, List.of(
                new ChildSaSnapshot(0xc0000001, 0xc0000002, "aes128gcm16-modp2048", "192.0.2.0/26", "2001:db8:c::/48",
                        "198.51.100.1/32", "198.51.100.33/32", 20, -1, 80, true),
                new ChildSaSnapshot(0xd0000001, 0xd0000002, "aes128gcm16-modp2048", "192.0.2.64/26", "2001:db8:d::/48",
                        "198.51.100.1/32", "198.51.100.33/32", 10, 40, 90, false)), 800, 3570, false);
        StatusReport.IkeView view = new StatusReport.IkeView(List.of(shared), kernel.listSas(), true);

        String text = StatusReport.text(m, view, 0);
        String siteD = text.substring(text.indexOf("site-d: "));
        assertEquals("""
                site-d: INSTALLED, IKE, TUNNEL, ESP, start-action none
                  local  outer [198.51.100.0/28]
                  remote outer [198.51.100.32/28]
                  site-d: ESTABLISHED, IKEv1, responder, 0011223344556677_i 8899aabbccddeeff_r
                    local 198.51.100.1[500], remote 198.51.100.33[500]
                    aes128-sha256-modp2048, established 30s ago, rekey in 800s, expires in 3570s
                    site-d: reqid %d, TUNNEL, aes128gcm16-modp2048, installed 10s ago, rekey in 40s, expires in 90s
                      in  d0000001,        200 bytes,        1 packets, outer - -> -
                      out d0000002,          0 bytes,        0 packets, outer - -> -, switches 0
                      local  192.0.2.64/26
                      remote 2001:db8:d::/48
                """.formatted(d), siteD);
        String siteC = text.substring(text.indexOf("site-c: "), text.indexOf("site-d: "));
        assertTrue(siteC.contains("      in  c0000001,        100 bytes,        1 packets"), siteC);
        assertTrue(!siteC.contains("d0000001"), siteC);
        assertTrue(siteC.contains("installed 20s ago, replaced (deleted after the grace), expires in 80s\n"), siteC);

        String json = StatusReport.json(m, view, 0);
        assertEquals(2, json.split("\"spi_in\":").length - 1, json);
        assertTrue(json.contains("\"name\":\"site-d\"") && json.contains("\"spi_in\":\"d0000001\""), json);
        assertTrue(json.contains("\"age_seconds\":10,\"rekey_in_seconds\":40,\"expires_in_seconds\":90,\"replaced\":false"),
                json);
        assertTrue(json.contains("\"rekey_in_seconds\":800,\"expires_in_seconds\":3570,\"replaced\":false"), json);
        assertTrue(json.contains("\"protected_bytes\":0,\"lifetime_kilobytes\":0"), json);
        assertTrue(!text.contains("KiB"), "no kilobyte figure for an ISAKMP SA without a lifetime in kilobytes: " + text);

        // an ISAKMP SA with a phase-1 lifetime in kilobytes (RFC 2409 Appendix A life type 2)
        IkeSaSnapshot kb = new IkeSaSnapshot(shared.connection(), shared.local(), shared.remote(), shared.initiatorCookie(),
                shared.responderCookie(), shared.role(), shared.state(), shared.proposal(), 30, false, shared.children(),
                800, 3570, false, 4608, 1234);
        StatusReport.IkeView kbView = new StatusReport.IkeView(List.of(kb), kernel.listSas(), true);
        String kbText = StatusReport.text(m, kbView, 0);
        assertTrue(kbText.contains("aes128-sha256-modp2048, established 30s ago, rekey in 800s, expires in 3570s, "
                + "protected 1234 bytes of 4608 KiB\n"), kbText);
        assertTrue(StatusReport.json(m, kbView, 0).contains("\"protected_bytes\":1234,\"lifetime_kilobytes\":4608"));

        // a Main Mode the peer has not answered yet (seen: strongSwan refusing our proposal in the clear): nothing is
        // established and no proposal chosen; the old text said ", established 64s ago"
        IkeSaSnapshot waiting = new IkeSaSnapshot("site-d", shared.local(), shared.remote(), "49a31a23639f2e83",
                "0000000000000000", "initiator", "MM1_SENT", "", 64, false, List.of(), -1, -1, false);
        String waitingText = StatusReport.text(m, new StatusReport.IkeView(List.of(waiting), kernel.listSas(), true), 0);
        assertTrue(waitingText.contains("site-d: MM1_SENT, IKEv1, initiator, 49a31a23639f2e83_i 0000000000000000_r\n"
                + "    local 198.51.100.1[500], remote 198.51.100.33[500]\n    Main Mode started 64s ago\n"), waitingText);
        assertTrue(!waitingText.contains("established"), waitingText);
    }

    /**
     * A child SA behind a NAT: its ESP travels in UDP, so its outer addresses are shown with the ports, as the IKE SA's
     * endpoints are (the NAT's mapped port on the peer's side, which changes when the NAT maps the peer anew).
     */
    @Test
    void aChildSaInUdpShowsItsPortsBesideItsOuterAddresses() throws Exception {
        ConfigFixture.write(dir);
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        ConnectionManager m = new ConnectionManager(new ManualKeying(kernel));
        m.apply(ConfigLoader.load(ConfigFixture.writeYaml(dir, ConfigFixture.YAML)).connections(), 0);
        int c = m.reqid("site-c");
        for (Direction dir : Direction.values()) {
            int spi = dir == Direction.INBOUND ? 0xc0000001 : 0xc0000002;
            SecurityAssociation sa = SecurityAssociation.builder().spi(spi).direction(dir).reqid(c)
                    .localOuter(AddressPool.parse("198.51.100.1/32")).remoteOuter(AddressPool.parse("198.51.100.33/32"))
                    .selector(TrafficSelector.between(AddressPool.parse("192.0.2.0/25"), AddressPool.parse("2001:db8::/32")))
                    .keys(new SaKeys("aes-gcm-16", new byte[20], "none", null)).createdNanos(0)
                    .udpEncapsulation(new net.poolsa.esp.sa.UdpEncapsulation(4500, 40517)).build();
            if (dir == Direction.OUTBOUND) {
                sa.setCurrentLocal(net.poolsa.esp.sa.OuterAddress.parse("198.51.100.1"));
                sa.setCurrentRemote(net.poolsa.esp.sa.OuterAddress.parse("198.51.100.33"));
            } else {
                sa.lastInboundOuter().recordV4(0xc6336421, 0xc6336401);
            }
            kernel.addSa(sa);
        }
        IkeSaSnapshot natted = new IkeSaSnapshot("site-c", new InetSocketAddress("198.51.100.1", 4500),
                new InetSocketAddress("198.51.100.33", 40517), "0011223344556677", "8899aabbccddeeff", "responder",
                "ESTABLISHED", "aes128-sha256-modp2048", 30, true, List.of(
                new ChildSaSnapshot(0xc0000001, 0xc0000002, "aes128gcm16-modp2048", "192.0.2.0/26", "2001:db8:c::/48",
                        "198.51.100.1/32", "198.51.100.33/32", 20, -1, 80, false)), 800, 3570, false);
        StatusReport.IkeView view = new StatusReport.IkeView(List.of(natted), kernel.listSas(), true);
        String text = StatusReport.text(m, view, 0);
        assertTrue(text.contains("    local 198.51.100.1[4500], remote 198.51.100.33[40517], NAT-T\n"), text);
        assertTrue(text.contains("packets, outer 198.51.100.33[40517] -> 198.51.100.1[4500]\n"), text);
        assertTrue(text.contains("packets, outer 198.51.100.1[4500] -> 198.51.100.33[40517], switches 0\n"), text);
        String json = StatusReport.json(m, view, 0);
        assertEquals(2, json.split("\"udp_encapsulation\":\\{\"local_port\":4500,\"remote_port\":40517}").length - 1, json);
    }

    private static SecurityAssociation install(UserspaceIpsecKernel k, int spi, Direction dir, int reqid) {
        SecurityAssociation sa = SecurityAssociation.builder().spi(spi).direction(dir).reqid(reqid)
                .localOuter(AddressPool.parse("198.51.100.1/32")).remoteOuter(AddressPool.parse("198.51.100.33/32"))
                .selector(TrafficSelector.between(AddressPool.parse("192.0.2.0/25"), AddressPool.parse("2001:db8::/32")))
                .keys(new SaKeys("aes-gcm-16", new byte[20], "none", null)).createdNanos(0).build();
        k.addSa(sa);
        return sa;
    }
}
