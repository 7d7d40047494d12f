package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.replay.ReplayWindow;
import net.poolsa.esp.replay.SequenceNumbers;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.event.RateLimitedLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPsec transforms of one event-loop thread: ESP (RFC 4303) and AH (RFC 4302), tunnel and transport mode,
 * ESP optionally in UDP (RFC 3948). Pure functions of (SA, packet) plus the per-SA state in
 * {@link SaTransformContext}; every failure is reported to the {@link DropListener} and answered with null,
 * no exception escapes, and the caller's buffer is never released.
 *
 * <p><b>Bundles</b> (the paper's AH+ESP): the ESP SA is applied first (tunnel or transport), then an AH SA in
 * transport mode over the resulting outer packet, giving {@code | IP | AH | ESP | ... |} (RFC 4301 §4.5,
 * transport adjacency); inbound the AH SA is removed first, then the ESP SA. When {@link #unprotect} returns a
 * packet that is again ESP or AH ({@link #spiOf} != 0), the caller looks the next SA up and calls it again;
 * {@link SaBundle} does both steps for a known pair.
 *
 * <p>Not thread-safe: one instance per thread. SAs may be shared between processors.
 */
public final class IpsecProcessor {
    private static final AtomicInteger NEXT_INDEX = new AtomicInteger();
    private static final Logger LOG = LoggerFactory.getLogger(IpsecProcessor.class);
    private static final int CAUSE_UNUSABLE_SA = 0;
    private static final int CAUSE_FAILED = 1;
    private static final int CAUSE_ECN = 2;
    static final int CAUSES = 3;
    /** ECN codepoint names for log lines, by value. */
    private static final String[] ECN_NAMES = {"not-ect", "ect1", "ect0", "ce"};
    /** ECN codepoints (RFC 3168 §5). */
    static final int NOT_ECT = 0;
    static final int ECT_1 = 1;
    static final int ECT_0 = 2;
    static final int CE = 3;
    /** {@link #EGRESS} entry: drop the packet. */
    private static final int DROP = -1;
    /**
     * RFC 6040 §4.2 Figure 4, indexed [inner * 4 + outer] by codepoint value: the ECN field the decapsulated
     * packet leaves with.
     */
    private static final int[] EGRESS = {
        // outer: Not-ECT  ECT(1)   ECT(0)   CE
        NOT_ECT, NOT_ECT, NOT_ECT, DROP, // inner Not-ECT: never propagate anything else; CE must become a drop
        ECT_1, ECT_1, ECT_1, CE,         // inner ECT(1)
        ECT_0, ECT_1, ECT_0, CE,         // inner ECT(0): ECT(1) outside is propagated
        CE, CE, CE, CE,                  // inner CE
    };

    final ByteBufAllocator alloc;
    final int index;
    final SecureRandom random;
    final IpPacket inner = new IpPacket();
    final IpPacket outer = new IpPacket();
    /** Copy of a header for AH's mutable-field zeroing; IPv6 headers with longer chains are refused. */
    final byte[] headerScratch = new byte[512];
    OuterAddress outSrc;
    OuterAddress outDst;
    long lastSeq;
    private final DropListener listener;
    /** Per-packet causes: one line per cause every ten seconds, with what was suppressed (count, first/last SPI). */
    private final RateLimitedLog rate;
    private final EspTransform esp = new EspTransform(this);
    private final AhTransform ah = new AhTransform(this);
    private int ipId;

    public IpsecProcessor(ByteBufAllocator alloc, DropListener listener) {
        this(alloc, listener, RateLimitedLog.perTenSeconds(CAUSES));
    }

    /** @param rate budget of the per-packet log lines, {@link #CAUSES} causes */
    IpsecProcessor(ByteBufAllocator alloc, DropListener listener, RateLimitedLog rate) {
        this.rate = Objects.requireNonNull(rate, "rate");
        this.alloc = Objects.requireNonNull(alloc, "alloc");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.index = NEXT_INDEX.getAndIncrement();
        SecureRandom r;
        try {
            // A DRBG of our own: no lock shared with other threads, unlike the NativePRNG singleton.
            r = SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            r = new SecureRandom();
        }
        this.random = r;
        this.ipId = random.nextInt();
    }

    /**
     * Outbound. {@code inner} = one complete cleartext IP packet (IPv4 or IPv6) in its readable bytes. Tunnel
     * mode: the whole packet is encapsulated under a new outer IP header src=outerSrc dst=outerDst (when null,
     * the SA's current local/remote address). Transport mode: the packet's own header is kept (outerSrc/outerDst
     * must equal its addresses, may be null). If sa.udpEncapsulation()!=null, ESP goes inside UDP (RFC 3948).
     *
     * @return the complete outer IP packet in a new buffer the caller owns, or null after reporting a
     *         {@link DropReason} (e.g. SEQUENCE_EXHAUSTED, SA_EXPIRED, POOL_MISMATCH, TOO_BIG). Never releases {@code inner}.
     */
    public ByteBuf protect(SecurityAssociation sa, ByteBuf inner, OuterAddress outerSrc, OuterAddress outerDst) {
        if (sa == null || inner == null) {
            return drop(DropReason.NO_SA, sa);
        }
        try {
            SaTransformContext ctx = usableContext(sa);
            if (ctx == null) {
                return null;
            }
            ByteBuf out = sa.protocol() == IpsecProtocol.ESP ? esp.protect(sa, ctx, inner, outerSrc, outerDst)
                    : ah.protect(sa, ctx, inner, outerSrc, outerDst);
            if (out != null && ctx.closed()) {
                // Killed by the control plane while sealing: close() marks the context closed before it wipes
                // the keys and re-initialises the ciphers, so a packet that may have been sealed with a wiped
                // key shows as closed here and never leaves (KillDuringSealTest places the kill mid-seal).
                out.release();
                return drop(DropReason.SA_EXPIRED, sa);
            }
            return out;
        } catch (GeneralSecurityException | RuntimeException e) {
            return failed(sa, e);
        }
    }

    /**
     * Inbound. {@code outer} = one complete IP packet carrying ESP, AH, or UDP/4500-encapsulated ESP, whose SA the
     * caller found by SPI and pool check. Verifies the ICV, anti-replay (checked before, advanced only after the
     * ICV), padding, then the inner packet against sa.selector() (RFC 4301 §5.2).
     *
     * @return the inner IP packet (tunnel) or the reconstructed IP packet (transport) in a buffer the caller
     *         owns, or null after reporting a {@link DropReason}. Never releases {@code outer}.
     */
    public ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer) {
        if (sa == null || outer == null) {
            return drop(DropReason.UNKNOWN_SPI, sa);
        }
        try {
            SaTransformContext ctx = usableContext(sa);
            if (ctx == null) {
                return null;
            }
            return sa.protocol() == IpsecProtocol.ESP ? esp.unprotect(sa, ctx, outer) : ah.unprotect(sa, ctx, outer);
        } catch (GeneralSecurityException | RuntimeException e) {
            return failed(sa, e);
        }
    }

    /**
     * Reads the SPI of an ESP/AH/UDP-encapsulated packet without allocating.
     *
     * @return the SPI, or 0 when the packet is not IPsec, is malformed, is IKE on port 4500 (non-ESP marker), a
     *         NAT-keepalive, or a non-first fragment
     */
    public static int spiOf(ByteBuf outerIpPacket) {
        ByteBuf b = outerIpPacket;
        int s = b.readerIndex();
        int n = b.readableBytes();
        if (n < 20) {
            return 0;
        }
        int version = b.getUnsignedByte(s) >>> 4;
        int off;
        int end;
        int proto;
        if (version == 4) {
            int ihl = (b.getUnsignedByte(s) & 0x0F) * 4;
            int total = b.getUnsignedShort(s + 2);
            if (ihl < 20 || total < ihl || total > n || (b.getUnsignedShort(s + 6) & 0x1FFF) != 0) {
                return 0;
            }
            proto = b.getUnsignedByte(s + 9);
            off = s + ihl;
            end = s + total;
        } else if (version == 6) {
            if (n < 40) {
                return 0;
            }
            end = s + 40 + b.getUnsignedShort(s + 4);
            if (end > s + n) {
                return 0;
            }
            proto = b.getUnsignedByte(s + 6);
            off = s + 40;
            for (int i = 0; proto == IpPacket.PROTO_HOPOPT || proto == IpPacket.PROTO_ROUTING || proto == IpPacket.PROTO_DSTOPTS; i++) {
                if (i >= IpPacket.MAX_EXTENSION_HEADERS || off + 8 > end) {
                    return 0;
                }
                proto = b.getUnsignedByte(off);
                off += (b.getUnsignedByte(off + 1) + 1) * 8;
            }
        } else {
            return 0;
        }
        if (proto == IpPacket.PROTO_ESP) {
            return end - off >= 8 ? b.getInt(off) : 0;
        }
        if (proto == IpPacket.PROTO_AH) {
            return end - off >= 12 ? b.getInt(off + 4) : 0;
        }
        if (proto == IpPacket.PROTO_UDP && end - off >= IpHeaders.UDP_LENGTH) {
            int sport = b.getUnsignedShort(off);
            int dport = b.getUnsignedShort(off + 2);
            if (sport != NatTraversal.PORT && dport != NatTraversal.PORT) {
                return 0;
            }
            off += IpHeaders.UDP_LENGTH;
            return NatTraversal.classify(b, off, end - off) == NatTraversal.ESP ? b.getInt(off) : 0;
        }
        return 0;
    }

    private SaTransformContext usableContext(SecurityAssociation sa) {
        if (!sa.usable() || sa.keys().isDestroyed()) {
            return drop(DropReason.SA_EXPIRED, sa);
        }
        SaTransformContext ctx;
        try {
            ctx = SaTransformContext.of(sa);
        } catch (GeneralSecurityException e) {
            RateLimitedLog.Suppressed suppressed = rate.admit(CAUSE_UNUSABLE_SA, RateLimitedLog.spiKey(sa.spi()));
            if (suppressed != null) {
                LOG.warn("event=sa_unusable spi={} cause=\"{}\"{}", sa.spiHex(), e.getMessage(), suppressed.describeSpis());
            }
            return drop(DropReason.UNSUPPORTED, sa);
        }
        if (ctx.closed()) {
            return drop(DropReason.SA_EXPIRED, sa);
        }
        return ctx;
    }

    private ByteBuf failed(SecurityAssociation sa, Exception e) {
        if (sa.keys().isDestroyed() || !sa.usable()) {
            // Killed while this packet was in flight: whatever the wiped cipher threw is the kill's doing.
            return drop(DropReason.SA_EXPIRED, sa);
        }
        // A provider failure or a length this code failed to check: both are bugs to see, but never per packet.
        RateLimitedLog.Suppressed suppressed = rate.admit(CAUSE_FAILED, RateLimitedLog.spiKey(sa.spi()));
        if (suppressed != null) {
            LOG.warn("event=transform_failed spi={} cause=\"{}\"{}", sa.spiHex(), e, suppressed.describeSpis());
        }
        return drop(e instanceof GeneralSecurityException ? DropReason.UNSUPPORTED : DropReason.MALFORMED_IP, sa);
    }

    <T> T drop(DropReason reason, SecurityAssociation sa) {
        listener.dropped(reason, sa);
        return null;
    }

    /** Picks and checks the outer addresses into {@link #outSrc}/{@link #outDst}; null when acceptable. */
    DropReason resolveOuter(SecurityAssociation sa, IpPacket in, OuterAddress src, OuterAddress dst) {
        if (sa.mode() == SaMode.TUNNEL) {
            OuterAddress d = dst != null ? dst : sa.currentRemote();
            OuterAddress sr = src != null ? src : sa.currentLocal();
            if (d == null || sr == null || d.v4() != sr.v4() || !d.in(sa.remoteOuter()) || !sr.in(sa.localOuter())) {
                return DropReason.POOL_MISMATCH;
            }
            outSrc = sr;
            outDst = d;
            return null;
        }
        boolean match;
        if (in.v4()) {
            match = sa.localOuter().containsV4(in.src4) && sa.remoteOuter().containsV4(in.dst4)
                    && (src == null || (src.v4() && src.v4Bits() == in.src4))
                    && (dst == null || (dst.v4() && dst.v4Bits() == in.dst4));
        } else {
            match = sa.localOuter().containsV6(in.srcHi, in.srcLo) && sa.remoteOuter().containsV6(in.dstHi, in.dstLo)
                    && (src == null || (!src.v4() && src.v6Hi() == in.srcHi && src.v6Lo() == in.srcLo))
                    && (dst == null || (!dst.v4() && dst.v6Hi() == in.dstHi && dst.v6Lo() == in.dstLo));
        }
        if (!match) {
            return DropReason.POOL_MISMATCH;
        }
        if (in.fragment) {
            return DropReason.UNSUPPORTED; // transport mode protects whole packets; fragmentation comes after (RFC 4303 §3.3.4)
        }
        return null;
    }

    /**
     * Writes a tunnel header from {@link #outSrc} to {@link #outDst}. The inner DSCP/ECN byte is copied (RFC 4301
     * §5.1.2.1, RFC 6040 normal mode), DF follows an IPv4 inner packet.
     */
    void writeOuter(ByteBuf out, IpPacket in, int total, int proto) {
        if (outDst.v4()) {
            IpHeaders.writeV4(out, in.tos, total, ipId++ & 0xFFFF, in.v4() && in.dontFragment, proto, outSrc.v4Bits(), outDst.v4Bits());
        } else {
            IpHeaders.writeV6(out, in.tos, total - IpHeaders.V6_LENGTH, proto, outSrc, outDst);
        }
    }

    /** Anti-replay check before the ICV; leaves the full (ESN-inferred) sequence number in {@link #lastSeq}. */
    DropReason replayCheck(SaTransformContext ctx, ReplayWindow w, int seqLow) {
        long seq = ctx.esn() ? SequenceNumbers.inferEsn(seqLow, w.top(), w.size()) : seqLow & SequenceNumbers.MAX_32;
        lastSeq = seq;
        if (!ctx.replayCheck()) {
            return null;
        }
        if (seq == 0) {
            return DropReason.TOO_OLD; // RFC 4303 §3.3.3: the first packet carries 1, so 0 was never sent
        }
        return replayReason(w.check(seq));
    }

    /** Records the sequence number after the ICV verified. */
    DropReason replayUpdate(SaTransformContext ctx, ReplayWindow w, long seq) {
        int r = w.update(seq);
        return ctx.replayCheck() ? replayReason(r) : null;
    }

    private static DropReason replayReason(int r) {
        return r == ReplayWindow.OK ? null : r == ReplayWindow.REPLAYED ? DropReason.REPLAYED : DropReason.TOO_OLD;
    }

    /** Tunnel mode: the decrypted payload must be exactly one IP packet of the kind the next header names (plus TFC padding). */
    DropReason finishTunnel(ByteBuf buf, int start, int length, int nextHeader) {
        if (nextHeader != IpPacket.PROTO_IPV4 && nextHeader != IpPacket.PROTO_IPV6) {
            return DropReason.UNSUPPORTED;
        }
        DropReason r = inner.parse(buf, start, length, IpPacket.Walk.SELECTOR);
        if (r != null) {
            return r;
        }
        if ((nextHeader == IpPacket.PROTO_IPV4) != inner.v4()) {
            return DropReason.MALFORMED_IP;
        }
        buf.writerIndex(start + inner.totalLength); // RFC 4303 §2.7: bytes after the inner packet are TFC padding
        return null;
    }

    /** Transport mode: the kept outer header (already at index 0 of buf) gets the inner protocol and the new length. */
    DropReason finishTransport(ByteBuf buf, int nextHeader) {
        IpHeaders.patch(buf, 0, outer.version, outer.baseLength, outer.protocolIndex - outer.start, nextHeader, buf.writerIndex());
        return inner.parse(buf, 0, buf.readableBytes(), IpPacket.Walk.SELECTOR);
    }

    /**
     * The decapsulated packet in {@code buf} (parsed into {@link #inner}) is checked against the SA's selectors and
     * counted ({@link #checkSelectorAndAccount}); in tunnel mode its ECN field then combines the outer one (still in
     * {@link #outer}) per RFC 6040 §4.2 ({@link #egressEcn}).
     */
    DropReason admitInner(SecurityAssociation sa, ByteBuf buf, boolean tunnel) {
        DropReason r = checkSelectorAndAccount(sa, buf);
        return r == null && tunnel ? egressEcn(sa, buf) : r;
    }

    /**
     * RFC 6040 §4.2 (normal mode): the inner ECN field becomes the entry of Figure 4 for the arriving inner and
     * outer fields, with the IPv4 header checksum updated incrementally (RFC 1624). An outer CE over an inner
     * Not-ECT is a drop; the combinations Figure 4 marks "(!!!)" (currently unused: an ECN codepoint outside a
     * Not-ECT packet, or ECT(1) outside CE) are forwarded as the table says and logged at a rate limit, as §4.2
     * asks, since they mean that something on the path rewrites ECN wrongly.
     */
    DropReason egressEcn(SecurityAssociation sa, ByteBuf buf) {
        int out = outer.tos & 3;
        int in = inner.tos & 3;
        int ecn = EGRESS[in * 4 + out];
        if ((in == NOT_ECT && out != NOT_ECT) || (in == CE && out == ECT_1)) {
            RateLimitedLog.Suppressed suppressed = rate.admit(CAUSE_ECN, RateLimitedLog.spiKey(sa.spi()));
            if (suppressed != null) {
                LOG.warn("event=ecn_unexpected spi={} outer_ecn={} inner_ecn={} action={}{}", sa.spiHex(), ECN_NAMES[out],
                        ECN_NAMES[in], ecn == DROP ? "drop" : "forward", suppressed.describeSpis());
            }
        }
        if (ecn == DROP) {
            return DropReason.ECN_CE_NOT_ECT;
        }
        if (ecn != in) {
            int s = inner.start;
            if (inner.v4()) {
                int old = buf.getUnsignedShort(s);
                int word = (old & ~3) | ecn;
                buf.setShort(s, word);
                Checksums.updateWord(buf, s + 10, old, word);
            } else {
                int b1 = buf.getUnsignedByte(s + 1); // traffic class straddles bytes 0 and 1; ECN is bits 4-5 of byte 1
                buf.setByte(s + 1, (b1 & ~0x30) | (ecn << 4));
            }
        }
        return null;
    }

    /** RFC 4301 §5.2: the decapsulated packet must fall within the SA's selectors; then the lifetime counts it. */
    DropReason checkSelectorAndAccount(SecurityAssociation sa, ByteBuf buf) {
        TrafficSelector ts = sa.selector();
        int sp = inner.sourcePort(buf);
        int dp = inner.destinationPort(buf);
        boolean match = inner.v4() ? ts.matchesV4(inner.src4, inner.dst4, inner.protocol, sp, dp)
                : ts.matchesV6(inner.srcHi, inner.srcLo, inner.dstHi, inner.dstLo, inner.protocol, sp, dp);
        if (!match) {
            return DropReason.SELECTOR_MISMATCH;
        }
        if (sa.account(inner.totalLength) == SecurityAssociation.LIFETIME_HARD) {
            return DropReason.SA_EXPIRED;
        }
        return null;
    }
}
