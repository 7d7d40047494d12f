package net.poolsa.esp.pipeline;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * One loop's end of the {@link LoopHandOff}, between the policy and the protect stage of its cleartext pipeline. A
 * packet whose SA this loop owns goes on at once; any other is queued in the lane to its owner, and the end of the
 * read batch publishes every lane it filled and wakes each owner once. As the owner, the stage runs the packets other
 * loops handed it through its own protect and emit stages, then flushes them as one batch.
 */
public final class HandOffStage extends ChannelInboundHandlerAdapter {
    private final LoopHandOff handOff;
    private final int loop;
    private final DataPathListener listener;
    private final Packet incoming = new Packet(); // reused for every handed packet, as the decoder's is
    private final AtomicBoolean wakeUpPending = new AtomicBoolean();
    private final Runnable drain = this::drain;
    private ChannelHandlerContext ctx;
    private boolean queued; // a lane holds unpublished packets
    private long handed; // this loop only
    private long lost; // this loop only
    private volatile long handedSeen; // for other threads, written once per batch
    private volatile long lostSeen;
    private volatile long wakeUps; // written by producers' loops under the wake-up flag only

    HandOffStage(LoopHandOff handOff, int loop, DataPathListener listener) {
        this.handOff = handOff;
        this.loop = loop;
        this.listener = listener == null ? DataPathListener.NONE : listener;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (this.ctx != null) {
            throw new IllegalStateException("the hand-off stage of loop " + loop + " is already in a pipeline");
        }
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Packet p) || p.sa == null) {
            ctx.fireChannelRead(msg);
            return;
        }
        int owner = handOff.owner(p.sa);
        if (owner == loop) {
            ctx.fireChannelRead(p);
            return;
        }
        SecurityAssociation sa = p.sa;
        ByteBuf buf = p.take();
        if (handOff.lane(loop, owner).offer(buf, sa)) {
            handed++;
            queued = true;
        } else {
            buf.release();
            lost++;
            listener.dropped(DropReason.OVERLOAD, sa); // the owner is behind by a full lane: never wait for it
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (queued) {
            queued = false;
            for (int to = 0; to < handOff.loops(); to++) {
                if (to != loop && handOff.lane(loop, to).publish()) {
                    handOff.stage(to).wakeUp();
                }
            }
        }
        handedSeen = handed;
        lostSeen = lost;
        ctx.fireChannelReadComplete(); // protect and emit flush this loop's own packets
    }

    /** Any thread, after publishing a lane to this loop: one task unless one is pending and has not started. */
    private void wakeUp() {
        ChannelHandlerContext c = ctx;
        if (c != null && wakeUpPending.compareAndSet(false, true)) {
            wakeUps++; // under the flag: one writer at a time
            try {
                c.executor().execute(drain);
            } catch (RejectedExecutionException stopping) {
                // The owner's loop is shutting down: what is queued is released with the hand-off (releaseAll).
            }
        }
    }

    /** On this loop: every published packet of every lane to it, through protect and emit, then one flush. */
    private void drain() {
        // Cleared before the lanes are read: a lane published after this read of its tail wakes us again.
        wakeUpPending.set(false);
        int n = 0;
        for (int from = 0; from < handOff.loops(); from++) {
            if (from != loop) {
                n += handOff.lane(from, loop).drainTo(this);
            }
        }
        if (n > 0 && !ctx.isRemoved()) {
            ctx.fireChannelReadComplete();
        }
    }

    /** On this loop, from a lane: the packet goes to protect as if this loop had captured it. */
    void deliver(ByteBuf buf, SecurityAssociation sa) {
        if (ctx.isRemoved()) {
            buf.release(); // the channel is closing: nothing is sent any more
            return;
        }
        DropReason bad = incoming.view.decode(buf); // decoded by the capturing loop already: cannot fail
        if (bad != null) {
            buf.release();
            listener.dropped(bad, sa);
            return;
        }
        incoming.buf = buf;
        incoming.sa = sa;
        ctx.fireChannelRead(incoming);
    }

    long handedOff() {
        return handedSeen;
    }

    long dropped() {
        return lostSeen;
    }

    long wakeUps() {
        return wakeUps;
    }
}
