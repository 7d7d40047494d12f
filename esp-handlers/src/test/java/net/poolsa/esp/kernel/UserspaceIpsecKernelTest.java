package net.poolsa.esp.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.Lifetime;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TestSas;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.spd.SecurityPolicy;

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
}
