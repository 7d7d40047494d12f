package net.poolsa.esp.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Reassembler;

/**
 * First stage: validates the captured IP packet ({@link net.poolsa.esp.ip.IpPacketView}), trims link padding,
 * and on uplinks reassembles fragmented outer packets before anything looks at the SPI. Emits a
 * {@link Packet}; drops are reported with their {@link DropReason}.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#section-3.4.1">RFC 4303 §3.4.1 (reassembly before ESP processing)</a>
 */
public final class IpDecoder extends ChannelInboundHandlerAdapter {
    private final DataPathListener listener;
    private final Reassembler reassembler;
    private final Packet packet = new Packet();

    /** @param reassembler null on the cleartext side: inner fragments are protected as they are (RFC 4301 §7) */
    public IpDecoder(DataPathListener listener, Reassembler reassembler) {
        this.listener = listener;
        this.reassembler = reassembler;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        DropReason bad = packet.view.decode(buf);
        if (bad != null) {
            buf.release();
            listener.dropped(bad, null);
            return;
        }
        if (packet.view.isFragment() && reassembler != null) {
            ByteBuf whole = reassembler.offer(buf, packet.view, System.nanoTime());
            if (whole == null) {
                return;
            }
            buf = whole;
            bad = packet.view.decode(buf);
            if (bad != null) {
                buf.release();
                listener.dropped(DropReason.REASSEMBLY_FAILED, null);
                return;
            }
        }
        int total = packet.view.totalLength();
        if (buf.readableBytes() > total) {
            buf.writerIndex(buf.readerIndex() + total); // Ethernet minimum-frame padding
        }
        packet.buf = buf;
        packet.sa = null;
        ctx.fireChannelRead(packet);
    }

    /**
     * Discards fragments held longer than the reassembly timeout. The data plane's timer calls it on the event
     * loop, so that held fragments expire (and are counted) when no further fragment arrives.
     */
    public void expire(long nowNanos) {
        if (reassembler != null) {
            reassembler.expire(nowNanos);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (reassembler != null) {
            reassembler.clear();
        }
    }
}
