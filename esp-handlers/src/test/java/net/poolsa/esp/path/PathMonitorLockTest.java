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
 * {@link PathMonitor} runs on the data plane's event loop: indexing the SAs installed already ({@link PathMonitor#watch})
 * and every {@link PathMonitor#tick} go without the SAD's writer lock, so a control-plane writer holding that lock (an
 * install, a flush) never stalls the loop's packets, probes and failover. Decided from the loop thread's state, never
 * from a time.
 */
class PathMonitorLockTest {
    private static final long MS = 1_000_000L;
    private static final OuterAddress A1 = OuterAddress.parse("198.51.100.1");
    private static final OuterAddress A2 = OuterAddress.parse("203.0.113.1");
    private static final OuterAddress B1 = OuterAddress.parse("198.51.100.2");
    private static final OuterAddress B2 = OuterAddress.parse("203.0.113.2");

    @Test
    void watchAndTickMoveAnSaWhileAWriterHoldsTheSad() throws Exception {
        UserspaceIpsecKernel k = new UserspaceIpsecKernel();
        SecurityAssociation out = ManualSas.outbound(0x1001, 1, AddressPool.parse("198.51.100.1/32", "203.0.113.1/32"),
                AddressPool.parse("198.51.100.2/32", "203.0.113.2/32"), AddressPool.parse("192.0.2.0/26"),
                AddressPool.parse("192.0.2.64/26"), ManualSas.xorKeys(1));
        k.addSa(out);
        List<ByteBuf> probes = new ArrayList<>();
        PathMonitor m = new PathMonitor(List.of(new LocalAddress(A1, 30, "l1"), new LocalAddress(A2, 30, "l2")),
                List.of(B1, B2), PathTimers.DEFAULTS, probes::add, PooledByteBufAllocator.DEFAULT, DataPathListener.NONE);
        long detection = PathTimers.DEFAULTS.idleDetectionTime().toMillis(); // no traffic: the idle paths' detection time
        List<OuterAddress> placed = new ArrayList<>();
        try {
            // The loop indexes the SA (placed on A1 > B1, nothing is up yet), then B2 answers and B1 never does: A1 > B1
            // is down one detection time after its first probe.
            Thread loop = new Thread(() -> {
                m.watch(k.sad(), Runnable::run);
                placed.add(out.currentRemote());
                for (long t = 1000; t <= 1000 + detection + 100; t += 50) {
                    m.confirmed(A2, B2, t * MS);
                    m.tick(t * MS);
                }
            }, "loop");
            Thread.State state;
            synchronized (k.sad()) { // as SecurityAssociationDatabase's writers do
                loop.start();
                do {
                    Thread.onSpinWait();
                    state = loop.getState();
                } while (state != Thread.State.TERMINATED && !Monitors.blockedOn(loop, k.sad()));
            }
            loop.join();
            assertEquals(Thread.State.TERMINATED, state, "the loop waited for the SAD's writer lock");
            assertEquals(List.of(B1), placed, "watch indexed the SA installed before it and gave it its first path");
            assertEquals(A2, out.currentLocal(), "the tick moved the SA off the dead path");
            assertEquals(B2, out.currentRemote(), "the tick moved the SA off the dead path");
            assertEquals(0x1001, out.spi(), "same SA, same SPI");
            m.unwatch();
            k.flush();
            assertEquals(List.of(), k.sad().outboundSas(), "a removal republishes the outbound SAs");
        } finally {
            probes.forEach(ByteBuf::release);
            k.flush();
        }
    }
}
