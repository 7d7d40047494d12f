package net.poolsa.esp.path;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * Path evidence seen on an event loop that does not own the {@link PathMonitor}, handed to the loop that does
 * without a lock and without a task per packet. An authenticated packet is passed on at once when its SA's last
 * packet came over another pair of outer addresses ({@link SecurityAssociation#lastInboundOuter()}, recorded by the
 * unprotect stage right after this call): the peer moved, and the monitor must see it now. Otherwise it only proves
 * its path alive again, and a path is passed on at most once per interval (an eighth of the busy probe interval: 5 ms
 * with the default timers, against a 120 ms detection time), whatever number of SAs use it, so the hand-overs grow
 * with the paths, not with the packets or the SAs. Paths are kept in a small direct-mapped table; two paths that
 * share a slot only cost an extra hand-over. Probe replies (a few per second per path) are copied and handed over one
 * by one, since only the monitor knows its probe values; what it does not take is counted there as
 * {@link DropReason#UNSUPPORTED}, as on the owner's loop.
 *
 * <p>Confined to one event loop: each non-owner loop has its own relay.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc5880#section-6.8.4">RFC 5880 §6.8.4 (detection time)</a>
 */
public final class EvidenceRelay implements PathEvidence {
    /** Probe replies handed over and not yet taken at most: beyond, a flood of forged replies is dropped here. */
    static final int MAX_PENDING_REPLIES = 64;
    private static final int SLOTS = 64;

    private final PathEvidence owner;
    private final Executor ownerLoop;
    private final DropListener drops;
    private final long intervalNanos;
    private final boolean[] used = new boolean[SLOTS];
    private final long[] remoteHi = new long[SLOTS];
    private final long[] remoteLo = new long[SLOTS];
    private final long[] localHi = new long[SLOTS];
    private final long[] localLo = new long[SLOTS];
    private final long[] passedAt = new long[SLOTS];
    private final AtomicInteger pendingReplies = new AtomicInteger();
    private long passedOn;

    /**
     * @param owner     the monitor (or what stands for it), called on {@code ownerLoop} only
     * @param ownerLoop the event loop that owns it
     * @param drops     where probe replies the monitor does not take are counted
     * @param timers    the monitor's timers: a path is passed on at most once per eighth of its busy probe interval
     */
    public EvidenceRelay(PathEvidence owner, Executor ownerLoop, DropListener drops, PathTimers timers) {
        this.owner = owner;
        this.ownerLoop = ownerLoop;
        this.drops = drops;
        this.intervalNanos = timers.probeInterval().toNanos() / 8;
    }

    /** Evidence passed on to the owner so far (authenticated packets and probe replies). */
    public long passedOn() {
        return passedOn;
    }

    @Override
    public void authenticatedV4(SecurityAssociation sa, long sequence, int remote, int local, long nowNanos) {
        boolean moved = !sa.lastInboundOuter().holdsV4(remote, local);
        if (due(moved, 0, remote & 0xFFFF_FFFFL, 0, local & 0xFFFF_FFFFL, nowNanos)) {
            ownerLoop.execute(() -> owner.authenticatedV4(sa, sequence, remote, local, nowNanos));
        }
    }

    @Override
    public void authenticatedV6(SecurityAssociation sa, long sequence, long remoteHi, long remoteLo, long localHi,
                                long localLo, long nowNanos) {
        boolean moved = !sa.lastInboundOuter().holdsV6(remoteHi, remoteLo, localHi, localLo);
        // IPv6 addresses never have the all-zero upper half that marks an IPv4 pair in the slots.
        if (due(moved, remoteHi, remoteLo, localHi, localLo, nowNanos)) {
            ownerLoop.execute(() -> owner.authenticatedV6(sa, sequence, remoteHi, remoteLo, localHi, localLo, nowNanos));
        }
    }

    /** True when this evidence is to be passed on now (and records that it is). */
    private boolean due(boolean saMoved, long rHi, long rLo, long lHi, long lLo, long nowNanos) {
        int h = Long.hashCode(rHi ^ rLo) * 31 + Long.hashCode(lHi ^ lLo);
        int i = (h ^ h >>> 16) & (SLOTS - 1);
        if (!saMoved && used[i] && remoteHi[i] == rHi && remoteLo[i] == rLo && localHi[i] == lHi && localLo[i] == lLo
                && nowNanos - passedAt[i] < intervalNanos) {
            return false;
        }
        used[i] = true;
        remoteHi[i] = rHi;
        remoteLo[i] = rLo;
        localHi[i] = lHi;
        localLo[i] = lLo;
        passedAt[i] = nowNanos;
        passedOn++;
        return true;
    }

    @Override
    public void confirmed(OuterAddress local, OuterAddress remote, long nowNanos) {
        ownerLoop.execute(() -> owner.confirmed(local, remote, nowNanos));
    }

    /**
     * Takes an ICMP/ICMPv6 echo reply with the monitor's identifier: a copy goes to the owner, which checks its probe
     * value. Anything else is left to the caller (false), as the monitor would leave it.
     */
    @Override
    public boolean probeReply(IpPacketView v, ByteBuf packet, long nowNanos) {
        if (!PathMonitor.echoReplyWithOurId(v, packet)) {
            return false;
        }
        if (pendingReplies.incrementAndGet() > MAX_PENDING_REPLIES) {
            pendingReplies.decrementAndGet();
            return false;
        }
        ByteBuf copy = Unpooled.copiedBuffer(packet.slice(v.offset(), v.totalLength()));
        passedOn++;
        ownerLoop.execute(() -> {
            pendingReplies.decrementAndGet();
            try {
                IpPacketView view = new IpPacketView();
                if (view.decode(copy) != null || !owner.probeReply(view, copy, nowNanos)) {
                    drops.dropped(DropReason.UNSUPPORTED, null);
                }
            } finally {
                copy.release();
            }
        });
        return true;
    }
}
