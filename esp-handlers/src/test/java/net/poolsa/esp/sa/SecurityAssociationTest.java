package net.poolsa.esp.sa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecurityAssociationTest {
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 255})
    void reservedSpisAreRefused(int spi) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TestSas.inbound(spi, "192.0.2.0/24", "198.51.100.0/24"));
        assertTrue(e.getMessage().contains("reserved"), e.getMessage());
    }

    @Test
    void spiAbove2To31IsAnOrdinarySpi() {
        assertEquals(0x80300000, TestSas.inbound(0x80300000, "192.0.2.1", "198.51.100.1").spi());
    }

    @Test
    void emptyOuterPoolIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SecurityAssociation.builder()
                .spi(0x1000).direction(Direction.INBOUND).localOuter(AddressPool.EMPTY)
                .remoteOuter(AddressPool.parse("192.0.2.1")).selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY))
                .keys(TestSas.keys()).build());
        assertTrue(e.getMessage().contains("empty outer pool"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrafficSelector.between(AddressPool.EMPTY, AddressPool.ANY));
    }

    @Test
    void anyPairOfThePoolsMatchesTheOuterHeader() {
        SecurityAssociation sa = TestSas.inbound(0x1000, "192.0.2.64/26", "198.51.100.1, 198.51.100.2");
        for (String src : new String[] {"198.51.100.1", "198.51.100.2"}) {
            for (String dst : new String[] {"192.0.2.65", "192.0.2.66", "192.0.2.100"}) {
                assertTrue(sa.outerMatchesV4(TestSas.v4(src), TestSas.v4(dst)), src + " -> " + dst);
            }
        }
        assertFalse(sa.outerMatchesV4(TestSas.v4("198.51.100.3"), TestSas.v4("192.0.2.65")));
        assertFalse(sa.outerMatchesV4(TestSas.v4("198.51.100.1"), TestSas.v4("192.0.2.128")));
    }

    @Test
    void killZeroesTheKeysAndToStringNeverShowsThem() {
        byte[] key = new byte[20];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (0xA0 + i);
        }
        SaKeys keys = new SaKeys("aes-gcm-16", key, "none", null);
        SecurityAssociation sa = SecurityAssociation.builder().spi(0x2000).direction(Direction.INBOUND)
                .localOuter(AddressPool.parse("192.0.2.1")).remoteOuter(AddressPool.parse("198.51.100.1"))
                .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY)).keys(keys).build();
        byte[] live = keys.encryptionKey();
        assertFalse(sa.toString().toLowerCase().contains("a0a1"), sa.toString());
        assertTrue(sa.toString().contains("aes-gcm-16/128 none/0"), sa.toString()); // the 4-byte salt is not key
        sa.kill();
        assertArrayEquals(new byte[20], live);
        assertEquals(SaState.DEAD, sa.state());
        assertThrows(IllegalStateException.class, keys::encryptionKey);
    }

    @Test
    void packetAndByteLifetimesGiveOneSoftEventThenHard() {
        SecurityAssociation sa = SecurityAssociation.builder().spi(0x3000).direction(Direction.OUTBOUND).reqid(7)
                .localOuter(AddressPool.parse("192.0.2.1")).remoteOuter(AddressPool.parse("198.51.100.1"))
                .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY)).keys(TestSas.keys())
                .lifetime(new Lifetime(0, 0, 0, 0, 3, 5)).build();
        assertEquals(SecurityAssociation.LIFETIME_OK, sa.account(100));
        assertEquals(SecurityAssociation.LIFETIME_OK, sa.account(100));
        assertEquals(SecurityAssociation.LIFETIME_SOFT, sa.account(100));
        assertEquals(SecurityAssociation.LIFETIME_OK, sa.account(100));
        assertEquals(SaState.SOFT_EXPIRED, sa.state());
        assertEquals(SecurityAssociation.LIFETIME_OK, sa.account(100));
        assertEquals(SecurityAssociation.LIFETIME_HARD, sa.account(100));
        assertFalse(sa.usable());
        assertEquals(6, sa.packets());
        assertEquals(600, sa.bytes());
    }

    @Test
    void timeLifetimes() {
        SecurityAssociation sa = SecurityAssociation.builder().spi(0x3001).direction(Direction.OUTBOUND).reqid(7)
                .localOuter(AddressPool.parse("192.0.2.1")).remoteOuter(AddressPool.parse("198.51.100.1"))
                .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY)).keys(TestSas.keys())
                .lifetime(Lifetime.ofSeconds(10, 20)).createdNanos(0).build();
        assertEquals(SecurityAssociation.LIFETIME_OK, sa.checkTime(9_999_999_999L));
        assertEquals(SecurityAssociation.LIFETIME_SOFT, sa.checkTime(10_000_000_000L));
        assertEquals(SecurityAssociation.LIFETIME_OK, sa.checkTime(11_000_000_000L));
        assertEquals(SecurityAssociation.LIFETIME_HARD, sa.checkTime(20_000_000_000L));
        assertThrows(IllegalArgumentException.class, () -> Lifetime.ofSeconds(30, 20));
    }

    @Test
    void theOuterAddressMovesInsideThePoolOnlyAndSwitchesAreCounted() {
        SecurityAssociation sa = TestSas.outbound(0x4000, 3, "192.0.2.1", "198.51.100.64/26");
        assertFalse(sa.setCurrentRemote(OuterAddress.parse("198.51.100.65")));
        assertTrue(sa.setCurrentRemote(OuterAddress.parse("198.51.100.66")));
        assertFalse(sa.setCurrentRemote(OuterAddress.parse("198.51.100.66")));
        assertEquals(1, sa.outerSwitches());
        assertEquals("198.51.100.66", sa.currentRemote().toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sa.setCurrentRemote(OuterAddress.parse("198.51.100.1")));
        assertTrue(e.getMessage().contains("outside the remote pool"), e.getMessage());
        assertEquals(0x4000, sa.spi());
    }

    /** A context that counts how often it was closed. */
    private static final class CountingContext implements TransformContext {
        int closes;

        @Override
        public void close() {
            closes++;
        }

        @Override
        public boolean closed() {
            return closes > 0;
        }
    }

    @Test
    void theTransformSlotKeepsTheFirstContextAndKillClosesIt() {
        SecurityAssociation sa = TestSas.inbound(0x3000, "192.0.2.1", "198.51.100.1");
        CountingContext first = new CountingContext();
        CountingContext second = new CountingContext();
        assertSame(first, sa.installTransformContext(first));
        assertSame(first, sa.installTransformContext(second), "the slot is taken: the second caller gets the first");
        assertSame(first, sa.transformContext());
        sa.kill();
        assertEquals(1, first.closes);
        assertEquals(0, second.closes, "never installed: its maker closes it");
    }

    @Test
    void aContextInstalledAfterTheKillIsClosedAtOnce() {
        SecurityAssociation sa = TestSas.inbound(0x3001, "192.0.2.1", "198.51.100.1");
        sa.kill();
        CountingContext late = new CountingContext();
        assertSame(late, sa.installTransformContext(late));
        assertEquals(1, late.closes, "a key copy made while the SA died must not outlive it");
    }
}
