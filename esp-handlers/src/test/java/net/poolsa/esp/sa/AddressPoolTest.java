package net.poolsa.esp.sa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressPoolTest {
    private static int v4(String s) {
        return IpLiterals.v4(IpLiterals.parse(s));
    }

    private static boolean has(AddressPool p, String a) {
        return p.contains(IpLiterals.parse(a));
    }

    @Test
    void thePapersPoolCoversBothAddressesOfTheHost() {
        // Paper section 3.1: SA_AB = {11, 192.0.2.64/26, ESP} covers IPB1 .65 and IPB2 .66.
        AddressPool pool = AddressPool.parse("192.0.2.64/26");
        assertTrue(has(pool, "192.0.2.65"));
        assertTrue(has(pool, "192.0.2.66"));
        assertTrue(has(pool, "192.0.2.64"));
        assertTrue(has(pool, "192.0.2.127"));
        assertFalse(has(pool, "192.0.2.63"));
        assertFalse(has(pool, "192.0.2.128"));
    }

    @Test
    void dottedNetmaskAndPrefixLengthAreTheSamePool() {
        assertEquals(AddressPool.parse("192.0.2.64/26"), AddressPool.parse("192.0.2.64/255.255.255.192"));
    }

    @Test
    void rangesAreAcceptedAndPrintedAsMinimalPrefixes() {
        AddressPool p = AddressPool.parse("192.0.2.10-192.0.2.20");
        assertEquals("192.0.2.10/31, 192.0.2.12/30, 192.0.2.16/30, 192.0.2.20/32", p.toString());
        assertTrue(has(p, "192.0.2.10"));
        assertTrue(has(p, "192.0.2.20"));
        assertFalse(has(p, "192.0.2.21"));
        assertEquals(BigInteger.valueOf(11), p.size());
    }

    @Test
    void overlappingAndAdjacentEntriesMergeAndEqualityIsByCoveredSet() {
        AddressPool halves = AddressPool.parse("192.0.2.128/25", "192.0.2.0/25");
        AddressPool whole = AddressPool.parse("192.0.2.0/24");
        assertEquals(whole, halves);
        assertEquals(whole.hashCode(), halves.hashCode());
        assertEquals("192.0.2.0/24", halves.toString());
        assertEquals(1, halves.v4RangeCount());
        AddressPool overlapping = AddressPool.parse("198.51.100.0/24, 198.51.100.7, 198.51.100.0-198.51.100.9");
        assertEquals(AddressPool.parse("198.51.100.0/24"), overlapping);
        assertNotEquals(whole, AddressPool.parse("192.0.2.0/25"));
    }

    @Test
    void ipv4AndIpv6MayBeMixed() {
        AddressPool p = AddressPool.parse("2001:db8:1::/48", "203.0.113.0/24", "2001:db8:2::1");
        assertTrue(has(p, "203.0.113.9"));
        assertTrue(has(p, "2001:db8:1:ffff::1"));
        assertTrue(has(p, "2001:db8:2::1"));
        assertFalse(has(p, "2001:db8:2::2"));
        assertFalse(has(p, "2001:db8::1"));
        assertEquals("203.0.113.0/24, 2001:db8:1::/48, 2001:db8:2::1/128", p.toString());
        assertTrue(p.hasV4());
        assertTrue(p.hasV6());
    }

    @Test
    void anIpv4MappedIpv6AddressIsNotAnIpv4Member() {
        AddressPool p = AddressPool.parse("192.0.2.0/24");
        assertFalse(has(p, "::ffff:192.0.2.1"));
    }

    @Test
    void anIpv4MappedRangeStaysIpv6WhenPrinted() {
        AddressPool p = AddressPool.parse("::ffff:192.0.2.0/120");
        assertEquals("::ffff:c000:200/120", p.toString());
        assertFalse(p.hasV4());
        assertEquals(p, AddressPool.parse(p.toString()));
    }

    @Test
    void extremesOfTheAddressSpace() {
        AddressPool all = AddressPool.parse("0.0.0.0/0");
        assertTrue(all.containsV4(0));
        assertTrue(all.containsV4(-1));
        assertEquals(BigInteger.ONE.shiftLeft(32), all.size());
        AddressPool top = AddressPool.parse("255.255.255.255");
        assertTrue(top.containsV4(-1));
        assertFalse(top.containsV4(v4("255.255.255.254")));
        AddressPool v6all = AddressPool.parse("::/0");
        assertTrue(v6all.containsV6(-1L, -1L));
        assertTrue(v6all.containsV6(0, 0));
        AddressPool v6top = AddressPool.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        assertTrue(v6top.containsV6(-1L, -1L));
        assertFalse(v6top.containsV6(-1L, -3L));
        // Signed/unsigned boundary: 127.255.255.255 and 128.0.0.0 straddle the sign bit.
        AddressPool straddle = AddressPool.parse("127.255.255.255-128.0.0.0");
        assertTrue(straddle.containsV4(v4("127.255.255.255")));
        assertTrue(straddle.containsV4(v4("128.0.0.0")));
        assertFalse(straddle.containsV4(v4("128.0.0.1")));
        assertEquals("127.255.255.255/32, 128.0.0.0/32", straddle.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "192.0.2.65/26;host bits set (did you mean 192.0.2.64/26?)",
        "192.0.2.0/255.0.255.0;netmask is not contiguous",
        "192.0.2.0/33;prefix length must be 0-32",
        "2001:db8::/129;prefix length must be 0-128",
        "192.0.2.20-192.0.2.10;range start is after its end",
        "192.0.2.1-2001:db8::1;range mixes IPv4 and IPv6",
        "192.0.2.256;octet above 255",
        "192.0.2;not an IPv4 address literal",
        "example.com;not an IPv4 address literal",
        "192.0.2.0/x;is not a number",
        "192.0.2.010;leading zero",
        "192.0.2.0/ffff:ff00::;netmask family differs",
        "2001:db8:zz::;not an IP address literal"
    })
    void badEntriesAreRejectedNamingTheValue(String entry, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AddressPool.parse(entry));
        assertTrue(e.getMessage().contains(entry), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void anEmptyEntryIsRejectedButAnEmptyListGivesTheEmptyPool() {
        assertThrows(IllegalArgumentException.class, () -> AddressPool.builder().add(" "));
        assertTrue(AddressPool.parse(List.of()).isEmpty());
        assertEquals("(empty)", AddressPool.EMPTY.toString());
    }

    @ParameterizedTest
    @CsvSource({"2001:db8::1,2001:db8::1", "2001:db8:0:0:1:0:0:1,2001:db8::1:0:0:1", "::,::", "::1,::1",
        "2001:0:0:1:0:0:0:1,2001:0:0:1::1", "2001:db8:1:2:3:4:5:6,2001:db8:1:2:3:4:5:6", "fe80::,fe80::"})
    void ipv6IsPrintedInRfc5952Form(String in, String out) {
        assertEquals(out + "/128", AddressPool.parse(in).toString());
    }

    @Test
    void setOperations() {
        AddressPool a = AddressPool.parse("192.0.2.0/24");
        AddressPool b = AddressPool.parse("192.0.2.128/25", "198.51.100.0/24");
        assertEquals(AddressPool.parse("192.0.2.128/25"), a.intersect(b));
        assertEquals(AddressPool.parse("192.0.2.0/24", "198.51.100.0/24"), a.union(b));
        assertTrue(a.covers(AddressPool.parse("192.0.2.7")));
        assertFalse(a.covers(b));
        assertTrue(a.intersects(b));
        assertFalse(a.intersects(AddressPool.parse("203.0.113.0/24")));
        assertTrue(AddressPool.ANY.covers(b));
    }

    @Test
    void prefixesAndRangesExposeTheNormalisedForm() {
        AddressPool p = AddressPool.parse("192.0.2.0/25", "192.0.2.128/26", "2001:db8::/64");
        assertEquals(List.of("192.0.2.0/25", "192.0.2.128/26", "2001:db8::/64"),
                p.prefixes().stream().map(Object::toString).toList());
        assertEquals(List.of("192.0.2.0-192.0.2.191", "2001:db8::-2001:db8::ffff:ffff:ffff:ffff"),
                p.ranges().stream().map(Object::toString).toList());
    }
}
