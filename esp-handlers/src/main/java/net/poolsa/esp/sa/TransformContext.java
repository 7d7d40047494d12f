package net.poolsa.esp.sa;

/**
 * The slot on a {@link SecurityAssociation} where the transform layer keeps its per-SA state (copies of the keys,
 * one cipher per thread, the sequence counter, the anti-replay window), found with one volatile read per packet.
 * {@link SecurityAssociation#kill()} closes it, so no copy of the keys outlives the SA (RFC 4301 §4.4.2.1 lists the
 * key material among the SAD entry's fields).
 */
public interface TransformContext extends AutoCloseable {
    /** Zeroes the key material held; idempotent, never throws. Packets still in flight are then dropped. */
    @Override
    void close();

    /** True once {@link #close()} began. */
    boolean closed();
}
