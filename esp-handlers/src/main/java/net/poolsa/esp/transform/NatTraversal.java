package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;

/**
 * UDP encapsulation of ESP (RFC 3948): ESP travels in UDP, normally port 4500 on both sides, and shares the
 * port with IKE, told apart by the first four payload bytes.
 *
 * <pre>
 *  | UDP header (8) | SPI != 0 | ...  ESP (RFC 3948 §2.1)
 *  | UDP header (8) | 0x00000000 | IKE  the non-ESP marker (RFC 3948 §2.2)
 *  | UDP header (8) | 0xFF |             NAT-keepalive (RFC 3948 §2.3)
 * </pre>
 *
 * The UDP checksum of IPv4 is sent as zero (RFC 3948 §2.1) and not checked on receipt (ESP's ICV covers the
 * payload); over IPv6 a checksum is mandatory (RFC 8200 §8.1) and is written.
 */
public final class NatTraversal {
    public static final int PORT = 4500;
    static final int ESP = 0;
    static final int IKE = 1;
    static final int KEEPALIVE = 2;
    static final int MALFORMED = 3;

    private NatTraversal() {
    }

    /** What the UDP payload of {@code len} bytes at {@code off} is: {@link #ESP}, {@link #IKE}, {@link #KEEPALIVE} or {@link #MALFORMED}. */
    static int classify(ByteBuf buf, int off, int len) {
        if (len == 1 && buf.getUnsignedByte(off) == 0xFF) {
            return KEEPALIVE;
        }
        if (len < 4) {
            return MALFORMED;
        }
        if (buf.getInt(off) == 0) {
            return IKE;
        }
        return len < 8 ? MALFORMED : ESP;
    }
}
