package net.poolsa.esp.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TestSas;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sad.OutboundSlot;
import net.poolsa.esp.spd.SecurityPolicy;
import net.poolsa.esp.transform.SaBundle;

class UserspaceIpsecKernelTest {
    private final List<String> events = new ArrayList<>();
    private final UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();

    UserspaceIpsecKernelTest() {
        kernel.setListener(new KernelListener() {
            @Override
            public void expired(SecurityAssociation sa, boolean hard) {
                events.add((hard ? "hard " : "soft ") + sa.spiHex());
            }
        });
    }

    private static SecurityAssociation inbound(int spi, Lifetime lt) {
        return SecurityAssociation.builder().spi(spi).direction(Direction.INBOUND).reqid(1)
                .localOuter(AddressPool.parse("192.0.2.64/26")).remoteOuter(AddressPool.parse("198.51.100.0/24"))
                .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY)).keys(TestSas.keys())
                .lifetime(lt).createdNanos(0).build();
    }

    @Test
    void packetLifetimesCrossedOnTheDataPathReachTheControlPlane() {
        SecurityAssociation sa = inbound(0x4000, new Lifetime(0, 0, 0, 0, 2, 3));
        kernel.addSa(sa);
        sa.account(10);
        sa.account(10);
        assertEquals(List.of("soft 0x00004000"), events);
        sa.account(10);
        sa.account(10);
        assertEquals(List.of("soft 0x00004000", "hard 0x00004000"), events);
        assertNull(kernel.sad().inbound(0x4000), "a hard-expired SA is removed");
        assertTrue(sa.keys().isDestroyed(), "and its keys are zeroed");
    }

    @Test
    void anExpiredSaIsRefusedByTheLookupBeforeItIsRemoved() {
        List<DropReason> drops = new ArrayList<>();
        // Without the kernel's observer (a bare SAD), the SA stays installed but expired.
        SecurityAssociation bare = inbound(0x4002, Lifetime.UNLIMITED);
        net.poolsa.esp.sad.SecurityAssociationDatabase sad = new net.poolsa.esp.sad.SecurityAssociationDatabase();
        sad.install(bare);
        bare.expire();
        assertNull(sad.lookupInboundV4(0x4002, 50, TestSas.v4("198.51.100.1"), TestSas.v4("192.0.2.65"),
                (r, s) -> drops.add(r)));
        assertEquals(List.of(DropReason.SA_EXPIRED), drops);
    }

    @Test
    void timeLifetimesAreCheckedByTheTick() {
        kernel.addSa(inbound(0x4003, Lifetime.ofSeconds(10, 20)));
        kernel.expireTick(5_000_000_000L);
        assertEquals(List.of(), events);
        kernel.expireTick(10_000_000_000L);
        kernel.expireTick(11_000_000_000L);
        assertEquals(List.of("soft 0x00004003"), events);
        kernel.expireTick(20_000_000_000L);
        assertEquals(List.of("soft 0x00004003", "hard 0x00004003"), events);
        assertEquals(0, kernel.listSas().size());
    }

    @Test
    void acquiresAreRateLimitedPerReqid() {
        List<Integer> acquires = new ArrayList<>();
        kernel.setListener(new KernelListener() {
            @Override
            public void acquire(net.poolsa.esp.spd.InstalledPolicy policy) {
                acquires.add(policy.policy().reqid());
            }
        });
        kernel.addPolicy(SecurityPolicy.protect("p", TrafficSelector.between(AddressPool.ANY, AddressPool.ANY), 9));
        var p = kernel.spd().get("p");
        kernel.reportAcquire(p, 0);
        kernel.reportAcquire(p, 500_000_000L);
        kernel.reportAcquire(p, 1_000_000_000L);
        assertEquals(List.of(9, 9), acquires);
        assertEquals(false, kernel.deleteSa(Direction.INBOUND, 0x9999, IpsecProtocol.ESP, 0));
    }

    /**
     * A reload that changes an IKE connection removes its policies and installs them again; the first packet after
     * that must start the negotiation, not wait up to a second behind an acquire of the old policy (seen: ten pings
     * of 100 ms lost after such a reload). So must the first packet after the reqid's outbound SA went (a peer's
     * Delete).
     */
    @Test
    void anAcquireIsNotHeldBackByOneFromBeforeThePolicyOrTheSaChanged() {
        List<Long> acquires = new ArrayList<>();
        long[] now = {0};
        kernel.setListener(new KernelListener() {
            @Override
            public void acquire(net.poolsa.esp.spd.InstalledPolicy policy) {
                acquires.add(now[0]);
            }
        });
        SecurityPolicy policy = SecurityPolicy.protect("p", TrafficSelector.between(AddressPool.ANY, AddressPool.ANY), 9);
        kernel.addPolicy(policy);
        kernel.reportAcquire(kernel.spd().get("p"), now[0]);
        kernel.deletePolicy("p");
        kernel.addPolicy(policy);
        now[0] = 100_000_000L;
        kernel.reportAcquire(kernel.spd().get("p"), now[0]);
        kernel.addSa(sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x5001, 9, Lifetime.UNLIMITED));
        assertTrue(kernel.deleteSa(Direction.OUTBOUND, 0x5001, IpsecProtocol.ESP, 9));
        now[0] = 200_000_000L;
        kernel.reportAcquire(kernel.spd().get("p"), now[0]);
        now[0] = 300_000_000L;
        kernel.reportAcquire(kernel.spd().get("p"), now[0]); // a repeat: held back
        assertEquals(List.of(0L, 100_000_000L, 200_000_000L), acquires);
    }

    private static SecurityAssociation sa(Direction d, IpsecProtocol proto, int spi, int reqid, Lifetime lt) {
        SaKeys keys = proto == IpsecProtocol.ESP ? TestSas.keys() : new SaKeys("none", null, "hmac-sha2-256-128", new byte[32]);
        return SecurityAssociation.builder().spi(spi).direction(d).protocol(proto).reqid(reqid)
                .mode(proto == IpsecProtocol.AH ? SaMode.TRANSPORT : SaMode.TUNNEL)
                .localOuter(AddressPool.parse("192.0.2.64/26")).remoteOuter(AddressPool.parse("198.51.100.0/24"))
                .selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY)).keys(keys)
                .lifetime(lt).createdNanos(0).build();
    }

    /**
     * An ESP rekey of a bundled reqid is linked to the AH SA before any reader can see it as current: a reader
     * spinning on the slot never observes an unlinked ESP SA across many rekeys.
     */
    @Test
    void anEspRekeyIsNeverVisibleUnlinked() throws Exception {
        kernel.addSa(sa(Direction.OUTBOUND, IpsecProtocol.AH, 0x5000, 3, Lifetime.UNLIMITED));
        kernel.addSa(sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x5001, 3, Lifetime.UNLIMITED));
        OutboundSlot slot = kernel.sad().slot(3);
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger unlinked = new AtomicInteger();
        AtomicInteger seen = new AtomicInteger();
        CountDownLatch reading = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            SecurityAssociation last = null;
            while (!done.get()) {
                SecurityAssociation c = slot.current();
                if (c != last) {
                    last = c;
                    seen.incrementAndGet();
                    if (c == null || SaBundle.outerOf(c) == null) {
                        unlinked.incrementAndGet();
                    }
                }
                reading.countDown();
            }
        });
        reader.start();
        try {
            // the rekeys start once the reader reads, and go on until it saw some (a busy machine may not run it at once)
            assertTrue(reading.await(30, TimeUnit.SECONDS), "the reader thread ran");
            int spi = 0x5002;
            for (int n = 0; n < 2000 || seen.get() < 10 && n < 2_000_000; n++, spi++) {
                kernel.addSa(sa(Direction.OUTBOUND, IpsecProtocol.ESP, spi, 3, Lifetime.UNLIMITED));
                kernel.deleteSa(Direction.OUTBOUND, spi - 1, IpsecProtocol.ESP, 3);
            }
        } finally {
            done.set(true);
            reader.join();
        }
        assertTrue(seen.get() > 1, "the reader saw rekeys");
        assertEquals(0, unlinked.get());
    }

    /** RFC 4301 §4.5: an AH SA that hard-expires with no successor leaves the bundled reqid without SA (acquire), not ESP-only. */
    @Test
    void ahHardExpiryWithoutSuccessorLeavesNoSa() {
        SecurityAssociation ah = sa(Direction.OUTBOUND, IpsecProtocol.AH, 0x5100, 4, new Lifetime(0, 0, 0, 0, 1, 2));
        SecurityAssociation esp = sa(Direction.OUTBOUND, IpsecProtocol.ESP, 0x5101, 4, Lifetime.UNLIMITED);
        kernel.addSa(ah);
        kernel.addSa(esp);
        OutboundSlot slot = kernel.sad().slot(4);
        assertSame(esp, slot.current());
        assertSame(ah, SaBundle.outerOf(esp));
        ah.account(10);
        ah.account(10);
        ah.account(10);
        assertEquals(List.of("soft 0x00005100", "hard 0x00005100"), events);
        assertNull(slot.current(), "no ESP-only traffic for a bundled reqid");
        assertTrue(slot.bundleRequired());
        assertSame(ah, SaBundle.outerOf(esp), "the dead AH stays linked: in-flight packets are dropped");
        SecurityAssociation ah2 = sa(Direction.OUTBOUND, IpsecProtocol.AH, 0x5102, 4, Lifetime.UNLIMITED);
        kernel.addSa(ah2);
        assertSame(esp, slot.current());
        assertSame(ah2, SaBundle.outerOf(esp));
    }

    @Test
    void inboundEspOfABundledReqidIsMarkedWhicheverComesFirst() {
        SecurityAssociation esp = sa(Direction.INBOUND, IpsecProtocol.ESP, 0x5201, 5, Lifetime.UNLIMITED);
        kernel.addSa(esp);
        assertNull(SaBundle.outerOf(esp), "plain ESP so far");
        assertTrue(SaBundle.acceptsInbound(esp, null));
        SecurityAssociation ah = sa(Direction.INBOUND, IpsecProtocol.AH, 0x5202, 5, Lifetime.UNLIMITED);
        kernel.addSa(ah);
        assertSame(ah, SaBundle.outerOf(esp));
        assertFalse(SaBundle.acceptsInbound(esp, null));
        assertTrue(SaBundle.acceptsInbound(esp, ah));
        SecurityAssociation rekeyed = sa(Direction.INBOUND, IpsecProtocol.ESP, 0x5203, 5, Lifetime.UNLIMITED);
        kernel.addSa(rekeyed);
        assertSame(ah, SaBundle.outerOf(rekeyed), "marked before it is visible to lookups");
        SecurityAssociation otherAh = sa(Direction.INBOUND, IpsecProtocol.AH, 0x5204, 6, Lifetime.UNLIMITED);
        kernel.addSa(otherAh);
        assertFalse(SaBundle.acceptsInbound(rekeyed, otherAh), "ESP of reqid 5 inside AH of reqid 6");
        // Still a bundle after its AH SA went: the ESP SA is never accepted bare.
        assertTrue(kernel.deleteSa(Direction.INBOUND, 0x5202, IpsecProtocol.AH, 5));
        SecurityAssociation third = sa(Direction.INBOUND, IpsecProtocol.ESP, 0x5205, 5, Lifetime.UNLIMITED);
        kernel.addSa(third);
        assertFalse(SaBundle.acceptsInbound(third, null));
        // Once the reqid has no inbound SA at all, it starts afresh.
        kernel.deleteSa(Direction.INBOUND, 0x5201, IpsecProtocol.ESP, 5);
        kernel.deleteSa(Direction.INBOUND, 0x5203, IpsecProtocol.ESP, 5);
        kernel.deleteSa(Direction.INBOUND, 0x5205, IpsecProtocol.ESP, 5);
        SecurityAssociation fresh = sa(Direction.INBOUND, IpsecProtocol.ESP, 0x5206, 5, Lifetime.UNLIMITED);
        kernel.addSa(fresh);
        assertTrue(SaBundle.acceptsInbound(fresh, null));
        kernel.flush();
    }
}
