package net.poolsa.esp.path;

/**
 * The outbound SAs of one reqid (one connection: rekeyed generations, an AH+ESP bundle) and what the newest
 * authenticated inbound packet of that connection said: which inbound SA, its highest sequence number so far, and
 * over which path it came. Confined to the data plane's event loop.
 */
final class ReqidGroup {
    final int reqid;
    SaEntry[] out = new SaEntry[2];
    int count;
    int inboundSpi;
    long highestSequence;
    boolean seen;
    PathPair pair; // where the group's SAs were last placed together: the per-packet check compares with it
    PathPair shieldFrom; // a path we left on our own: the peer's packets over it are not followed until shieldUntil
    long shieldUntil;
    /** The tie-break ({@link PathMonitor#stands}): while both ends may be moving at once, this end keeps its path. */
    boolean stands;
    long movedAt; // when the group's SAs last changed paths on our own decision (not following the peer)
    boolean awaitingPeer; // since then, the peer was not seen coming over to the path we moved to
    boolean peerElsewhere; // since then, a newest packet of the peer came over another path

    ReqidGroup(int reqid) {
        this.reqid = reqid;
    }

    void add(SaEntry e) {
        if (count == out.length) {
            out = java.util.Arrays.copyOf(out, count * 2);
        }
        out[count++] = e;
    }

    void remove(SaEntry e) {
        for (int i = 0; i < count; i++) {
            if (out[i] == e) {
                out[i] = out[--count];
                out[count] = null;
                return;
            }
        }
    }

    /**
     * Whether an inbound packet with this (32-bit) sequence number of inbound SA {@code spi} is the newest the peer
     * sent: sequence numbers of one SA only grow (RFC 4303 §3.3.3), so a packet reordered behind a later one, for
     * instance one still in flight on the old path, never moves the group back. A new inbound SA (rekey) starts over.
     */
    boolean newest(int spi, long sequence) {
        if (!seen || spi != inboundSpi) {
            seen = true;
            inboundSpi = spi;
            highestSequence = sequence;
            return true;
        }
        if ((int) (sequence - highestSequence) > 0) { // serial-number comparison (RFC 1982) of the low 32 bits
            highestSequence = sequence;
            return true;
        }
        return false;
    }
}
