package net.poolsa.esp.path;

import net.poolsa.esp.event.PathState;
import net.poolsa.esp.sa.OuterAddress;

/**
 * One monitored path: a local outer address and a peer outer address, its state, its evidence and probe times, the
 * values of its outstanding probes, and the outbound SAs that use it now. Confined to the data plane's event loop.
 */
final class PathPair {
    static final long NEVER = Long.MIN_VALUE;
    /** Probes whose reply is still taken: a reply may trail its probe by up to this many probes. */
    static final int OUTSTANDING = 4;

    final Uplink local;
    final OuterAddress remote;
    int rank; // preference: lower is better (peer addresses in configured order, then local ones)
    PathState state = PathState.UNVERIFIED;
    long stateSince = NEVER; // NEVER until the first tick watches it
    long lastEvidence = NEVER;
    long lastProbe = NEVER;
    long lastAlive = NEVER; // when a DOWN path was last known to work (evidence, or watched from): detection time
    long lastTraffic = NEVER; // when an activity check last saw its SAs send
    long modeSince = NEVER; // when it last became busy (its detection window restarts then)
    long suspectUntil = NEVER; // a route of its uplink changed: busy-rate probing until then
    long lastDpdWanted = NEVER; // when a DPD probe was last asked for (authenticated-only paths)
    int timesUp; // UP episodes so far: 1 while it is up for the first time (nothing failed yet), 0 before
    long firstUp = NEVER; // when it first became UP: starts the placement window of the SAs that may use it
    final long[] tokens = new long[OUTSTANDING]; // 0: free slot
    final int[] sequences = new int[OUTSTANDING];
    int nextToken;
    /** Its peer is keyed by IKE with DPD: only authenticated evidence counts, an echo reply is a hint. */
    boolean authenticatedOnly;
    SaEntry[] sas = new SaEntry[4];
    int saCount;

    PathPair(Uplink local, OuterAddress remote, int rank) {
        this.local = local;
        this.remote = remote;
        this.rank = rank;
    }

    boolean usable() {
        return local.usable && state == PathState.UP;
    }

    /** Its uplink is gone or it gave no evidence for its detection time: SAs on it must move. */
    boolean broken() {
        return !local.usable || state == PathState.DOWN;
    }

    boolean matchesV4(int localBits, int remoteBits) {
        OuterAddress l = local.address.address();
        return l.v4() && remote.v4() && l.v4Bits() == localBits && remote.v4Bits() == remoteBits;
    }

    boolean matchesV6(long lHi, long lLo, long rHi, long rLo) {
        OuterAddress l = local.address.address();
        return !l.v4() && !remote.v4() && l.v6Hi() == lHi && l.v6Lo() == lLo && remote.v6Hi() == rHi && remote.v6Lo() == rLo;
    }

    void add(SaEntry e) {
        if (saCount == sas.length) {
            sas = java.util.Arrays.copyOf(sas, saCount * 2);
        }
        e.slot = saCount;
        sas[saCount++] = e;
    }

    void remove(SaEntry e) {
        int i = e.slot;
        SaEntry last = sas[--saCount];
        sas[i] = last;
        last.slot = i;
        sas[saCount] = null;
        e.slot = -1;
    }

    /** It becomes UP now (from another state). */
    void wentUp(long nowNanos) {
        timesUp++;
        if (firstUp == NEVER) {
            firstUp = nowNanos == NEVER ? NEVER + 1 : nowNanos;
        }
    }

    void clearProbes() {
        java.util.Arrays.fill(tokens, 0);
    }

    @Override
    public String toString() {
        return local.address.address() + ">" + remote;
    }

    /** One local outer address and whether the kernel says it can carry packets now. */
    static final class Uplink {
        final LocalAddress address;
        boolean usable = true; // until the kernel says otherwise
        long eventNanos; // when the last change was read from the kernel
        final java.util.List<PathPair> pairs = new java.util.ArrayList<>();

        Uplink(LocalAddress address) {
            this.address = address;
        }
    }
}
