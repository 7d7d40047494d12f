package net.poolsa.ike.pool;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.message.IdType;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.pool.PoolIdentities.Compatibility;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Pool to Quick Mode IDs and back (paper section 3.2, RFC 2407 section 4.6.2, RFC 3554 section 3). */
class PoolIdentitiesTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final long SEED = 0x5eed_2026_1127L;

    @Test
    void eachRangeBecomesTheNarrowestId() {
        AddressPool pool = AddressPool.parse("192.0.2.7", "192.0.2.64/26", "198.51.100.10-198.51.100.20",
                "2001:db8::1", "2001:db8:1::/48", "2001:db8:2::5-2001:db8:2::9");
        List<IdentificationPayload> ids = PoolIdentities.toIds(pool, 132, 0);
        assertEquals(List.of(
                "ID_IPV4_ADDR 192.0.2.7 proto 132 port 0",
                "ID_IPV4_ADDR_SUBNET 192.0.2.64/255.255.255.192 proto 132 port 0",
                "ID_IPV4_ADDR_RANGE 198.51.100.10-198.51.100.20 proto 132 port 0",
                "ID_IPV6_ADDR 2001:db8:0:0:0:0:0:1 proto 132 port 0",
                "ID_IPV6_ADDR_SUBNET 2001:db8:1:0:0:0:0:0/48 proto 132 port 0",
                "ID_IPV6_ADDR_RANGE 2001:db8:2:0:0:0:0:5-2001:db8:2:0:0:0:0:9 proto 132 port 0"),
                ids.stream().map(Object::toString).toList());
    }

    @Test
    void adjacentPrefixesMergeIntoOneIdAndUnalignedBlocksBecomeRanges() {
        // 192.0.2.0/25 + 192.0.2.128/25 is one /24; 192.0.2.64-192.0.2.191 has 128 addresses but is not aligned.
        assertEquals("ID_IPV4_ADDR_SUBNET 192.0.2.0/255.255.255.0 proto 0 port 0",
                PoolIdentities.toIds(AddressPool.parse("192.0.2.0/25,192.0.2.128/25"), 0, 0).get(0).toString());
        assertEquals("ID_IPV4_ADDR_RANGE 192.0.2.64-192.0.2.191 proto 0 port 0",
                PoolIdentities.toIds(AddressPool.parse("192.0.2.64-192.0.2.191"), 0, 0).get(0).toString());
        assertEquals("ID_IPV4_ADDR_SUBNET 0.0.0.0/0.0.0.0 proto 0 port 0",
                PoolIdentities.toIds(AddressPool.ANY_V4, 0, 0).get(0).toString());
    }

    @Test
    void compatibilityChoosesOneListOrOneQuickModePerRange() throws Exception {
        AddressPool pool = AddressPool.parse("192.0.2.0/24", "198.51.100.0/25");
        List<IdentificationPayload> one = PoolIdentities.forQuickModes(pool, 132, 0, Compatibility.ID_LIST);
        assertEquals(1, one.size());
        IdentificationPayload list = one.get(0);
        assertEquals(IdType.ID_LIST, list.idType());
        assertEquals(0, list.protocolId());
        assertEquals(132, PoolIdentities.selectorProtocol(list));
        assertEquals(0, PoolIdentities.selectorPort(list));
        assertEquals("0c000000" + "05000010" + "04840000c0000200ffffff00" + "00000010" + "04840000c6336400ffffff80",
                IdBytes.hex(list));
        assertEquals(pool, PoolIdentities.toPool(list));

        List<IdentificationPayload> perRange =
                PoolIdentities.forQuickModes(pool, 132, 0, Compatibility.ONE_SUBNET_PER_QUICK_MODE);
        assertEquals(2, perRange.size());
        assertEquals(AddressPool.parse("192.0.2.0/24"), PoolIdentities.toPool(perRange.get(0)));
        assertEquals(AddressPool.parse("198.51.100.0/25"), PoolIdentities.toPool(perRange.get(1)));

        // A single range needs no list, whatever the choice: every peer understands the plain ID.
        AddressPool single = AddressPool.parse("203.0.113.0/24");
        assertEquals(PoolIdentities.forQuickModes(single, 0, 0, Compatibility.ID_LIST),
                PoolIdentities.forQuickModes(single, 0, 0, Compatibility.ONE_SUBNET_PER_QUICK_MODE));
    }

    @Test
    void subnetHostBitsAreClearedOnTheWayIn() throws Exception {
        IdentificationPayload id = IdBytes.decode("04000000c0000201ffffff00");
        assertEquals(AddressPool.parse("192.0.2.0/24"), PoolIdentities.toPool(id));
    }

    @Test
    void ipv4MappedIpv6StaysIpv6() throws Exception {
        AddressPool pool = AddressPool.parse("::ffff:192.0.2.0/120");
        List<IdentificationPayload> ids = PoolIdentities.toIds(pool, 0, 0);
        assertEquals(IdType.ID_IPV6_ADDR_SUBNET, ids.get(0).idType());
        assertEquals(pool, PoolIdentities.toPool(ids.get(0)));
    }

    @Test
    void nonAddressIdsAreInvalidIdInformation() throws Exception {
        IdentificationPayload fqdn = IdBytes.decode("02000000" + HEX.formatHex("gw.example.net".getBytes()));
        IkeProtocolException e = assertThrows(IkeProtocolException.class, () -> PoolIdentities.toPool(fqdn));
        assertEquals(NotifyType.INVALID_ID_INFORMATION, e.notifyType());
        assertEquals("ID_FQDN is not an address selector", e.getMessage());

        IdentificationPayload mixed = IdentificationPayload.list(List.of(
                IdBytes.decode("01000000c0000201"), fqdn));
        e = assertThrows(IkeProtocolException.class, () -> PoolIdentities.toPool(mixed));
        assertEquals("ID_LIST entry 2 is ID_FQDN, not an address selector", e.getMessage());

        IdentificationPayload ports = IdentificationPayload.list(List.of(
                IdBytes.decode("01840000c0000201"), IdBytes.decode("01060050c0000202")));
        e = assertThrows(IkeProtocolException.class, () -> PoolIdentities.toPool(ports));
        assertEquals("ID_LIST entry 2 has protocol 6 port 80, entry 1 has protocol 132 port 0", e.getMessage());
        assertEquals(NotifyType.INVALID_ID_INFORMATION, e.notifyType());
    }

    @Test
    void emptyPoolIsOurBug() {
        assertThrows(IllegalArgumentException.class, () -> PoolIdentities.toIds(AddressPool.EMPTY, 0, 0));
    }

    /**
     * Random pools of IPv4 and IPv6 ranges, converted to IDs both ways, encoded, decoded and converted back
     * must give the same pool. The seed is fixed and printed so a failure can be replayed.
     */
    @Test
    void randomPoolsRoundTrip() throws Exception {
        System.out.println("PoolIdentitiesTest.randomPoolsRoundTrip seed=0x" + Long.toHexString(SEED));
        Random rnd = new Random(SEED);
        for (int iter = 0; iter < 2000; iter++) {
            AddressPool pool = randomPool(rnd);
            String ctx = "seed=0x" + Long.toHexString(SEED) + " iteration " + iter + " pool " + pool;
            int proto = rnd.nextBoolean() ? 132 : rnd.nextInt(256);
            int port = rnd.nextInt(4) == 0 ? rnd.nextInt(65536) : 0;

            List<IdentificationPayload> ids = PoolIdentities.toIds(pool, proto, port);
            assertEquals(pool.v4RangeCount() + pool.v6RangeCount(), ids.size(), ctx);
            AddressPool.Builder back = AddressPool.builder();
            for (IdentificationPayload id : ids) {
                IdentificationPayload again = IdBytes.decode(IdBytes.hex(id));
                assertEquals(id, again, ctx);
                back.addAll(PoolIdentities.toPool(again));
            }
            assertEquals(pool, back.build(), ctx);

            IdentificationPayload single = PoolIdentities.toSingleId(pool, proto, port);
            IdentificationPayload decoded = IdBytes.decode(IdBytes.hex(single));
            assertEquals(single, decoded, ctx);
            assertEquals(IdBytes.hex(single), IdBytes.hex(decoded), ctx);
            assertEquals(pool, PoolIdentities.toPool(decoded), ctx);
            assertEquals(proto, PoolIdentities.selectorProtocol(decoded), ctx);
            assertEquals(port, PoolIdentities.selectorPort(decoded), ctx);
        }
    }

    /** 1-6 ranges, mixing single addresses, aligned prefixes and arbitrary ranges of both families. */
    private static AddressPool randomPool(Random rnd) {
        List<String> entries = new ArrayList<>();
        int n = 1 + rnd.nextInt(6);
        for (int i = 0; i < n; i++) {
            boolean v6 = rnd.nextInt(3) == 0;
            int kind = rnd.nextInt(3);
            if (!v6) {
                long a = rnd.nextLong() & 0xffffffffL;
                if (kind == 0) {
                    entries.add(v4(a));
                } else if (kind == 1) {
                    int len = rnd.nextInt(33);
                    long mask = len == 0 ? 0 : (0xffffffffL << (32 - len)) & 0xffffffffL;
                    entries.add(v4(a & mask) + "/" + len);
                } else {
                    long b = rnd.nextLong() & 0xffffffffL;
                    entries.add(v4(Math.min(a, b)) + "-" + v4(Math.max(a, b)));
                }
            } else {
                String prefix = "2001:db8:" + Integer.toHexString(rnd.nextInt(0x10000)) + ":";
                int x = rnd.nextInt(0x10000);
                if (kind == 0) {
                    entries.add(prefix + ":" + Integer.toHexString(x));
                } else if (kind == 1) {
                    entries.add(prefix + ":/" + (48 + rnd.nextInt(81)));
                } else {
                    int y = rnd.nextInt(0x10000);
                    entries.add(prefix + ":" + Integer.toHexString(Math.min(x, y)) + "-" + prefix + ":"
                            + Integer.toHexString(Math.max(x, y)));
                }
            }
        }
        return AddressPool.parse(entries);
    }

    private static String v4(long a) {
        return ((a >>> 24) & 0xff) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }


}
