package net.poolsa.esp.sa;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The outer source and destination of the last authenticated packet an inbound SA received: for a pool SA the
 * pair in use is whatever the peer last sent from and to, which status output shows as the SA's current outer
 * addresses.
 *
 * <p>The data path records every authenticated packet, so recording takes no lock and allocates nothing: it
 * stores the address bits, and writes only when the pair differs from the one stored. Readers (status, on
 * another thread) get a consistent pair through a sequence counter (a seqlock): the writer makes it odd, writes,
 * makes it even again; a reader retries while it is odd or changed under it. Concurrent writers do not corrupt
 * the pair: a writer that finds a write in progress skips its own (the other packet's pair is as recent).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4301#section-4.4.2.1">RFC 4301 §4.4.2.1 (SAD fields)</a>
 */
public final class LastOuterAddresses {
    private static final VarHandle SEQUENCE;

    static {
        try {
            SEQUENCE = MethodHandles.lookup().findVarHandle(LastOuterAddresses.class, "sequence", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Even: stable; odd: a write is in progress; 0: nothing recorded yet. */
    private volatile long sequence;
    private boolean v4;
    private long srcHi;
    private long srcLo;
    private long dstHi;
    private long dstLo;

    /** The pair as addresses, read consistently. */
    public record Pair(OuterAddress source, OuterAddress destination) {
    }

    /** Records an IPv4 pair (the data path, per authenticated packet). */
    public void recordV4(int source, int destination) {
        record(true, 0, source & 0xFFFF_FFFFL, 0, destination & 0xFFFF_FFFFL);
    }

    /** Records an IPv6 pair, each address as its network-order halves. */
    public void recordV6(long sourceHi, long sourceLo, long destinationHi, long destinationLo) {
        record(false, sourceHi, sourceLo, destinationHi, destinationLo);
    }

    /** Whether the last pair recorded is this IPv4 pair (without allocating: the data path asks per packet). */
    public boolean holdsV4(int source, int destination) {
        return holds(true, 0, source & 0xFFFF_FFFFL, 0, destination & 0xFFFF_FFFFL);
    }

    /** Whether the last pair recorded is this IPv6 pair, each address as its network-order halves. */
    public boolean holdsV6(long sourceHi, long sourceLo, long destinationHi, long destinationLo) {
        return holds(false, sourceHi, sourceLo, destinationHi, destinationLo);
    }

    private boolean holds(boolean isV4, long sHi, long sLo, long dHi, long dLo) {
        long seq = sequence;
        boolean same = seq != 0 && (seq & 1) == 0 && v4 == isV4 && srcHi == sHi && srcLo == sLo && dstHi == dHi && dstLo == dLo;
        VarHandle.loadLoadFence(); // the plain reads above happen before the check below
        return same && sequence == seq;
    }

    private void record(boolean isV4, long sHi, long sLo, long dHi, long dLo) {
        if (holds(isV4, sHi, sLo, dHi, dLo)) {
            return; // unchanged: the common case costs two volatile reads and plain compares
        }
        long seq = sequence;
        if ((seq & 1) != 0 || !SEQUENCE.compareAndSet(this, seq, seq + 1)) {
            return; // another writer is storing a pair of the same moment
        }
        // The CAS orders these plain writes after the odd sequence; the volatile write below publishes them.
        v4 = isV4;
        srcHi = sHi;
        srcLo = sLo;
        dstHi = dHi;
        dstLo = dLo;
        sequence = seq + 2;
    }

    /** The last pair recorded, or null when none was. */
    public Pair get() {
        while (true) {
            long before = sequence;
            if (before == 0) {
                return null;
            }
            if ((before & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            boolean isV4 = v4;
            long sHi = srcHi;
            long sLo = srcLo;
            long dHi = dstHi;
            long dLo = dstLo;
            VarHandle.loadLoadFence(); // the plain reads above happen before the check below
            if (sequence == before) {
                return isV4
                        ? new Pair(OuterAddress.of(IpLiterals.v4ToInet((int) sLo)), OuterAddress.of(IpLiterals.v4ToInet((int) dLo)))
                        : new Pair(OuterAddress.of(IpLiterals.v6ToInet(sHi, sLo)), OuterAddress.of(IpLiterals.v6ToInet(dHi, dLo)));
            }
        }
    }
}
