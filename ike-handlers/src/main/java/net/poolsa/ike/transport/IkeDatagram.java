package net.poolsa.ike.transport;

import java.net.InetSocketAddress;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * An IKE message on its way through a UDP socket: the ISAKMP bytes (never the non-ESP marker) and the two
 * socket addresses. Reference counting is the content's, so Netty releases a datagram it drops.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.2">RFC 3948 §2.2</a>
 */
public interface IkeDatagram extends ReferenceCounted {
    /** Our address and port. */
    InetSocketAddress local();

    /** The peer's address and port. */
    InetSocketAddress remote();

    /** The ISAKMP message, starting with the initiator cookie. */
    ByteBuf content();

    @Override
    default int refCnt() {
        return content().refCnt();
    }

    @Override
    default IkeDatagram retain() {
        content().retain();
        return this;
    }

    @Override
    default IkeDatagram retain(int increment) {
        content().retain(increment);
        return this;
    }

    @Override
    default IkeDatagram touch() {
        content().touch();
        return this;
    }

    @Override
    default IkeDatagram touch(Object hint) {
        content().touch(hint);
        return this;
    }

    @Override
    default boolean release() {
        return content().release();
    }

    @Override
    default boolean release(int decrement) {
        return content().release(decrement);
    }
}
