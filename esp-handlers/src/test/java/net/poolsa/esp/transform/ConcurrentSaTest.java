package net.poolsa.esp.transform;

import static net.poolsa.esp.transform.Packets.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.TrafficSelector;
import org.junit.jupiter.api.Test;

/**
 * One SA served by several threads at once, each with its own processor, as several event loops would: the per-SA
 * state (sequence counter with its durable reservation, anti-replay window, ESN tracking) is shared without a lock.
 * Outbound, every number up to the reservation is sent exactly once, none past it, while another thread raises the
 * reservation as the state store does (RFC 4303 §3.3.3). Inbound, every thread receives every packet (all but one
 * copy of each are replays): each sequence number is accepted exactly once (RFC 4303 §3.4.3). Counts, never times.
 */
class ConcurrentSaTest {
    private static final int THREADS = 4;
    /** Numbers reserved in all: the senders want more, so the last ones are refused as unreserved. */
    private static final int RESERVED = 4_000;
    private static final int STEP = 200;

    @Test
    void eachNumberIsSentOnceWithinTheReservationAndAcceptedOnce() throws Exception {
        for (boolean esn : new boolean[] {false, true}) {
            Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, GCM128, esn ? 0x6601 : 0x6600, esn, null, 1024,
                    TrafficSelector.between(AddressPool.ANY, AddressPool.ANY));
            OutboundSequence seq = SaTransformContext.of(p.out()).outbound();
            long first = esn ? 0xFFFF_F000L : 1; // with ESN, across the 2^32 boundary
            seq.skipTo(first);
            seq.reserveUpTo(first + STEP - 1);
            Counts drops = new Counts();
            List<ByteBuf> sealed = send(p, seq, first, drops);
            try {
                assertEquals(RESERVED, sealed.size(), "every reserved number used, none more: " + drops);
                AtomicIntegerArray used = new AtomicIntegerArray(RESERVED);
                for (ByteBuf b : sealed) {
                    used.incrementAndGet((int) (full(b.getInt(24), first) - first));
                }
                for (int i = 0; i < RESERVED; i++) {
                    assertEquals(1, used.get(i), "sequence number " + (first + i) + " sent once");
                }
                assertTrue(drops.get(DropReason.SEQUENCE_UNRESERVED) > 0, "the senders asked for more than was reserved");
                assertEquals(drops.total(), drops.get(DropReason.SEQUENCE_UNRESERVED), drops.toString());

                sealed.sort((a, b) -> Long.compare(full(a.getInt(24), first), full(b.getInt(24), first)));
                receive(p, sealed, first, esn);
            } finally {
                sealed.forEach(ByteBuf::release);
                p.out().kill();
                p.in().kill();
            }
        }
    }

    /** The full number of a packet whose low half is {@code low}, for a run that started at {@code first}. */
    private static long full(int low, long first) {
        long l = Integer.toUnsignedLong(low);
        return l >= (first & 0xFFFF_FFFFL) ? (first & ~0xFFFF_FFFFL) | l : ((first >>> 32) + 1) << 32 | l;
    }

    /** Senders protect until the reservation is used up; a reserver raises it meanwhile, STEP numbers at a time. */
    private static List<ByteBuf> send(Pair p, OutboundSequence seq, long first, Counts drops) throws Exception {
        ConcurrentLinkedQueue<ByteBuf> out = new ConcurrentLinkedQueue<>();
        long last = first + RESERVED - 1;
        AtomicBoolean sending = new AtomicBoolean(true);
        CyclicBarrier start = new CyclicBarrier(THREADS + 1);
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(thread(failed, () -> {
                IpsecProcessor proc = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
                ByteBuf inner = Unpooled.wrappedBuffer(udp(IN4_SRC, IN4_DST, 1000, 2000, payload(40)));
                start.await();
                // Until the last reserved number is gone (peek moves past it, or to 0 past 2^64-1).
                while (Long.compareUnsigned(seq.peek() - 1, last) < 0) {
                    ByteBuf b = proc.protect(p.out(), inner, addr(OUT4_A), addr(OUT4_B));
                    if (b != null) {
                        out.add(b);
                    }
                }
                inner.release();
            }));
        }
        threads.add(thread(failed, () -> {
            start.await();
            for (long limit = first + STEP - 1; limit < last; ) {
                if (seq.peek() + STEP / 2 > limit) {
                    limit = Math.min(last, limit + STEP);
                    seq.reserveUpTo(limit);
                } else {
                    Thread.onSpinWait();
                }
            }
            sending.set(false);
        }));
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        if (failed.get() != null) {
            throw new AssertionError("a thread failed", failed.get());
        }
        assertEquals(false, sending.get());
        // Once used up, a further packet is refused too, and does not move the counter.
        IpsecProcessor proc = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
        ByteBuf inner = Unpooled.wrappedBuffer(udp(IN4_SRC, IN4_DST, 1000, 2000, payload(40)));
        assertEquals(null, proc.protect(p.out(), inner, addr(OUT4_A), addr(OUT4_B)));
        inner.release();
        assertEquals(last + 1, seq.peek());
        return new ArrayList<>(out);
    }

    /** Every thread opens every packet, in sequence order: exactly one acceptance per sequence number. */
    private static void receive(Pair p, List<ByteBuf> sealed, long first, boolean esn) throws Exception {
        Counts drops = new Counts();
        AtomicIntegerArray accepted = new AtomicIntegerArray(sealed.size());
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(thread(failed, () -> {
                IpsecProcessor proc = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
                start.await();
                for (int i = 0; i < sealed.size(); i++) {
                    ByteBuf back = proc.unprotect(p.in(), sealed.get(i));
                    if (back != null) {
                        accepted.incrementAndGet(i);
                        back.release();
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        if (failed.get() != null) {
            throw new AssertionError("a thread failed", failed.get());
        }
        int wrong = 0;
        for (int i = 0; i < sealed.size(); i++) {
            if (accepted.get(i) != 1) {
                wrong++;
            }
        }
        assertEquals(0, wrong, "sequence numbers not accepted exactly once (first " + first + ")");
        // A copy that arrives more than a window late across 2^32 is given the next epoch by ESN inference (RFC 4303
        // Appendix A2.2) and fails its ICV; without ESN, copies are only replays or too old.
        long refused = drops.get(DropReason.REPLAYED) + drops.get(DropReason.TOO_OLD) + (esn ? drops.get(DropReason.BAD_ICV) : 0);
        assertEquals((long) (THREADS - 1) * sealed.size(), refused, "every other copy refused: " + drops);
        assertEquals(drops.total(), refused, drops.toString());
    }

    interface Body {
        void run() throws Exception;
    }

    private static Thread thread(AtomicReference<Throwable> failed, Body body) {
        return new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failed.compareAndSet(null, e);
            }
        });
    }

    /** Drop counts by reason, from any thread. */
    static final class Counts implements DropListener {
        private final Map<DropReason, LongAdder> counts = new EnumMap<>(DropReason.class);

        Counts() {
            for (DropReason r : DropReason.values()) {
                counts.put(r, new LongAdder());
            }
        }

        @Override
        public void dropped(DropReason reason, net.poolsa.esp.sa.SecurityAssociation sa) {
            counts.get(reason).increment();
        }

        long get(DropReason r) {
            return counts.get(r).sum();
        }

        long total() {
            return counts.values().stream().mapToLong(LongAdder::sum).sum();
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder("{");
            counts.forEach((r, n) -> {
                if (n.sum() != 0) {
                    s.append(r.label()).append('=').append(n.sum()).append(' ');
                }
            });
            return s.append('}').toString();
        }
    }
}
