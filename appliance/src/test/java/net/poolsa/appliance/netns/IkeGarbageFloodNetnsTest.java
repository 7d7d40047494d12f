package net.poolsa.appliance.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Needs root and python3: a flood of garbage at gA's IKE sockets (UDP/500, and UDP/4500 behind the non-ESP marker so
 * that it reaches IKE rather than the ESP path) from gB's namespace, a bounded number of datagrams in a bounded time:
 * random bytes, ISAKMP headers with random cookies and lengths, headers with the established IKE SA's cookies but
 * garbage after them, and first Main Mode messages with garbage payloads. While it runs, the established tunnel keeps
 * carrying at least 90 % of the pings; afterwards the IKE SA (cookies) and the SA pair (SPIs) are the same, the tunnel
 * still carries traffic, and the engine counted at least half of the datagrams as drops. (Paced at 1200 datagrams a
 * second: at 500/s every one of each kind was counted on the 2-core test machine; at 2400/s the engine kept up with
 * about 1100/s and the socket buffer shed the rest, which costs nothing but the count.)
 */
@Tag("root")
class IkeGarbageFloodNetnsTest {
    static final int PER_KIND = 750;
    static final String FLOOD = """
            import os, random, socket, struct, sys, time
            dst, icookie, rcookie, per_kind, seconds = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
            rnd = random.Random(4242)
            s500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s500.bind(('198.51.100.2', 0))
            s4500 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s4500.bind(('198.51.100.2', 0))
            def header(ic, rc, np, exch, flags, mid, length):
                return ic + rc + struct.pack('!BBBBII', np, 0x10, exch, flags, mid, length)
            def kinds():
                body = rnd.randbytes(rnd.randint(0, 600))
                yield rnd.randbytes(rnd.randint(1, 1400))
                yield header(rnd.randbytes(8), rnd.randbytes(8), rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(0, 7), rnd.getrandbits(32), 28 + len(body)) + body
                yield header(icookie, rcookie, 8, rnd.choice([5, 32]), 1, rnd.getrandbits(32), 28 + len(body)) + body
                yield header(rnd.randbytes(8), bytes(8), 1, 2, 0, 0, 28 + len(body)) + body
            sent = 0
            start = time.time()
            for i in range(per_kind):
                for m in kinds():
                    s500.sendto(m, (dst, 500))
                    s4500.sendto(bytes(4) + m, (dst, 4500))
                    sent += 2
                # paced: per_kind rounds spread over the given seconds
                ahead = start + (i + 1) * seconds / per_kind - time.time()
                if ahead > 0:
                    time.sleep(ahead)
            print('sent', sent, 'in', round(time.time() - start, 2), 's')
            """;
    static final Pattern SENT = Pattern.compile("sent (\\d+)");

    @Test
    void garbageOnBothIkePortsLeavesTheTunnelCarryingTraffic() throws Exception {
        try (ApplianceLab lab = ApplianceLab.create("netns-ike-flood")) {
            ApplianceLab.Poolsa b = lab.start(ApplianceLab.GW_B, IkePoolPairNetnsTest.pairConfig(lab, ApplianceLab.GW_B, "pair", "none"));
            ApplianceLab.Poolsa a = lab.start(ApplianceLab.GW_A, IkePoolPairNetnsTest.pairConfig(lab, ApplianceLab.GW_A, "pair", "none"));
            assertEquals(0, a.control("initiate", "pair").exitCode(), a.log());
            Map<String, Object> sa = ikeSa(a.status(true));
            Map<String, Object> child = StrongSwanIkeInteropTest.ikeChild(a.status(true), "pair");
            assertTrue(lab.waitForPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", Duration.ofSeconds(15)), a.log());
            double dropsBefore = ikeDrops(a);
            ApplianceLab.Ping during = lab.startPing(ApplianceLab.HOST_A, "192.0.2.10", "192.0.2.130", 100, Duration.ofMillis(50));
            String out = lab.exec(ApplianceLab.GW_B, List.of("/usr/bin/python3", "-c", FLOOD, "198.51.100.1",
                    (String) sa.get("initiator_cookie"), (String) sa.get("responder_cookie"), Integer.toString(PER_KIND), "5"),
                    Duration.ofSeconds(60));
            Matcher m = SENT.matcher(out);
            assertTrue(m.find(), out);
            int sent = Integer.parseInt(m.group(1));
            assertEquals(8 * PER_KIND, sent, out);
            ApplianceLab.PingResult r = during.await();
            assertEquals(100, r.transmitted(), r.output());
            assertTrue(r.received() >= 90, () -> "fewer than 90 % replies during the flood:\n" + r.output());

            Thread.sleep(1000);
            double dropped = ikeDrops(a) - dropsBefore;
            String drops = String.join("\n", a.metrics().lines().filter(l -> l.startsWith("poolsa_ike_drops_total{")).toList());
            assertTrue(dropped >= sent / 2.0, "IKE drops counted: " + dropped + " of " + sent + " sent (" + out + "):\n" + drops);
            Map<String, Object> saAfter = ikeSa(a.status(true));
            assertEquals(sa.get("initiator_cookie"), saAfter.get("initiator_cookie"));
            assertEquals(sa.get("responder_cookie"), saAfter.get("responder_cookie"));
            Map<String, Object> childAfter = StrongSwanIkeInteropTest.ikeChild(a.status(true), "pair");
            assertEquals(child.get("spi_in"), childAfter.get("spi_in"));
            assertEquals(child.get("spi_out"), childAfter.get("spi_out"));
            ApplianceLab.PingResult after = lab.startPing(ApplianceLab.HOST_A, "192.0.2.74", "192.0.2.130", 20,
                    Duration.ofMillis(50)).await();
            assertTrue(after.received() >= 18, after.output());
            assertTrue(b.process().isAlive() && a.process().isAlive());
        }
    }

    /** The sum of all {@code poolsa_ike_drops_total} series. */
    static double ikeDrops(ApplianceLab.Poolsa p) throws Exception {
        double sum = 0;
        for (String l : p.metrics().split("\n")) {
            if (l.startsWith("poolsa_ike_drops_total{")) {
                sum += Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> ikeSa(String statusJson) throws Exception {
        Map<String, Object> s = (Map<String, Object>) net.poolsa.appliance.control.Json.parse(statusJson);
        for (Object c : (List<Object>) s.get("connections")) {
            List<Object> sas = (List<Object>) ((Map<String, Object>) c).get("ike_sas");
            if (sas != null && !sas.isEmpty()) {
                return (Map<String, Object>) sas.get(0);
            }
        }
        throw new AssertionError("no IKE SA in " + statusJson);
    }
}
