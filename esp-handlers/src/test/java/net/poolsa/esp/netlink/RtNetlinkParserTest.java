package net.poolsa.esp.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * Decodes rtnetlink datagrams the kernel sent during a scripted sequence of link, address and route changes
 * ({@code rtnetlink/events.hex}, see its README): the decoded events say what the script did. Then every truncation
 * and random corruption of those datagrams is decoded without an exception, and what cannot be framed is counted.
 */
class RtNetlinkParserTest {
    /** Step name -> its datagrams, in order. */
    private static Map<String, List<byte[]>> recorded() throws IOException {
        Map<String, List<byte[]>> steps = new LinkedHashMap<>();
        try (InputStream in = RtNetlinkParserTest.class.getResourceAsStream("/rtnetlink/events.hex")) {
            String step = null;
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                if (line.startsWith("# ")) {
                    step = line.substring(2);
                    steps.put(step, new ArrayList<>());
                } else if (!line.isBlank()) {
                    steps.get(step).add(HexFormat.of().parseHex(line.strip()));
                }
            }
        }
        return steps;
    }

    private static List<RtEvent> decode(List<byte[]> datagrams) {
        List<RtEvent> out = new ArrayList<>();
        for (byte[] d : datagrams) {
            assertEquals(0, RtNetlinkParser.parse(ByteBuffer.wrap(d), out::add), "malformed messages in a kernel datagram");
        }
        return out;
    }

    private static <T extends RtEvent> List<T> of(List<RtEvent> events, Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void kernelEventsSayWhatTheScriptDid() throws IOException {
        Map<String, List<byte[]>> steps = recorded();
        assertEquals(List.of("veth up", "addresses", "route", "carrier lost", "carrier back", "address removed", "admin down",
                "deleted"), List.copyOf(steps.keySet()));

        List<RtEvent.Link> created = of(decode(steps.get("veth up")), RtEvent.Link.class);
        int up1 = created.stream().filter(l -> "up1".equals(l.name())).findFirst().orElseThrow().index();
        assertTrue(created.stream().anyMatch(l -> "up1p".equals(l.name()) && l.index() != up1));
        RtEvent.Link lastUp1 = last(created, up1);
        assertTrue(lastUp1.usable(), "up1 up and running once both ends are up: " + lastUp1);

        List<RtEvent> added = decode(steps.get("addresses"));
        assertEquals(List.of(new RtEvent.Address(false, up1, InetAddress.getByName("198.51.100.1"), 29, 0x80),
                        new RtEvent.Address(false, up1, InetAddress.getByName("2001:db8:100:1::1"), 64, 0x82)),
                of(added, RtEvent.Address.class).stream().map(RtNetlinkParserTest::flagsBelow0x100).toList());
        assertTrue(of(added, RtEvent.Address.class).stream().allMatch(RtEvent.Address::usable), "nodad and IPv4: not tentative");
        assertTrue(of(added, RtEvent.Route.class).stream().anyMatch(r -> r.outputIndex() == up1 && r.prefixLength() == 29
                && r.destination().getHostAddress().equals("198.51.100.0") && r.table() == 254), "the connected route");

        List<RtEvent.Route> routes = of(decode(steps.get("route")), RtEvent.Route.class);
        assertEquals(List.of(new RtEvent.Route(false, 2, 254, up1, InetAddress.getByName("203.0.113.0"), 24)), routes);

        RtEvent.Link lost = last(of(decode(steps.get("carrier lost")), RtEvent.Link.class), up1);
        assertFalse(lost.usable(), "carrier lost: " + lost);
        assertTrue((lost.flags() & RtEvent.IFF_UP) != 0, "still administratively up");
        assertEquals(0, lost.flags() & (RtEvent.IFF_RUNNING | RtEvent.IFF_LOWER_UP));
        assertTrue(last(of(decode(steps.get("carrier back")), RtEvent.Link.class), up1).usable());

        // The step also reports up1's IPv6 link-local address, whose duplicate address detection ended meanwhile.
        List<RtEvent> removing = decode(steps.get("address removed"));
        assertTrue(of(removing, RtEvent.Route.class).stream().anyMatch(r -> r.deleted() && r.outputIndex() == up1
                && r.destination().getHostAddress().equals("198.51.100.0") && r.prefixLength() == 29), "its connected route goes");
        List<RtEvent.Address> removed = of(removing, RtEvent.Address.class).stream()
                .filter(RtEvent.Address::deleted).toList();
        assertEquals(1, removed.size());
        assertTrue(removed.get(0).deleted());
        assertEquals("198.51.100.1", removed.get(0).address().getHostAddress());
        assertFalse(removed.get(0).usable());

        List<RtEvent> down = decode(steps.get("admin down"));
        RtEvent.Link adminDown = last(of(down, RtEvent.Link.class), up1);
        assertEquals(0, adminDown.flags() & RtEvent.IFF_UP);
        assertTrue(of(down, RtEvent.Address.class).stream().anyMatch(a -> a.deleted() && a.index() == up1
                && a.address().getHostAddress().equals("2001:db8:100:1:0:0:0:1")), "IPv6 addresses go with the link");
        assertTrue(of(down, RtEvent.Route.class).stream().anyMatch(r -> r.deleted() && r.outputIndex() == up1 && r.family() == 10
                && r.destination().getHostAddress().equals("2001:db8:100:1:0:0:0:0") && r.prefixLength() == 64), "routes through it go too");

        List<RtEvent.Link> deleted = of(decode(steps.get("deleted")), RtEvent.Link.class);
        assertTrue(deleted.stream().anyMatch(l -> l.deleted() && l.index() == up1 && "up1".equals(l.name())));
    }

    /** The kernel adds flags above 0xff (IFA_F_NOPREFIXROUTE and the like) that the test does not pin. */
    private static RtEvent.Address flagsBelow0x100(RtEvent.Address a) {
        return new RtEvent.Address(a.deleted(), a.index(), a.address(), a.prefixLength(), a.flags() & 0xff);
    }

    private static RtEvent.Link last(List<RtEvent.Link> links, int index) {
        RtEvent.Link found = null;
        for (RtEvent.Link l : links) {
            if (l.index() == index) {
                found = l;
            }
        }
        if (found == null) {
            throw new AssertionError("no link event for index " + index);
        }
        return found;
    }

    @Test
    void truncatedAndCorruptedDatagramsAreSkippedNotThrown() throws IOException {
        List<byte[]> all = new ArrayList<>();
        recorded().values().forEach(all::addAll);
        int framingErrors = 0;
        for (byte[] d : all) {
            for (int cut = 0; cut < d.length; cut++) {
                List<RtEvent> out = new ArrayList<>();
                int bad = RtNetlinkParser.parse(ByteBuffer.wrap(d, 0, cut), out::add);
                if (cut > 0 && cut < 16) {
                    assertEquals(1, bad, "a header cut at " + cut);
                }
                framingErrors += bad > 0 ? 1 : 0;
            }
        }
        assertTrue(framingErrors > 0);
        Random r = new Random(14);
        for (int i = 0; i < 20_000; i++) {
            byte[] d = all.get(r.nextInt(all.size())).clone();
            for (int k = 0; k < 1 + r.nextInt(4); k++) {
                d[r.nextInt(d.length)] = (byte) r.nextInt(256);
            }
            RtNetlinkParser.parse(ByteBuffer.wrap(d), e -> {
            });
        }
    }
}
