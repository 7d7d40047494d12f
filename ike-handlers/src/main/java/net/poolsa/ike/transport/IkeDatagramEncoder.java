package net.poolsa.ike.transport;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToMessageEncoder;

/**
 * Turns an {@link OutboundIkeDatagram} into a UDP datagram to its remote address, with the non-ESP marker in
 * front on the NAT-T port (RFC 3948 §2.2: "MUST ... prepend" the marker to IKE on port 4500). A message
 * larger than the cap is refused (the write fails): a peer would drop it as we do.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.2">RFC 3948 §2.2</a>
 */
public final class IkeDatagramEncoder extends MessageToMessageEncoder<OutboundIkeDatagram> {
    private final PortRole role;
    private final int maxDatagramBytes;

    public IkeDatagramEncoder(PortRole role, int maxDatagramBytes) {
        super(OutboundIkeDatagram.class);
        this.role = role;
        this.maxDatagramBytes = maxDatagramBytes;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, OutboundIkeDatagram msg, List<Object> out) {
        ByteBuf content = msg.content();
        int marker = role.hasNonEspMarker() ? PortRole.NON_ESP_MARKER_LENGTH : 0;
        int length = marker + content.readableBytes();
        if (content.readableBytes() < IkeDatagramDecoder.ISAKMP_HEADER_LENGTH || length > maxDatagramBytes) {
            throw new EncoderException("IKE message of " + content.readableBytes() + " bytes to "
                    + Endpoints.text(msg.remote())
                    + " is outside " + IkeDatagramDecoder.ISAKMP_HEADER_LENGTH + ".." + (maxDatagramBytes - marker) + " bytes");
        }
        ByteBuf wire;
        if (marker == 0) {
            wire = content.retain();
        } else {
            wire = ctx.alloc().ioBuffer(length);
            wire.writeInt(0);
            wire.writeBytes(content, content.readerIndex(), content.readableBytes());
        }
        out.add(new DatagramPacket(wire, msg.remote()));
    }
}
