package net.poolsa.esp.pipeline;

import java.util.concurrent.atomic.AtomicLong;

import io.netty.buffer.ByteBuf;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Gives each outbound SA one owning event loop, and carries cleartext packets that another loop captured to it, so
 * that one thread assigns an SA's sequence numbers, seals and emits its packets: they leave in sequence order
 * (RFC 4303 §3.3.3 numbers them in the order sent; a receiver's window of 32 or 64 takes little reordering).
 * Used only with several loops ({@link DataPlane}); one loop has no hand-off at all.
 *
 * <p>The owner is a hash of the SPI, fixed for the SA's life and the same on every loop without any shared table:
 * with the random SPIs IKE chooses, many SAs spread evenly over the loops. A bundle goes with its ESP SA, the one the
 * policy names ({@link net.poolsa.esp.sad.OutboundSlot}); its AH SA is applied by the same loop.
 *
 * <p>Between every pair of loops there is one {@link Lane}: a bounded single-producer single-consumer ring of
 * (buffer, SA) slots, preallocated, so a handed packet allocates nothing. The capturing loop fills it during a read
 * batch and publishes the batch at the batch's end with one volatile write; the owner is woken once per batch (one
 * task, and none while a wake-up is still pending) and drains all its lanes into its own protect and emit stages. A
 * full lane drops the packet as {@link net.poolsa.esp.event.DropReason#OVERLOAD}: the capturing loop never blocks
 * on the owner.
 */
public final class LoopHandOff {
    /** Slots per lane: eight full read batches ({@code PolledChannel.MAX_BATCH}) of one loop waiting for the owner. */
    public static final int LANE_CAPACITY = 1024;

    private final int loops;
    private final HandOffStage[] stages;
    private final Lane[][] lanes; // [from][to], null on the diagonal

    /**
     * @param loops        the event loops, at least 2
     * @param laneCapacity slots between each pair of loops, a power of two
     */
    public LoopHandOff(int loops, int laneCapacity, DataPathListener listener) {
        if (loops < 2) {
            throw new IllegalArgumentException("a hand-off needs 2 or more loops, got " + loops);
        }
        if (laneCapacity < 1 || Integer.bitCount(laneCapacity) != 1) {
            throw new IllegalArgumentException("lane capacity must be a power of two, got " + laneCapacity);
        }
        this.loops = loops;
        this.lanes = new Lane[loops][loops];
        this.stages = new HandOffStage[loops];
        for (int from = 0; from < loops; from++) {
            for (int to = 0; to < loops; to++) {
                if (from != to) {
                    lanes[from][to] = new Lane(laneCapacity);
                }
            }
        }
        for (int i = 0; i < loops; i++) {
            stages[i] = new HandOffStage(this, i, listener);
        }
    }

    public LoopHandOff(int loops, DataPathListener listener) {
        this(loops, LANE_CAPACITY, listener);
    }

    public int loops() {
        return loops;
    }

    /** The stage of loop {@code loop}'s cleartext pipeline, between policy and protect ({@link Pipelines#cleartext}). */
    public HandOffStage stage(int loop) {
        return stages[loop];
    }

    /** The loop that seals {@code sa}'s packets. */
    public int owner(SecurityAssociation sa) {
        return owner(sa.spi(), loops);
    }

    /** Fibonacci hashing of the SPI, then a multiply-shift into [0, loops): no division per packet. */
    static int owner(int spi, int loops) {
        long h = ((spi * 0x9E3779B9L) & 0xffffffffL);
        return (int) ((h * loops) >>> 32);
    }

    Lane lane(int from, int to) {
        return lanes[from][to];
    }

    /** Packets handed from {@code from} to any other loop so far (status, tests). */
    public long handedOff(int from) {
        return stages[from].handedOff();
    }

    /** Wake-ups of {@code to} for handed packets so far: one per batch at most (status, tests). */
    public long wakeUps(int to) {
        return stages[to].wakeUps();
    }

    /** Packets loop {@code from} dropped because a lane was full (also reported as OVERLOAD). */
    public long dropped(int from) {
        return stages[from].dropped();
    }

    /** Packets waiting in the lane from {@code from} to {@code to}, as its producer sees it (on loop {@code from}). */
    int queued(int from, int to) {
        return lanes[from][to].queued();
    }

    /** Releases what is still queued; only once no loop runs any more (the data plane's teardown). */
    public void releaseAll() {
        for (Lane[] row : lanes) {
            for (Lane l : row) {
                if (l != null) {
                    l.releaseAll();
                }
            }
        }
    }

    /**
     * One producer (the capturing loop), one consumer (the owner). The producer writes slots with plain stores and
     * publishes them with one volatile store of {@link #tail} per batch; the consumer reads the tail, takes the slots,
     * then frees them with one volatile store of {@link #head}, which the producer reads only when the ring looks full.
     */
    static final class Lane {
        private final ByteBuf[] bufs;
        private final SecurityAssociation[] sas;
        private final int mask;
        private final AtomicLong tail = new AtomicLong(); // published by the producer
        private final AtomicLong head = new AtomicLong(); // freed by the consumer
        private long written; // producer only: slots filled, published or not
        private long headSeen; // producer only: the last head read
        private long taken; // consumer only

        Lane(int capacity) {
            bufs = new ByteBuf[capacity];
            sas = new SecurityAssociation[capacity];
            mask = capacity - 1;
        }

        /** Producer: slots in use, published or not, by the consumer's last free. */
        int queued() {
            return (int) (written - head.get());
        }

        /** Producer: queues the packet unpublished; false when the ring is full (the caller still owns {@code buf}). */
        boolean offer(ByteBuf buf, SecurityAssociation sa) {
            if (written - headSeen > mask) {
                headSeen = head.get();
                if (written - headSeen > mask) {
                    return false;
                }
            }
            int i = (int) written & mask;
            bufs[i] = buf;
            sas[i] = sa;
            written++;
            return true;
        }

        /** Producer: makes the queued packets visible to the consumer; false when there were none. */
        boolean publish() {
            if (written == tail.get()) { // our own store: no other writer
                return false;
            }
            tail.set(written); // volatile: ordered before the wake-up flag's compare-and-set
            return true;
        }

        /** Consumer: hands every published packet to {@code to}; returns how many. */
        int drainTo(HandOffStage to) {
            long end = tail.get();
            int n = 0;
            try {
                while (taken < end) {
                    int i = (int) taken & mask;
                    ByteBuf b = bufs[i];
                    SecurityAssociation sa = sas[i];
                    bufs[i] = null;
                    sas[i] = null;
                    taken++; // before delivery: the stage owns the buffer now, even if it throws
                    n++;
                    to.deliver(b, sa);
                }
            } finally {
                head.set(taken);
            }
            return n;
        }

        /** Releases the published and unpublished packets; no loop may be running. */
        void releaseAll() {
            for (int i = 0; i < bufs.length; i++) {
                if (bufs[i] != null) {
                    bufs[i].release();
                    bufs[i] = null;
                }
                sas[i] = null;
            }
            taken = written;
            tail.set(written);
            head.set(written);
            headSeen = written;
        }
    }
}
