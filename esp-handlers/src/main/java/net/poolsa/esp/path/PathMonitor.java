package net.poolsa.esp.path;

import java.util.List;
import java.util.function.Consumer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.pipeline.DataPathListener;
import net.poolsa.esp.pipeline.PathEvidence;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sad.SecurityAssociationDatabase;

/**
 * Path monitoring between dual-homed gateways (the paper's §3: the pool at the outer level). Each peer
 * outer address is alive while there is recent evidence from it: an authenticated inbound IPsec packet,
 * or a reply to the lightweight probe (an ICMP/ICMPv6 echo request sent every probe interval from the
 * local address on the same subnet). When the address an outbound SA uses has been silent for longer than
 * the dead interval, the SA switches to a live address of its remote pool: same SA, same SPI, same keys,
 * no IKE ({@link SecurityAssociation#setCurrentRemote}). It stays on the working address afterwards rather
 * than flapping back. IKE DPD (RFC 3706) can later feed the same evidence.
 *
 * <p>Confined to the data plane's event loop: evidence comes from its channels, {@link #tick} from its timer.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4555">RFC 4555 (MOBIKE) for the IKEv2 way of moving an SA</a>
 */
public final class PathMonitor implements PathEvidence {
    /** Identifier of our echo requests (RFC 792): replies with another identifier are not ours. */
    public static final int ECHO_ID = 0x5053;

    private final List<LocalAddress> locals;
    private final OuterAddress[] peers;
    private final long[] lastSeen;
    private final boolean[] alive;
    private final SecurityAssociationDatabase sad;
    private final Consumer<ByteBuf> probeSink;
    private final ByteBufAllocator alloc;
    private final DataPathListener listener;
    private final long deadAfterNanos;
    private int sequence;
    private long firstTick = Long.MIN_VALUE;
    private long probesSent;

    /**
     * @param locals    our uplink addresses (the local outer pool in use)
     * @param peers     the peer's outer addresses to monitor, in order of preference
     * @param probeSink where probes go (the emitter; the caller flushes)
     */
    public PathMonitor(List<LocalAddress> locals, List<OuterAddress> peers, SecurityAssociationDatabase sad,
                       Consumer<ByteBuf> probeSink, ByteBufAllocator alloc, DataPathListener listener, long deadAfterNanos) {
        this.locals = List.copyOf(locals);
        this.peers = peers.toArray(new OuterAddress[0]);
        this.lastSeen = new long[this.peers.length];
        this.alive = new boolean[this.peers.length];
        this.sad = sad;
        this.probeSink = probeSink;
        this.alloc = alloc;
        this.listener = listener;
        this.deadAfterNanos = deadAfterNanos;
    }

    public boolean isAlive(OuterAddress peer) {
        int i = indexOf(peer);
        return i >= 0 && alive[i];
    }

    public long probesSent() {
        return probesSent;
    }

    /** The local address to send from towards {@code peer}: the one on its subnet, else the first of its family. */
    public LocalAddress localFor(OuterAddress peer) {
        LocalAddress fallback = null;
        for (LocalAddress l : locals) {
            if (l.onLink(peer)) {
                return l;
            }
            if (fallback == null && l.address().v4() == peer.v4()) {
                fallback = l;
            }
        }
        return fallback;
    }

    /** Sends probes, ages the evidence and moves SAs off dead addresses. Called every probe interval. */
    public void tick(long nowNanos) {
        if (firstTick == Long.MIN_VALUE) {
            firstTick = nowNanos;
        }
        sequence = (sequence + 1) & 0xffff;
        for (int i = 0; i < peers.length; i++) {
            LocalAddress l = localFor(peers[i]);
            if (l != null) {
                probeSink.accept(echoRequest(l.address(), peers[i], sequence, nowNanos));
                probesSent++;
            }
            boolean now = lastSeen[i] != 0 && nowNanos - lastSeen[i] <= deadAfterNanos;
            if (now != alive[i]) {
                alive[i] = now;
                listener.pathStateChanged(peers[i], now);
            }
        }
        if (nowNanos - firstTick <= deadAfterNanos) {
            return; // at start nothing has answered yet: give the configured address a full dead interval
        }
        for (SecurityAssociation sa : sad.snapshot()) {
            if (sa.direction() == Direction.OUTBOUND && sa.usable()) {
                reroute(sa);
            }
        }
    }

