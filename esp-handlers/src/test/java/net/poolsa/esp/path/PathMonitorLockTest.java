package net.poolsa.esp.path;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import net.poolsa.esp.Monitors;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.netns.ManualSas;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import org.junit.jupiter.api.Test;

/**
 * {@link PathMonitor#tick} runs on the data plane's event loop every probe interval: it walks the outbound SAs
 * without the SAD's writer lock, so a control-plane writer holding that lock (an install, a flush) never stalls the
 * loop's packets, probes and failover. Decided from the ticking thread's state, never from a time.
 */
class PathMonitorLockTest {
    private static final long MS = 1_000_000L;
    private static final OuterAddress B1 = OuterAddress.parse("198.51.100.2");
    private static final OuterAddress B2 = OuterAddress.parse("203.0.113.2");

    @Test
    void tickMovesAnSaWhileAWriterHoldsTheSad() throws Exception {
        UserspaceIpsecKernel k = new UserspaceIpsecKernel();
        SecurityAssociation out = ManualSas.outbound(0x1001, 1, AddressPool.parse("198.51.100.1/32", "203.0.113.1/32"),
                AddressPool.parse("198.51.100.2/32", "203.0.113.2/32"), AddressPool.parse("192.0.2.0/26"),
                AddressPool.parse("192.0.2.64/26"), ManualSas.xorKeys(1));
        k.addSa(out);
        List<ByteBuf> probes = new ArrayList<>();
        PathMonitor m = new PathMonitor(List.of(new LocalAddress(OuterAddress.parse("198.51.100.1"), 30),
                new LocalAddress(OuterAddress.parse("203.0.113.1"), 30)), List.of(B1, B2), k.sad(), probes::add,
                PooledByteBufAllocator.DEFAULT, DataPathListener.NONE, 300 * MS);
        try {
            m.pointNewSas();
            assertEquals(B1, out.currentRemote());
            // B2 answers, B1 never does: B1 is watched from the first tick and dead once the dead interval passed.
            for (long t = 1000; t <= 1200; t += 100) {
                m.authenticatedFromV4(B2.v4Bits(), t * MS - MS);
                m.tick(t * MS);
            }
            assertEquals(B1, out.currentRemote(), "not yet dead");
            m.authenticatedFromV4(B2.v4Bits(), 1390 * MS);

            Thread loop = new Thread(() -> m.tick(1400 * MS), "tick");
            Thread.State state;
            synchronized (k.sad()) { // as SecurityAssociationDatabase's writers do
                loop.start();
                do {
                    Thread.onSpinWait();
                    state = loop.getState();
                } while (state != Thread.State.TERMINATED && !Monitors.blockedOn(loop, k.sad()));
            }
            loop.join();
            assertEquals(Thread.State.TERMINATED, state, "tick waited for the SAD's writer lock");
            assertEquals(B2, out.currentRemote(), "the tick moved the SA off the dead address");
            assertEquals(8, probes.size(), "one probe to each peer address per tick");
            k.flush();
            assertEquals(List.of(), k.sad().outboundSas(), "a removal republishes the outbound SAs");
        } finally {
            probes.forEach(ByteBuf::release);
            k.flush();
        }
    }
}
