package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import net.poolsa.appliance.control.Json;
import net.poolsa.esp.divert.HostCommands;

/**
 * Needs root, strongSwan 5.9.8, tcpdump and tshark: {@code poolsa run} in gA of the {@link ApplianceLab} against a
 * strongSwan charon in gB ({@link StrongSwanLab}), IKEv1 Main Mode PSK + Quick Mode with NAT-T (charon's
 * kernel-libipsec fakes a NAT, so IKE floats to UDP/4500 and ESP travels in UDP), each side once as initiator, with
 * two suites: aes128-sha256-modp2048 / ESP aes128gcm16 with modp2048 PFS, and aes256-sha1-modp1024 / ESP 3des-sha1
 * with modp1024 PFS; and over IPv6 outer addresses (2001:db8:100:1::/64), aes256-sha384-ecp384 / ESP aes256gcm16 without
 * PFS with charon initiating, aes128-sha256-modp3072 / ESP aes256-sha512 with curve25519 PFS with poolsa initiating.
 * ICMP and UDP run in both directions between hA and hB through poolsa's data path and charon's;
 * at least 90 % must come back. The SPIs charon lists ({@code swanctl --list-sas --raw}) are poolsa's
 * ({@code poolsa status --json}) the other way round, and the uplink carries that pair only, as ESP in UDP/4500.
 */