    private void reroute(SecurityAssociation sa) {
        OuterAddress cur = sa.currentRemote();
        if (cur != null && isAlive(cur)) {
            return;
        }
        for (int i = 0; i < peers.length; i++) {
            if (alive[i] && peers[i].in(sa.remoteOuter()) && !peers[i].equals(cur)) {
                LocalAddress l = localFor(peers[i]);
                if (l != null && l.address().in(sa.localOuter())) {
                    sa.setCurrentLocal(l.address());
                }
                sa.setCurrentRemote(peers[i]);
                listener.outerAddressChanged(sa, cur, peers[i]);
                return;
            }
        }
    }

    private int indexOf(OuterAddress a) {
        for (int i = 0; i < peers.length; i++) {
            if (peers[i].equals(a)) {
                return i;
            }
        }
        return -1;
    }

    private void seen(int i, long nowNanos) {
        lastSeen[i] = nowNanos == 0 ? 1 : nowNanos;
        if (!alive[i]) {
            alive[i] = true; // recovery is immediate; death needs the dead interval
            listener.pathStateChanged(peers[i], true);
        }
    }

    @Override
    public void authenticatedFromV4(int remote, long nowNanos) {
        for (int i = 0; i < peers.length; i++) {
            if (peers[i].v4() && peers[i].v4Bits() == remote) {
                seen(i, nowNanos);
                return;
            }
        }
    }

    @Override
    public void authenticatedFromV6(long remoteHi, long remoteLo, long nowNanos) {
        for (int i = 0; i < peers.length; i++) {
            if (!peers[i].v4() && peers[i].v6Hi() == remoteHi && peers[i].v6Lo() == remoteLo) {
                seen(i, nowNanos);
                return;
            }
        }
    }

    @Override
    public boolean probeReply(IpPacketView v, ByteBuf packet, long nowNanos) {
        int at = v.transportOffset();
        int end = v.offset() + v.totalLength();
        if (at + 8 > end || v.isFragment()) {
            return false;
        }
        boolean reply = v.isV4() ? v.protocol() == IpPacketView.PROTO_ICMP && v.sourcePort() == 0
                : v.protocol() == IpPacketView.PROTO_ICMPV6 && v.sourcePort() == 129;
        if (!reply || packet.getUnsignedShort(at + 4) != ECHO_ID) {
            return false;
        }
        for (int i = 0; i < peers.length; i++) {
            OuterAddress p = peers[i];
            if (v.isV4() ? p.v4() && p.v4Bits() == v.v4Source()
                    : !p.v4() && p.v6Hi() == v.v6SourceHi() && p.v6Lo() == v.v6SourceLo()) {
                seen(i, nowNanos);
                return true;
            }
        }
        return false; // an echo reply with our identifier from an address we never probed: no evidence
    }

    /** An ICMP (RFC 792) or ICMPv6 (RFC 4443 §4.1) echo request from {@code src} to {@code dst}. */
    ByteBuf echoRequest(OuterAddress src, OuterAddress dst, int seq, long nowNanos) {
        ByteBuf b = alloc.directBuffer(src.v4() ? 36 : 56);
        if (src.v4()) {
            b.writeByte(0x45).writeByte(0).writeShort(36).writeShort(seq).writeShort(0x4000);
            b.writeByte(64).writeByte(IpPacketView.PROTO_ICMP).writeShort(0).writeInt(src.v4Bits()).writeInt(dst.v4Bits());
            Checksums.writeIpv4HeaderChecksum(b, 0);
            b.writeByte(8).writeByte(0).writeShort(0).writeShort(ECHO_ID).writeShort(seq).writeLong(nowNanos);
            b.setShort(22, Checksums.checksum(b, 20, 16));
        } else {
            b.writeInt(0x60000000).writeShort(16).writeByte(IpPacketView.PROTO_ICMPV6).writeByte(64);
            b.writeLong(src.v6Hi()).writeLong(src.v6Lo()).writeLong(dst.v6Hi()).writeLong(dst.v6Lo());
            b.writeByte(128).writeByte(0).writeShort(0).writeShort(ECHO_ID).writeShort(seq).writeLong(nowNanos);
            long pseudo = Checksums.ipv6PseudoHeader(b, 0, 16, IpPacketView.PROTO_ICMPV6);
            b.setShort(42, Checksums.fold(Checksums.sum(b, 40, 16, pseudo)));
        }
        return b;
    }
}
