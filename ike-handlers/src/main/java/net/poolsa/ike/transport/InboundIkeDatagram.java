package net.poolsa.ike.transport;

import java.net.InetSocketAddress;
import java.util.Objects;

import io.netty.buffer.ByteBuf;

/**
 * A datagram that passed the transport's checks: at least an ISAKMP header long, at most the cap, the
 * non-ESP marker removed. The content is a read-only view of the received bytes; whoever receives the
 * datagram releases it (or the transport does, see {@link IkeReceiver}).
 *
 * @param local         the address and port it was sent to
 * @param remote        the address and port it came from
 * @param content       the ISAKMP message (read-only)
 * @param nonEspMarker  whether it arrived behind the non-ESP marker, i.e. on the NAT-T port
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.2">RFC 3948 §2.2</a>
 */
public record InboundIkeDatagram(InetSocketAddress local, InetSocketAddress remote, ByteBuf content,
                                 boolean nonEspMarker) implements IkeDatagram {
    public InboundIkeDatagram {
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(content, "content");
    }

    /** The answer to this datagram from the same socket, to where it came from; takes ownership of {@code reply}. */
    public OutboundIkeDatagram reply(ByteBuf reply) {
        return new OutboundIkeDatagram(local, remote, reply);
    }
}
