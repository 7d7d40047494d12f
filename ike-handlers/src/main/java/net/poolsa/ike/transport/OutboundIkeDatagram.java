package net.poolsa.ike.transport;

import java.net.InetSocketAddress;
import java.util.Objects;

import io.netty.buffer.ByteBuf;

/**
 * An IKE message to send: from the socket bound to {@code local} (which decides whether the non-ESP
 * marker goes in front) to {@code remote}. Sending takes ownership of the content.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.2">RFC 3948 §2.2</a>
 */
public record OutboundIkeDatagram(InetSocketAddress local, InetSocketAddress remote, ByteBuf content)
        implements IkeDatagram {
    public OutboundIkeDatagram {
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(remote, "remote");
        Objects.requireNonNull(content, "content");
    }
}