@Tag("root")
class StrongSwanIkeInteropTest {
    static final String PSK = "poolsa-interop-test-only-psk";
    static final int PINGS = 20;
    static final int DATAGRAMS = 50;

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("strongswan", "aes128-sha256-modp2048", "aes128gcm16-modp2048", V4),
                Arguments.of("poolsa", "aes128-sha256-modp2048", "aes128gcm16-modp2048", V4),
                Arguments.of("strongswan", "aes256-sha1-modp1024", "3des-sha1-modp1024", V4),
                Arguments.of("poolsa", "aes256-sha1-modp1024", "3des-sha1-modp1024", V4),
                Arguments.of("poolsa", "3des-sha1-curve25519", "aes192-sha384", V4),
                Arguments.of("strongswan", "aes256-sha384-ecp384", "aes256gcm16", V6),
                Arguments.of("poolsa", "aes128-sha256-modp3072", "aes256-sha512-curve25519", V6));
    }

    /** The outer addresses of a case: gA's and gB's on l1a/l1b. */
    record Outer(String a, String b, int bits) {
    }

    static final Outer V4 = new Outer("198.51.100.1", "198.51.100.2", 32);
    static final Outer V6 = new Outer("2001:db8:100:1::1", "2001:db8:100:1::2", 128);

    static String charonConf(String ike, String esp) {
        return charonConf(ike, esp, "");
    }

    /** As {@link #charonConf(String, String)}, with {@code childOptions} (swanctl lines) in the CHILD_SA. */
    static String charonConf(String ike, String esp, String childOptions) {
        return charonConf(ike, esp, childOptions, V4);
    }

    /** As {@link #charonConf(String, String, String)} between the outer addresses {@code outer}. */
    static String charonConf(String ike, String esp, String childOptions, Outer outer) {
        return """
                connections {
                    sswan {
                        version = 1
                        local_addrs = %s
                        remote_addrs = %s
                        proposals = %s
                        local { auth = psk }
                        remote { auth = psk }
                        children {
                            sswan { local_ts = 192.0.2.128/25
                                    remote_ts = 192.0.2.0/25
                                    esp_proposals = %s
                                    %s }
                        }
                    }
                }
                secrets { ike-sswan { secret = "%s" } }
                """.formatted(outer.b(), outer.a(), ike, esp, childOptions, PSK);
    }

    @ParameterizedTest(name = "{0} initiates {1} / ESP {2} over {3}")
    @MethodSource("cases")
    void mainModeAndQuickModeWithNatTCarryIcmpAndUdpBothWays(String initiator, String ike, String esp, Outer outer)
            throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-strongswan")) {
            Path cfg = lab.writeConfig(ApplianceLab.GW_A, ApplianceLab.dataPathYaml(ApplianceLab.GW_A)
                    + lab.ikeConnection(ApplianceLab.GW_A, "sswan", "[" + outer.a() + "/" + outer.bits() + "]",
                    "[" + outer.b() + "/" + outer.bits() + "]", "[192.0.2.0/25]", "[192.0.2.128/25]", ike, esp, PSK,
                    "start-action: none"));
            ApplianceLab.Poolsa poolsa = lab.start(ApplianceLab.GW_A, cfg);
            StrongSwanLab charon = StrongSwanLab.start(lab, ApplianceLab.GW_B, charonConf(ike, esp, "", outer));
            ApplianceLab.Capture cap = lab.startCapture(ApplianceLab.GW_A, "l1a", "udp port 500 or udp port 4500 or esp");

            if (initiator.equals("strongswan")) {
                charon.initiate("sswan", "sswan");
            } else {
                HostCommands.Result r = poolsa.control("initiate", "sswan");
                assertEquals(0, r.exitCode(), r.output() + "\n" + poolsa.log());
            }
            StrongSwanLab.ChildSa child = charon.awaitChild("sswan", Duration.ofSeconds(20));
            assertNotNull(child, () -> "no CHILD_SA in charon:\n" + logs(poolsa, charon));

            // Their SPIs are ours the other way round.
            Map<String, Object> ours = ikeChild(poolsa.status(true), "sswan");
            assertEquals(child.spiIn(), ours.get("spi_out"), "charon's inbound SPI is our outbound one");
            assertEquals(child.spiOut(), ours.get("spi_in"), "charon's outbound SPI is our inbound one");

            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)),
                    () -> "no ping through the tunnel:\n" + logs(poolsa, charon));
            ApplianceLab.PingResult ab = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", PINGS,
                    Duration.ofMillis(50)).await();
            ApplianceLab.PingResult ba = lab.startPing(ApplianceLab.HOST_B, "192.0.2.130", "192.0.2.74", PINGS,
                    Duration.ofMillis(50)).await();
            for (ApplianceLab.PingResult r : List.of(ab, ba)) {
                assertEquals(PINGS, r.transmitted(), r.output());
                assertTrue(r.received() >= PINGS * 9 / 10, () -> "fewer than 90 % ping replies:\n" + r.output());
            }
            lab.startUdpEcho(ApplianceLab.HOST_B, "192.0.2.130", 7000);
            lab.startUdpEcho(ApplianceLab.HOST_A, "192.0.2.10", 7001);
            int toB = lab.udpEchoes(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 7000, DATAGRAMS, Duration.ofMillis(20));
            int toA = lab.udpEchoes(ApplianceLab.HOST_B, "192.0.2.130", "192.0.2.10", 7001, DATAGRAMS, Duration.ofMillis(20));
            assertTrue(toB >= DATAGRAMS * 9 / 10, "UDP echoes hA -> hB: " + toB + " of " + DATAGRAMS);
            assertTrue(toA >= DATAGRAMS * 9 / 10, "UDP echoes hB -> hA: " + toA + " of " + DATAGRAMS);

            // On the wire: ESP in UDP/4500 with exactly this SA pair, no plain ESP.
            Path pcap = cap.stop();
            HostCommands.Result t = HostCommands.local().run(List.of("tshark", "-n", "-r", pcap.toString(), "-Y", "esp",
                    "-T", "fields", "-e", "esp.spi", "-e", "udp.dstport", "-e", outer.bits() == 32 ? "ip.proto" : "ipv6.nxt"));
            assertTrue(t.ok(), t.output());
            Set<String> spis = new TreeSet<>();
            int esp4500 = 0;
            for (String line : t.output().split("\n")) {
                String[] f = line.split("\t", -1);
                if (f.length < 3 || line.startsWith("Running as")) {
                    continue;
                }
                assertEquals("17", f[2], () -> "ESP not in UDP: " + line);
                spis.add(f[0]);
                esp4500 += f[1].equals("4500") ? 1 : 0;
            }
            long minimum = 2 * (ab.received() + ba.received()) + toA + toB;
            assertTrue(esp4500 >= minimum, "ESP-in-UDP packets on l1a: " + esp4500 + ", expected at least " + minimum);
            assertEquals(new TreeSet<>(Set.of("0x" + child.spiIn(), "0x" + child.spiOut())), spis);
        }
    }

    /** The one IKE SA of connection {@code name} in {@code poolsa status --json}. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> ikeSa(String statusJson, String name) throws Exception {
        Map<String, Object> status = (Map<String, Object>) Json.parse(statusJson);
        for (Object o : (List<Object>) status.get("connections")) {
            Map<String, Object> c = (Map<String, Object>) o;
            if (c.get("name").equals(name)) {
                List<Object> sas = (List<Object>) c.get("ike_sas");
                assertEquals(1, sas.size(), statusJson);
                return (Map<String, Object>) sas.get(0);
            }
        }
        throw new AssertionError("no connection " + name + " in " + statusJson);
    }

    /** The one child SA of connection {@code name} in {@code poolsa status --json}. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> ikeChild(String statusJson, String name) throws Exception {
        List<Object> children = (List<Object>) ikeSa(statusJson, name).get("children");
        assertEquals(1, children.size(), statusJson);
        return (Map<String, Object>) children.get(0);
    }

    static String logs(ApplianceLab.Poolsa poolsa, StrongSwanLab charon) {
        try {
            return "poolsa:\n" + poolsa.log() + "\ncharon:\n" + charon.log();
        } catch (Exception e) {
            return e.toString();
        }
    }
}
