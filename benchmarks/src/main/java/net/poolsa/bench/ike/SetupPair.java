package net.poolsa.bench.ike;

/**
 * Two IKEv1 peers of one product with {@code n} tunnel connections configured between them (tunnel k: Main Mode +
 * Quick Mode with PFS between the same two IKE addresses, its own /32 selectors on each side), driven by
 * {@link SetupRateMain}.
 */
interface SetupPair extends AutoCloseable {
    /** "poolsa" or "strongswan". */
    String product();

    /** A fresh record for the next round of {@code n} tunnels; events of the round go there. */
    Completions newRound(int n);

    /** Starts tunnel {@code k}'s negotiation at the initiator and returns without waiting for it. */
    void initiate(int k) throws Exception;

    /** CPU time used so far by both peers together (user + system, all threads), in nanoseconds. */
    long cpuNanos() throws Exception;

    /**
     * CPU time of the threads that do the IKE work, where the product has threads of its own besides (poolsa: the
     * two event loops, without the JVM's JIT compiler and GC threads); {@link #cpuNanos()} for a daemon.
     */
    default long engineCpuNanos() throws Exception {
        return cpuNanos();
    }

    /** Deletes tunnels 0..n-1 on both sides and waits until neither holds an IKE or IPsec SA of them. */
    void terminateAll(int n) throws Exception;
}
