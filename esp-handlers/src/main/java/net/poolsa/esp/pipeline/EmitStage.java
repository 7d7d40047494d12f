package net.poolsa.esp.pipeline;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Last stage: whatever reaches it is written to the channel (the raw-socket emitter), and the end of a
 * read batch flushes, so that one capture batch becomes one {@code sendmmsg} per address family.
 */
public final class EmitStage extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // No promise per packet: emit failures are reported as drops by the emitter itself.
        ctx.write(msg instanceof Packet p ? p.take() : msg, ctx.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
        ctx.fireChannelReadComplete();
    }
}
