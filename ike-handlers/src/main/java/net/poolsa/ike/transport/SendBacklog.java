package net.poolsa.ike.transport;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What one IKE socket has handed to Netty but the kernel has not yet taken: datagrams wait there when the socket's
 * send buffer is full (the kernel answered EAGAIN). A send buffer fills when answers wait in the kernel for a
 * neighbour that never resolves: a flood of first messages from spoofed on-link sources leaves every answer in an
 * ARP queue for about 3 s, charged to the socket, and everything sent after it would wait behind them in Netty's
 * unbounded queue (seen: Main Mode messages 4 and 6 to a genuine peer 5 s late, and its SA deleted by DPD).
 *
 * <p>So an answer to a source that has not proved its address ({@link Kind#EXPENDABLE}: Main Mode message 2, a
 * notification in the clear) is sent only when nothing waits: it never queues behind another datagram, and at most
 * one such answer is ever queued (the one the kernel refused first). Everything else queues up to
 * {@link #MAX_BYTES}, which bounds the memory the queue takes, and goes out as soon as the kernel frees room. A
 * dropped answer costs its peer one retransmission.
 *
 * <p>Thread-safe: {@link IkeTransport#send} may be called from any thread; the counts are atomic.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-2.5.3">RFC 2408 §2.5.3 (anti-clogging)</a>
 */
final class SendBacklog {
    /** Most bytes of datagrams one socket keeps waiting for the kernel: about 180 messages of 1400 bytes. */
    static final long MAX_BYTES = 256 * 1024;

    /** How much a datagram may wait. */
    enum Kind {
        /** An answer to a source that has not proved its address: sent only when nothing waits. */
        EXPENDABLE,
        /** A message for a peer that returned our cookie or holds our keys: waits while there is room. */
        NORMAL
    }

    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong datagrams = new AtomicLong();

    /**
     * Admits a datagram of {@code size} bytes: true when it may be written (then {@link #done} must follow once its
     * write completed, whatever the outcome), false when it must be dropped.
     */
    boolean admit(Kind kind, int size) {
        while (true) {
            long b = bytes.get();
            if (kind == Kind.EXPENDABLE ? b > 0 : b + size > MAX_BYTES) {
                return false;
            }
            if (bytes.compareAndSet(b, b + size)) {
                datagrams.incrementAndGet();
                return true;
            }
        }
    }

    /** The write of an admitted datagram of {@code size} bytes completed (sent or failed). */
    void done(int size) {
        bytes.addAndGet(-size);
        datagrams.decrementAndGet();
    }

    /** Bytes admitted and not yet written. */
    long bytes() {
        return bytes.get();
    }

    /** Datagrams admitted and not yet written. */
    long datagrams() {
        return datagrams.get();
    }
}
