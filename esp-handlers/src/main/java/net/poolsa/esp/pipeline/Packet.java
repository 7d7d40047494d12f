package net.poolsa.esp.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * What travels between the stages of one channel: the packet buffer, its decoded view and the SA chosen
 * for it. The decoder owns one instance per channel and reuses it for every packet (handlers are called
 * synchronously and must not keep it), so the hot path allocates no message objects.
 * Reference counting delegates to the buffer, so Netty's tail handler releases a packet nobody consumed.
 */
public final class Packet implements ReferenceCounted {
    ByteBuf buf;
    final IpPacketView view = new IpPacketView();
    SecurityAssociation sa;

    public ByteBuf buf() {
        return buf;
    }

    public IpPacketView view() {
        return view;
    }

    public SecurityAssociation sa() {
        return sa;
    }

    /** Gives up the buffer (the caller now owns it) and clears the carrier. */
    ByteBuf take() {
        ByteBuf b = buf;
        buf = null;
        sa = null;
        return b;
    }

    /** Releases the buffer (a drop) and clears the carrier. */
    void drop() {
        ByteBuf b = take();
        if (b != null) {
            b.release();
        }
    }

    @Override
    public int refCnt() {
        return buf == null ? 0 : buf.refCnt();
    }

    @Override
    public Packet retain() {
        buf.retain();
        return this;
    }

    @Override
    public Packet retain(int increment) {
        buf.retain(increment);
        return this;
    }

    @Override
    public Packet touch() {
        buf.touch();
        return this;
    }

    @Override
    public Packet touch(Object hint) {
        buf.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        ByteBuf b = take();
        return b != null && b.release();
    }

    @Override
    public boolean release(int decrement) {
        ByteBuf b = take();
        return b != null && b.release(decrement);
    }
}
