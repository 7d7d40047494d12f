package net.poolsa.esp.path;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

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
 * <p><b>Replies cannot be forged off-path.</b> Each probe carries, as its 8 data bytes, a fresh value from a
 * {@link SecureRandom}; an echo reply (which returns the data unchanged, RFC 792 / RFC 4443 §4.2) counts only
 * when it comes from the address that probe went to, is addressed to the address it left from, returns the
 * value of one of that peer's last {@link #OUTSTANDING} probes, and that value was not answered before. So
 * an attacker who cannot see the probes cannot keep a dead uplink in use, and a captured reply cannot be
 * replayed. (The identifier {@link #ECHO_ID} only tells our replies from those to other pings.)
 *
 * <p>Confined to the data plane's event loop: evidence comes from its channels, {@link #tick} from its timer,
 * and a reload's {@link #setPeers} and {@link #pointNewSas} are run on it. The reply path allocates nothing.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4555">RFC 4555 (MOBIKE) for the IKEv2 way of moving an SA</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc792">RFC 792 (echo)</a>
 */
public final class PathMonitor implements PathEvidence {
    /** Identifier of our echo requests (RFC 792): replies with another identifier are not ours. */
    public static final int ECHO_ID = 0x5053;
    /** Probes per peer whose reply is still taken: a reply may trail its probe by up to this many intervals. */
    public static final int OUTSTANDING = 4;
    private static final long NEVER = Long.MIN_VALUE;

    /** One monitored peer address and the values of its outstanding probes. */
    private static final class Peer {
        final OuterAddress address;
        final long[] tokens = new long[OUTSTANDING]; // 0: no probe outstanding in this slot (or answered)
        final int[] sequences = new int[OUTSTANDING];
        LocalAddress from; // where its probes leave from; replies must be addressed there
        long lastSeen;
        boolean alive;
        long watchedSince = NEVER; // an address gets one dead interval of grace from when it is first probed

        Peer(OuterAddress address) {
            this.address = address;
        }

        boolean isSource(IpPacketView v) {
            return v.isV4() ? address.v4() && address.v4Bits() == v.v4Source()
                    : !address.v4() && address.v6Hi() == v.v6SourceHi() && address.v6Lo() == v.v6SourceLo();
        }

        boolean sentTo(IpPacketView v) {
            OuterAddress a = from == null ? null : from.address();
            return a != null && (v.isV4() ? a.v4() && a.v4Bits() == v.v4Destination()
                    : !a.v4() && a.v6Hi() == v.v6DestinationHi() && a.v6Lo() == v.v6DestinationLo());
        }
    }

    private final List<LocalAddress> locals;
    private final SecurityAssociationDatabase sad;
    private final Consumer<ByteBuf> probeSink;
    private final ByteBufAllocator alloc;
    private final DataPathListener listener;
    private final long deadAfterNanos;
    private final RandomGenerator random;
    private Peer[] peers;
    private int sequence;
    private long probesSent;

    /**
     * @param locals    our uplink addresses (the local outer pool in use)
     * @param peers     the peer's outer addresses to monitor, in order of preference
     * @param probeSink where probes go (the emitter; the caller flushes)
     */
    public PathMonitor(List<LocalAddress> locals, List<OuterAddress> peers, SecurityAssociationDatabase sad,
                       Consumer<ByteBuf> probeSink, ByteBufAllocator alloc, DataPathListener listener, long deadAfterNanos) {
        this(locals, peers, sad, probeSink, alloc, listener, deadAfterNanos, new SecureRandom());
    }

    /** @param random source of the probe values; a {@link SecureRandom} outside tests */
    public PathMonitor(List<LocalAddress> locals, List<OuterAddress> peers, SecurityAssociationDatabase sad,
                       Consumer<ByteBuf> probeSink, ByteBufAllocator alloc, DataPathListener listener, long deadAfterNanos,
                       RandomGenerator random) {
        this.locals = List.copyOf(locals);
        this.sad = sad;
        this.probeSink = probeSink;
        this.alloc = alloc;
        this.listener = listener;
        this.deadAfterNanos = deadAfterNanos;
        this.random = random;
        this.peers = new Peer[0];
        setPeers(peers);
    }

    /**
     * Replaces the monitored addresses (a reload added or removed connections). Addresses kept keep their
     * evidence and outstanding probes; new ones start unknown, with a dead interval of grace from their first probe.
     */
    public void setPeers(List<OuterAddress> addresses) {
        List<Peer> next = new ArrayList<>(addresses.size());
        for (OuterAddress a : addresses) {
            if (next.stream().anyMatch(q -> q.address.equals(a))) {
                continue;
            }
            Peer p = find(a);
            if (p == null) {
                p = new Peer(a);
                p.from = localFor(a);
            }
            next.add(p);
        }
        peers = next.toArray(new Peer[0]);
    }

    /** The monitored addresses, in order of preference. */
    public List<OuterAddress> peers() {
        List<OuterAddress> out = new ArrayList<>(peers.length);
        for (Peer p : peers) {
            out.add(p.address);
        }
        return out;
    }

    public boolean isAlive(OuterAddress peer) {
        Peer p = find(peer);
        return p != null && p.alive;
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
        sequence = (sequence + 1) & 0xffff;
        int slot = sequence % OUTSTANDING;
        for (Peer p : peers) {
            if (p.watchedSince == NEVER) {
                p.watchedSince = nowNanos;
            }
            p.tokens[slot] = 0;
            if (p.from != null) {
                long token = nextToken();
                p.tokens[slot] = token;
                p.sequences[slot] = sequence;
                probeSink.accept(echoRequest(p.from.address(), p.address, sequence, token));
                probesSent++;
            }
            boolean now = p.lastSeen != 0 && nowNanos - p.lastSeen <= deadAfterNanos;
            if (now != p.alive) {
                p.alive = now;
                listener.pathStateChanged(p.address, now);
            }
        }
        for (SecurityAssociation sa : sad.snapshot()) {
            if (sa.direction() == Direction.OUTBOUND && sa.usable()) {
                reroute(sa, nowNanos);
            }
        }
    }

    /**
     * Gives every outbound SA that has no outer destination yet (installed at start or by a reload) its first
     * one: a live monitored address of its remote pool, else the first monitored one, with the local address on
     * that address's link. Without it such an SA drops every packet as NO_SA.
     */
    public void pointNewSas() {
        for (SecurityAssociation sa : sad.snapshot()) {
            if (sa.direction() == Direction.OUTBOUND && sa.currentRemote() == null) {
                Peer p = choose(sa, null);
                if (p == null) {
                    p = firstIn(sa);
                }
                if (p != null) {
                    point(sa, p);
                }
            }
        }
    }

    private long nextToken() {
        long t;
        do {
            t = random.nextLong();
        } while (t == 0); // 0 marks a free slot
        return t;
    }

    private void reroute(SecurityAssociation sa, long nowNanos) {
        OuterAddress cur = sa.currentRemote();
        if (cur == null) {
            Peer p = choose(sa, null);
            if (p == null) {
                p = firstIn(sa);
            }
            if (p != null) {
                point(sa, p);
            }
            return;
        }
        Peer c = find(cur);
        if (c != null && (c.alive || nowNanos - c.watchedSince <= deadAfterNanos)) {
            return; // alive, or nothing could have answered yet: give it a full dead interval
        }
        Peer next = choose(sa, cur);
        if (next != null) {
            point(sa, next);
            listener.outerAddressChanged(sa, cur, next.address);
        }
    }

    /** The first live monitored address of the SA's remote pool other than {@code not}. */
    private Peer choose(SecurityAssociation sa, OuterAddress not) {
        for (Peer p : peers) {
            if (p.alive && p.address.in(sa.remoteOuter()) && !p.address.equals(not)) {
                return p;
            }
        }
        return null;
    }

    private Peer firstIn(SecurityAssociation sa) {
        for (Peer p : peers) {
            if (p.address.in(sa.remoteOuter())) {
                return p;
            }
        }
        return null;
    }

    private static void point(SecurityAssociation sa, Peer p) {
        if (p.from != null && p.from.address().in(sa.localOuter())) {
            sa.setCurrentLocal(p.from.address());
        }
        sa.setCurrentRemote(p.address);
    }

    private Peer find(OuterAddress a) {
        for (Peer p : peers) {
            if (p.address.equals(a)) {
                return p;
            }
        }
        return null;
    }

    private void seen(Peer p, long nowNanos) {
        p.lastSeen = nowNanos == 0 ? 1 : nowNanos;
        if (!p.alive) {
            p.alive = true; // recovery is immediate; death needs the dead interval
            listener.pathStateChanged(p.address, true);
        }
    }

    @Override
    public void authenticatedFromV4(int remote, long nowNanos) {
        for (Peer p : peers) {
            if (p.address.v4() && p.address.v4Bits() == remote) {
                seen(p, nowNanos);
                return;
            }
        }
    }

    @Override
    public void authenticatedFromV6(long remoteHi, long remoteLo, long nowNanos) {
        for (Peer p : peers) {
            if (!p.address.v4() && p.address.v6Hi() == remoteHi && p.address.v6Lo() == remoteLo) {
                seen(p, nowNanos);
                return;
            }
        }
    }

    @Override
    public boolean probeReply(IpPacketView v, ByteBuf packet, long nowNanos) {
        int at = v.transportOffset();
        int end = v.offset() + v.totalLength();
        if (at + 16 > end || v.isFragment()) {
            return false;
        }
        boolean reply = v.isV4() ? v.protocol() == IpPacketView.PROTO_ICMP && v.sourcePort() == 0 && v.destinationPort() == 0
                : v.protocol() == IpPacketView.PROTO_ICMPV6 && v.sourcePort() == 129 && v.destinationPort() == 0;
        if (!reply || packet.getUnsignedShort(at + 4) != ECHO_ID) {
            return false;
        }
        int seq = packet.getUnsignedShort(at + 6);
        long token = packet.getLong(at + 8);
        if (token == 0) {
            return false;
        }
        for (Peer p : peers) {
            if (!p.isSource(v)) {
                continue;
            }
            if (!p.sentTo(v)) {
                return false; // our value, but not on the path it was sent over
            }
            for (int i = 0; i < OUTSTANDING; i++) {
                if (p.tokens[i] == token && p.sequences[i] == seq) {
                    p.tokens[i] = 0; // a value counts once: a replayed reply is no evidence
                    seen(p, nowNanos);
                    return true;
                }
            }
            return false;
        }
        return false; // an echo reply with our identifier from an address we never probed: no evidence
    }

    /** An ICMP (RFC 792) or ICMPv6 (RFC 4443 §4.1) echo request from {@code src} to {@code dst}, {@code data} as payload. */
    ByteBuf echoRequest(OuterAddress src, OuterAddress dst, int seq, long data) {
        ByteBuf b = alloc.directBuffer(src.v4() ? 36 : 56);
        if (src.v4()) {
            b.writeByte(0x45).writeByte(0).writeShort(36).writeShort(seq).writeShort(0x4000);
            b.writeByte(64).writeByte(IpPacketView.PROTO_ICMP).writeShort(0).writeInt(src.v4Bits()).writeInt(dst.v4Bits());
            Checksums.writeIpv4HeaderChecksum(b, 0);
            b.writeByte(8).writeByte(0).writeShort(0).writeShort(ECHO_ID).writeShort(seq).writeLong(data);
            b.setShort(22, Checksums.checksum(b, 20, 16));
        } else {
            b.writeInt(0x60000000).writeShort(16).writeByte(IpPacketView.PROTO_ICMPV6).writeByte(64);
            b.writeLong(src.v6Hi()).writeLong(src.v6Lo()).writeLong(dst.v6Hi()).writeLong(dst.v6Lo());
            b.writeByte(128).writeByte(0).writeShort(0).writeShort(ECHO_ID).writeShort(seq).writeLong(data);
            long pseudo = Checksums.ipv6PseudoHeader(b, 0, 16, IpPacketView.PROTO_ICMPV6);
            b.setShort(42, Checksums.fold(Checksums.sum(b, 40, 16, pseudo)));
        }
        return b;
    }
}
