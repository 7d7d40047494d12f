package net.poolsa.esp.emit;

import java.io.Closeable;
import java.nio.ByteBuffer;

/**
 * A transmit ring shared with the kernel for one interface: frames are written in place into mapped memory,
 * handed over one by one ({@link #commit}), and sent together by one system call ({@link #kick}).
 * Used by one thread (the event loop).
 */
interface TxRing extends Closeable {
    /** The mapped frame memory, big-endian; {@link #claim()} offsets point into it. */
    ByteBuffer frames();

    /** Native address of {@code frames()} at offset 0. */
    long address();

    /** The largest link-layer frame (Ethernet header included) one slot holds. */
    int frameCapacity();

    /** Offset in {@link #frames()} of a free slot's link-layer header, or -1 when every slot is with the kernel. */
    int claim();

    /** Hands the frame written at {@code offset} (the value {@link #claim()} returned) to the kernel, unsent. */
    void commit(int offset, int frameLength);

    /** Frames committed since the last successful kick. */
    int queued();

    /**
     * Asks the kernel to send the committed frames (one {@code sendto} that never blocks).
     *
     * @return how many committed frames were dropped because the kernel refused them for good (link gone or
     *         down); 0 when they were sent or stay queued for the next kick
     */
    int kick();

    /** errno of the last failed kick, 0 if none failed. */
    int lastError();

    /** "TPACKET_V2 TX ring" and its options, for logs and status. */
    String kind();

    @Override
    void close();
}
