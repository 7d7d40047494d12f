package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import net.poolsa.esp.crypto.RandomSource;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.event.RateLimitedLog;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.replay.ReplayWindow;
import net.poolsa.esp.replay.SequenceNumbers;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPsec transforms of one event-loop thread: ESP (RFC 4303) and AH (RFC 4302), tunnel and transport mode,
 * ESP optionally in UDP (RFC 3948). Pure functions of (SA, packet) plus the per-SA state in
 * {@link SaTransformContext}; every failure is reported to the {@link DropListener} and answered with null,
 * no exception escapes, and the caller's buffer is never released.
 *
 * <p><b>One parse per packet.</b> Packets arrive with their {@link IpPacketView} (decoded once where they entered
 * the data path); the processor reads the header layout from it and decodes only what decapsulation produces, into
 * the view the caller passes for it. The convenience methods without a view decode the given packet first. What the
 * ESP and AH transforms share lives here: choosing the outer addresses ({@link #resolveOuter}, the one place: the
 * SA's current addresses unless the caller names others), the layout of the protected packet ({@link #plan}), the
 * header in front of ESP/AH ({@link #writeHeader}), the sequence number ({@link #nextSequence}), anti-replay, and
 * after decapsulation the inner packet's check against the SA's selectors (RFC 4301 §5.2, the one place it is made)
 * with lifetime accounting and ECN ({@link #decapsulated}).
 *
 * <p><b>Bundles</b> (the paper's AH+ESP): the ESP SA is applied first (tunnel or transport), then an AH SA in
 * transport mode over the resulting outer packet, giving {@code | IP | AH | ESP | ... |} (RFC 4301 §4.5,
 * transport adjacency): {@link #protect(SecurityAssociation, SecurityAssociation, ByteBuf, IpPacketView,
 * OuterAddress, OuterAddress)}. Inbound the AH SA is removed first, then the ESP SA: when {@link #unprotect}
 * returns a packet whose view says ESP, the caller looks the next SA up and calls it again.
 *
 * <p><b>Randomness</b> (CBC IVs, the outer IPv4 identification) comes from one generator per processor, taken from
 * the {@link RandomSource} given at construction.
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
    /** Copy of a header for AH's mutable-field zeroing; IPv6 headers with longer chains are refused. */
    final byte[] headerScratch = new byte[512];
    /** The packet a convenience call was given, decoded here. */
    private final IpPacketView given = new IpPacketView();
    /** What a convenience unprotect decapsulated. */
    private final IpPacketView decapsulated = new IpPacketView();
    /** A bundle's ESP packet, before AH goes over it. */
    private final IpPacketView intermediate = new IpPacketView();
    private final DropListener listener;
    /** Per-packet causes: one line per cause every ten seconds, with what was suppressed (count, first/last SPI). */
    private final RateLimitedLog rate;
    private final EspTransform esp = new EspTransform(this);
    private final AhTransform ah = new AhTransform(this);
    private int ipId;

    // The plan of the packet being protected (plan()), read by the transform that builds it.
    boolean tunnel;
    OuterAddress outSrc;
    OuterAddress outDst;
    /** Bytes in front of ESP/AH: the new tunnel header, or the kept transport-mode header. */
    int hdrLen;
    /** Absolute index and length, in the caller's buffer, of what ESP/AH protects. */
    int payloadOff;
    int payloadLen;
    /** The protocol ESP/AH names as its next header. */
    int nextHeader;
    boolean outV4;
    /** The full (ESN-inferred) sequence number of the packet being opened, from {@link #replayCheck}. */
    long lastSeq;
    /** Whether the last packet unprotect was given was an authentic dummy packet (dropped as DUMMY_PACKET). */
    boolean openedDummy;

    public IpsecProcessor(ByteBufAllocator alloc, DropListener listener) {
        this(alloc, listener, RandomSource.SYSTEM);
    }

    /** @param random where this processor's generator (CBC IVs, IPv4 identifications) comes from */
    public IpsecProcessor(ByteBufAllocator alloc, DropListener listener, RandomSource random) {
        this(alloc, listener, RateLimitedLog.perTenSeconds(CAUSES), random);
    }

    /** @param rate budget of the per-packet log lines, {@link #CAUSES} causes */
    IpsecProcessor(ByteBufAllocator alloc, DropListener listener, RateLimitedLog rate) {
        this(alloc, listener, rate, RandomSource.SYSTEM);
    }

    private IpsecProcessor(ByteBufAllocator alloc, DropListener listener, RateLimitedLog rate, RandomSource random) {
        this.rate = Objects.requireNonNull(rate, "rate");
        this.alloc = Objects.requireNonNull(alloc, "alloc");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.index = NEXT_INDEX.getAndIncrement();
        this.random = random.newGenerator();
        this.ipId = this.random.nextInt();
    }

    /**
     * Outbound, for a packet not decoded yet: decodes {@code inner} (its readable bytes, one complete IPv4 or IPv6
     * packet) and protects it with {@code sa} alone, as {@link #protect(SecurityAssociation, SecurityAssociation,
     * ByteBuf, IpPacketView, OuterAddress, OuterAddress)}.
     */
    public ByteBuf protect(SecurityAssociation sa, ByteBuf inner, OuterAddress outerSrc, OuterAddress outerDst) {
        return protect(sa, null, inner, null, outerSrc, outerDst);
    }

    /**
     * Outbound. Tunnel mode: the whole packet is encapsulated under a new outer IP header from {@code outerSrc} to
     * {@code outerDst}, or, where null, the SA's current local/remote address. Transport mode: the packet's own
     * header is kept (outerSrc/outerDst, if given, must equal its addresses). If sa.udpEncapsulation() != null, ESP
     * goes inside UDP (RFC 3948). With {@code ah} (an AH+ESP bundle, RFC 4301 §4.5) the transport-mode AH SA is then
     * applied over the whole ESP packet, outer header included.
     *
     * @param ah        the AH SA of the bundle, or null for {@code sa} alone
     * @param innerView {@code inner} decoded, or null to decode it here
     * @return the complete outer IP packet in a new buffer the caller owns, or null after reporting a
     *         {@link DropReason} (e.g. NO_SA without an outer address, SEQUENCE_EXHAUSTED, SA_EXPIRED, POOL_MISMATCH,
     *         TOO_BIG). Never releases {@code inner}.
     */
    public ByteBuf protect(SecurityAssociation sa, SecurityAssociation ah, ByteBuf inner, IpPacketView innerView,
                           OuterAddress outerSrc, OuterAddress outerDst) {
        if (sa == null || inner == null) {
            return drop(DropReason.NO_SA, sa);
        }
        if (innerView == null) {
            DropReason bad = given.decode(inner);
            if (bad != null) {
                return drop(bad, sa);
            }
            innerView = given;
        }
        ByteBuf out = protectOne(sa, inner, innerView, outerSrc, outerDst);
        if (out == null || ah == null) {
            return out;
        }
        try {
            DropReason bad = intermediate.decode(out);
            return bad != null ? drop(bad, ah) : protectOne(ah, out, intermediate, null, null);
        } finally {
            out.release();
        }
    }

    private ByteBuf protectOne(SecurityAssociation sa, ByteBuf inner, IpPacketView in, OuterAddress outerSrc,
                               OuterAddress outerDst) {
        try {
            SaTransformContext ctx = usableContext(sa);
            if (ctx == null) {
                return null;
            }
            ByteBuf out = sa.protocol() == IpsecProtocol.ESP ? esp.protect(sa, ctx, inner, in, outerSrc, outerDst)
                    : ah.protect(sa, ctx, inner, in, outerSrc, outerDst);
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
     * Outbound: an ESP dummy packet (RFC 4303 §2.6, next header 59, no payload) on {@code sa}'s current outer addresses,
     * with a sequence number and ICV like any packet of the SA. The peer authenticates it, checks its sequence number,
     * then discards it; path monitoring sends one when an SA moved to another path on its own decision, so that the
     * peer, which follows the newest authenticated packet, moves its own direction at once rather than after its
     * detection time (a failure one end saw repairs both directions). Only for an ESP SA in tunnel mode that is not
     * the inner half of an AH+ESP bundle (a bare ESP packet of a bundle is refused by the peer): null for any other,
     * with no drop reported, or null after reporting a drop as {@link #protect} does.
     *
     * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#section-2.6">RFC 4303 §2.6 (dummy packets)</a>
     */
    public ByteBuf dummy(SecurityAssociation sa) {
        if (sa.protocol() != IpsecProtocol.ESP || sa.mode() != SaMode.TUNNEL || SaBundle.outerOf(sa) != null) {
            return null;
        }
        return protectOne(sa, null, null, null, null);
    }

    /**
     * Whether the packet the last {@link #unprotect} call was given passed the SA's integrity and replay checks and
     * was a dummy packet (RFC 4303 §2.6): it was dropped as {@link DropReason#DUMMY_PACKET}, yet it is authentic
     * evidence of the path it came over.
     */
    public boolean openedDummy() {
        return openedDummy;
    }

    /** Inbound, for a packet not decoded yet: as {@link #unprotect(SecurityAssociation, ByteBuf, IpPacketView, IpPacketView)}. */
    public ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer) {
        return unprotect(sa, outer, null, decapsulated);
    }

    /**
     * Inbound. {@code outer} = one complete IP packet carrying ESP, AH, or UDP/4500-encapsulated ESP, whose SA the
     * caller found by SPI and pool check. Verifies the ICV, anti-replay (checked before, advanced only after the
     * ICV), padding, then the inner packet against sa.selector() (RFC 4301 §5.2).
     *
     * @param outerView {@code outer} decoded, or null to decode it here
     * @param innerView receives the decapsulated packet's decoding (must not be {@code outerView})
     * @return the inner IP packet (tunnel) or the reconstructed IP packet (transport) in a buffer the caller
     *         owns, described by {@code innerView}, or null after reporting a {@link DropReason}. Never releases
     *         {@code outer}.
     */
    public ByteBuf unprotect(SecurityAssociation sa, ByteBuf outer, IpPacketView outerView, IpPacketView innerView) {
        openedDummy = false;
        if (sa == null || outer == null) {
            return drop(DropReason.UNKNOWN_SPI, sa);
        }
        if (outerView == null) {
            DropReason bad = given.decode(outer);
            if (bad != null) {
                return drop(bad, sa);
            }
            outerView = given;
        }
        try {
            SaTransformContext ctx = usableContext(sa);
            if (ctx == null) {
                return null;
            }
            if (outerView.isFragment()) {
                return drop(DropReason.UNSUPPORTED, sa); // reassembly happens before the transform (RFC 4303 §3.4.1)
            }
            return sa.protocol() == IpsecProtocol.ESP ? esp.unprotect(sa, ctx, outer, outerView, innerView)
                    : ah.unprotect(sa, ctx, outer, outerView, innerView);
        } catch (GeneralSecurityException | RuntimeException e) {
            return failed(sa, e);
        }
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

    /**
     * Picks and checks the outer addresses into {@link #outSrc}/{@link #outDst}: the one place they are chosen. Tunnel
     * mode: the given ones, else the SA's current ones (chosen by path monitoring); none yet is NO_SA (the SA cannot
     * carry traffic yet), one outside the SA's pools POOL_MISMATCH. Transport mode: the packet's own addresses, which
     * must lie in the pools. Null when acceptable.
     */
    DropReason resolveOuter(SecurityAssociation sa, IpPacketView in, OuterAddress src, OuterAddress dst) {
        if (sa.mode() == SaMode.TUNNEL) {
            OuterAddress d = dst != null ? dst : sa.currentRemote();
            OuterAddress sr = src != null ? src : sa.currentLocal();
            if (d == null || sr == null) {
                return DropReason.NO_SA;
            }
            if (d.v4() != sr.v4() || !d.in(sa.remoteOuter()) || !sr.in(sa.localOuter())) {
                return DropReason.POOL_MISMATCH;
            }
            outSrc = sr;
            outDst = d;
            return null;
        }
        boolean match;
        if (in.isV4()) {
            match = sa.localOuter().containsV4(in.v4Source()) && sa.remoteOuter().containsV4(in.v4Destination())
                    && (src == null || (src.v4() && src.v4Bits() == in.v4Source()))
                    && (dst == null || (dst.v4() && dst.v4Bits() == in.v4Destination()));
        } else {
            match = sa.localOuter().containsV6(in.v6SourceHi(), in.v6SourceLo())
                    && sa.remoteOuter().containsV6(in.v6DestinationHi(), in.v6DestinationLo())
                    && (src == null || (!src.v4() && src.v6Hi() == in.v6SourceHi() && src.v6Lo() == in.v6SourceLo()))
                    && (dst == null || (!dst.v4() && dst.v6Hi() == in.v6DestinationHi() && dst.v6Lo() == in.v6DestinationLo()));
        }
        if (!match) {
            return DropReason.POOL_MISMATCH;
        }
        if (in.isFragment()) {
            return DropReason.UNSUPPORTED; // transport mode protects whole packets; fragmentation comes after (RFC 4303 §3.3.4)
        }
        return null;
    }

    /**
     * The layout of the packet {@code sa} makes of {@code in}, shared by ESP and AH: outer addresses, the header in
     * front of ESP/AH ({@link #hdrLen}), what is protected ({@link #payloadOff}, {@link #payloadLen}) and its next
     * header. Tunnel mode protects the whole packet (RFC 4303 §3.1.2); transport mode keeps the IP header and the
     * IPv6 extension headers that precede ESP/AH (RFC 4303 §3.1.1, RFC 4302 §3.1.1). Null when acceptable.
     */
    DropReason plan(SecurityAssociation sa, ByteBuf inner, IpPacketView in, OuterAddress src, OuterAddress dst) {
        DropReason r = resolveOuter(sa, in, src, dst);
        if (r != null) {
            return r;
        }
        tunnel = sa.mode() == SaMode.TUNNEL;
        if (in == null) { // a dummy packet (tunnel mode only): nothing protected, next header 59
            outV4 = outDst.v4();
            hdrLen = outV4 ? IpHeaders.V4_LENGTH : IpHeaders.V6_LENGTH;
            payloadOff = 0;
            payloadLen = 0;
            nextHeader = IpPacketView.PROTO_NONE;
            return null;
        }
        int s = in.offset();
        if (tunnel) {
            outV4 = outDst.v4();
            hdrLen = outV4 ? IpHeaders.V4_LENGTH : IpHeaders.V6_LENGTH;
            payloadOff = s;
            payloadLen = in.totalLength();
            nextHeader = in.isV4() ? IpPacketView.PROTO_IPV4 : IpPacketView.PROTO_IPV6;
        } else {
            outV4 = in.isV4();
            hdrLen = in.unprotectedLength();
            payloadOff = s + hdrLen;
            payloadLen = in.totalLength() - hdrLen;
            nextHeader = inner.getUnsignedByte(in.unprotectedField());
        }
        return null;
    }

    /** Whether a planned packet of {@code total} bytes exceeds what its IP length field can state. */
    boolean tooBig(int total) {
        return total - (outV4 ? 0 : IpHeaders.V6_LENGTH) > 0xFFFF;
    }

    /**
     * The next outbound sequence number, taken only once nothing but a lifetime or crypto failure can stop the
     * packet (so several threads sending on one SA leave no gaps), or {@link OutboundSequence#EXHAUSTED} after
     * reporting why: a late durable reservation, or the end of the space (the SA expires, RFC 4303 §3.3.3).
     */
    long nextSequence(SecurityAssociation sa, SaTransformContext ctx) {
        long seq = ctx.outbound().next();
        if (seq == OutboundSequence.EXHAUSTED) {
            if (ctx.outbound().exhausted()) {
                sa.expire();
                listener.dropped(DropReason.SEQUENCE_EXHAUSTED, sa);
            } else {
                listener.dropped(DropReason.SEQUENCE_UNRESERVED, sa); // a late reservation, not the end of the SA
            }
        }
        return seq;
    }

    /**
     * Writes what goes in front of ESP/AH, naming {@code proto} and a packet of {@code total} bytes: a tunnel header
     * from {@link #outSrc} to {@link #outDst} (the inner DSCP/ECN byte copied, RFC 4301 §5.1.2.1 and RFC 6040 normal
     * mode; DF following an IPv4 inner packet), or the kept transport-mode header with its protocol and length set.
     * A dummy packet ({@code in} null) goes with traffic class 0 and DF set: it is small, and never fragmented.
     */
    void writeHeader(ByteBuf out, ByteBuf inner, IpPacketView in, int proto, int total) {
        int o = out.writerIndex();
        if (tunnel) {
            int tc = in == null ? 0 : in.trafficClass();
            if (outV4) {
                IpHeaders.writeV4(out, tc, total, ipId++ & 0xFFFF, in == null || in.isV4() && in.dontFragment(), proto,
                        outSrc.v4Bits(), outDst.v4Bits());
            } else {
                IpHeaders.writeV6(out, tc, total - IpHeaders.V6_LENGTH, proto, outSrc, outDst);
            }
        } else {
            out.writeBytes(inner, in.offset(), hdrLen);
            IpHeaders.patch(out, o, in.version(), in.baseLength(), o + in.unprotectedField() - in.offset(), proto, total);
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

    /**
     * After decryption (ESP) or verification (AH): {@code buf} holds, from its reader index, the inner packet (tunnel
     * mode) or the kept header followed by the payload (transport mode, whose header still names ESP/AH and states
     * the outer length). Makes it one valid IP packet, decodes it into {@code iv} (its one decode), checks it against
     * the SA's selectors (RFC 4301 §5.2) and counts it against the lifetime; in tunnel mode its ECN field then
     * combines the outer one per RFC 6040 §4.2 ({@link #egressEcn}). Null when the packet may go on.
     */
    DropReason decapsulated(SecurityAssociation sa, ByteBuf buf, int nextHeader, IpPacketView ov, IpPacketView iv) {
        boolean tunnel = sa.mode() == SaMode.TUNNEL;
        DropReason r;
        if (tunnel) {
            if (nextHeader != IpPacketView.PROTO_IPV4 && nextHeader != IpPacketView.PROTO_IPV6) {
                return DropReason.UNSUPPORTED;
            }
            r = iv.decode(buf);
            if (r != null) {
                return r;
            }
            if ((nextHeader == IpPacketView.PROTO_IPV4) != iv.isV4()) {
                return DropReason.MALFORMED_IP;
            }
            buf.writerIndex(iv.offset() + iv.totalLength()); // RFC 4303 §2.7: bytes after the inner packet are TFC padding
        } else {
            int s = buf.readerIndex();
            IpHeaders.patch(buf, s, ov.version(), ov.baseLength(), s + ov.protocolField() - ov.offset(), nextHeader,
                    buf.readableBytes());
            r = iv.decode(buf);
            if (r != null) {
                return r;
            }
        }
        if (!iv.within(sa.selector())) {
            return DropReason.SELECTOR_MISMATCH;
        }
        if (sa.account(iv.totalLength()) == SecurityAssociation.LIFETIME_HARD) {
            return DropReason.SA_EXPIRED;
        }
        return tunnel ? egressEcn(sa, buf, ov, iv) : null;
    }

    /**
     * RFC 6040 §4.2 (normal mode): the inner ECN field becomes the entry of Figure 4 for the arriving inner and
     * outer fields, with the IPv4 header checksum updated incrementally (RFC 1624). An outer CE over an inner
     * Not-ECT is a drop; the combinations Figure 4 marks "(!!!)" (currently unused: an ECN codepoint outside a
     * Not-ECT packet, or ECT(1) outside CE) are forwarded as the table says and logged at a rate limit, as §4.2
     * asks, since they mean that something on the path rewrites ECN wrongly.
     */
    DropReason egressEcn(SecurityAssociation sa, ByteBuf buf, IpPacketView ov, IpPacketView iv) {
        int out = ov.trafficClass() & 3;
        int in = iv.trafficClass() & 3;
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
            int s = iv.offset();
            if (iv.isV4()) {
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
}
