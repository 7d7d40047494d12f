package net.poolsa.ike.transport;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageEncoder;

/**
 * Turns an {@link OutboundNatKeepalive} into its UDP datagram: the single octet 0xFF and nothing else, in particular
 * no non-ESP marker (RFC 3948 §2.3: "The sender MUST use a one-octet-long payload with the value 0xFF"). Only the
 * NAT-T sockets carry it: a keepalive belongs to the port that ESP-in-UDP uses.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.3">RFC 3948 §2.3</a>
 */
public final class NatKeepaliveEncoder extends MessageToMessageEncoder<OutboundNatKeepalive> {
    public NatKeepaliveEncoder() {
        super(OutboundNatKeepalive.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, OutboundNatKeepalive msg, List<Object> out) {
        ByteBuf wire = ctx.alloc().ioBuffer(1);
        wire.writeByte(IkeDatagramDecoder.NAT_KEEPALIVE_BYTE);
        out.add(new DatagramPacket(wire, msg.remote()));
    }
}
