package net.poolsa.bench.ike;

/**
 * Two IKEv1 peers of one product with {@code n} tunnel connections configured between them (tunnel k: Main Mode +
 * Quick Mode with PFS from an initiator address of its own to the responder's, its own /32 selectors on each side;
 * see {@link Tunnels}), driven by {@link SetupRateMain}.
 */
abstract class SetupPair implements AutoCloseable {
    /** Where the events of the current round go; null between rounds. */
    volatile Completions round;

    /** "poolsa" or "strongswan". */
    abstract String product();

    /** A fresh record for the next round of {@code n} tunnels; events of the round go there. */
    final Completions newRound(int n) {
        Completions c = new Completions(n);
        round = c;
        return c;
    }

    /** Starts tunnel {@code k}'s negotiation at the initiator and returns without waiting for it. */
    abstract void initiate(int k) throws Exception;

    /** CPU time used so far by both peers together (user + system, all threads), in nanoseconds. */
    abstract long cpuNanos() throws Exception;

    /**
     * CPU time of the threads that do the IKE work, where the product has threads of its own besides (poolsa: the
     * two event loops, without the JVM's JIT compiler and GC threads); {@link #cpuNanos()} for a daemon.
     */
    long engineCpuNanos() throws Exception {
        return cpuNanos();
    }

    /** Deletes tunnels 0..n-1 on both sides and waits until neither holds an IKE or IPsec SA of them. */
    abstract void terminateAll(int n) throws Exception;

    @Override
    public abstract void close();
}
