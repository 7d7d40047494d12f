package net.poolsa.ike.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/** The end of an IKE socket's pipeline: hands datagrams to the exchange layer and keeps its exceptions in. */
final class ReceiverHandler extends ChannelInboundHandlerAdapter {
    private final PortRole role;
    private final IkeReceiver receiver;
    private final DropLog drops;

    ReceiverHandler(PortRole role, IkeReceiver receiver, DropLog drops) {
        this.role = role;
        this.receiver = receiver;
        this.drops = drops;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof InboundIkeDatagram d)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            receiver.received(d);
        } catch (RuntimeException e) {
            drops.failure(role, TransportDropReason.RECEIVER_FAILED, d.remote(), e);
        } finally {
            d.release();
        }
    }

    /** A UDP socket has no connection to lose: log (rate-limited) and keep reading. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        drops.failure(role, TransportDropReason.SOCKET_ERROR, null, cause);
    }
}
