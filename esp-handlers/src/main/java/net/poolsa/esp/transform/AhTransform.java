package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import net.poolsa.esp.crypto.IntegrityMac;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.replay.ReplayWindow;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;

/**
 * AH (RFC 4302), tunnel and transport mode. The ICV covers the IP header with its mutable fields zeroed
 * (RFC 4302 §3.3.3.1), the AH header with the ICV field zeroed, the payload, and with ESN the high half of the
 * sequence number appended (RFC 4302 §3.3.3.2.1 via RFC 4303 §2.2.1). The ICV field is padded to 4 bytes over
 * IPv4 and 8 over IPv6 (RFC 4302 §2.2).
 *
 * <pre>
 *  | IP hdr | Next Hdr | Payload Len | Reserved | SPI | Sequence Number | ICV (+pad) | payload |
 * </pre>
 */
final class AhTransform {
    private static final int FIXED = 12;
    private final IpsecProcessor p;

    AhTransform(IpsecProcessor p) {
        this.p = p;
    }

    static int ahLength(int icvLength, boolean v4) {
        int align = v4 ? 4 : 8;
        return (FIXED + icvLength + align - 1) / align * align;
    }

    ByteBuf protect(SecurityAssociation sa, SaTransformContext ctx, ByteBuf inner, OuterAddress src, OuterAddress dst)
            throws GeneralSecurityException {
        IpPacket in = p.inner;
        int s = inner.readerIndex();
        boolean tunnel = sa.mode() == SaMode.TUNNEL;
        DropReason bad = in.parse(inner, s, inner.readableBytes(), tunnel ? IpPacket.Walk.OUTER : IpPacket.Walk.TRANSPORT);
        if (bad == null) {
            bad = p.resolveOuter(sa, in, src, dst);
        }
        if (bad != null) {
            return p.drop(bad, sa);
        }
        IntegrityMac mac = ctx.ahMac(p.index);
        long seq = ctx.outbound().next();
        if (seq == OutboundSequence.EXHAUSTED) {
            if (!ctx.outbound().exhausted()) {
                return p.drop(DropReason.SEQUENCE_UNRESERVED, sa); // a late reservation, not the end of the SA
            }
            sa.expire();
            return p.drop(DropReason.SEQUENCE_EXHAUSTED, sa);
        }
        if (sa.account(in.totalLength) == SecurityAssociation.LIFETIME_HARD) {
            return p.drop(DropReason.SA_EXPIRED, sa);
        }
        boolean outV4 = tunnel ? p.outDst.v4() : in.v4();
        int hdrLen = tunnel ? (outV4 ? IpHeaders.V4_LENGTH : IpHeaders.V6_LENGTH) : in.headerLength;
        int payloadOff = tunnel ? s : s + in.headerLength;
        int payloadLen = tunnel ? in.totalLength : in.totalLength - in.headerLength;
        int nextHeader = tunnel ? (in.v4() ? IpPacket.PROTO_IPV4 : IpPacket.PROTO_IPV6) : in.protocol;
        int ahLen = ahLength(mac.icvLength(), outV4);
        int total = hdrLen + ahLen + payloadLen;
        if (total - (outV4 ? 0 : IpHeaders.V6_LENGTH) > 0xFFFF) {
            return p.drop(DropReason.TOO_BIG, sa);
        }
        if (hdrLen > p.headerScratch.length) {
            return p.drop(DropReason.UNSUPPORTED, sa);
        }
        ByteBuf out = p.alloc.buffer(total);
        boolean ok = false;
        try {
            int o = out.writerIndex();
            if (tunnel) {
                p.writeOuter(out, in, total, IpPacket.PROTO_AH);
            } else {
                out.writeBytes(inner, s, hdrLen);
                IpHeaders.patch(out, o, in.version, in.baseLength, o + in.protocolIndex - s, IpPacket.PROTO_AH, total);
            }
            int ahOff = out.writerIndex();
            out.writeByte(nextHeader);
            out.writeByte(ahLen / 4 - 2); // RFC 4302 §2.2: length in 32-bit words, minus 2
            out.writeShort(0);
            out.writeInt(sa.spi());
            out.writeInt((int) seq);
            out.writeZero(ahLen - FIXED);
            out.writeBytes(inner, payloadOff, payloadLen);
            if (!icv(mac, out, o, hdrLen, outV4 ? 4 : 6, ahOff, ahLen, total, (int) (seq >>> 32), ctx.esn())) {
                return p.drop(DropReason.UNSUPPORTED, sa);
            }
            mac.finishInto(out, ahOff + FIXED);
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.release();
            }
        }
    }

    ByteBuf unprotect(SecurityAssociation sa, SaTransformContext ctx, ByteBuf outer) throws GeneralSecurityException {
        IpPacket op = p.outer;
        int s = outer.readerIndex();
        DropReason bad = op.parse(outer, s, outer.readableBytes(), IpPacket.Walk.OUTER);
        if (bad != null) {
            return p.drop(bad, sa);
        }
        if (op.fragment) {
            return p.drop(DropReason.UNSUPPORTED, sa);
        }
        if (op.protocol != IpPacket.PROTO_AH) {
            return p.drop(DropReason.UNKNOWN_SPI, sa);
        }
        int ahOff = s + op.headerLength;
        int end = s + op.totalLength;
        if (end - ahOff < FIXED) {
            return p.drop(DropReason.TRUNCATED, sa);
        }
        IntegrityMac mac = ctx.ahMac(p.index);
        int ahLen = (outer.getUnsignedByte(ahOff + 1) + 2) * 4;
        if (ahLen != ahLength(mac.icvLength(), op.v4())) {
            return p.drop(DropReason.BAD_LENGTH, sa);
        }
        if (ahOff + ahLen > end) {
            return p.drop(DropReason.TRUNCATED, sa);
        }
        if (outer.getInt(ahOff + 4) != sa.spi()) {
            return p.drop(DropReason.UNKNOWN_SPI, sa);
        }
        int hdrLen = op.headerLength;
        if (hdrLen > p.headerScratch.length) {
            return p.drop(DropReason.UNSUPPORTED, sa);
        }
        int seqLow = outer.getInt(ahOff + 8);
        ReplayWindow w = ctx.window();
        DropReason r = p.replayCheck(ctx, w, seqLow);
        if (r != null) {
            return p.drop(r, sa);
        }
        long seq = p.lastSeq;
        if (!icv(mac, outer, s, hdrLen, op.version, ahOff, ahLen, op.totalLength, (int) (seq >>> 32), ctx.esn())) {
            return p.drop(DropReason.UNSUPPORTED, sa);
        }
        if (!mac.finishAndVerify(outer, ahOff + FIXED)) {
            return p.drop(DropReason.BAD_ICV, sa);
        }
        r = p.replayUpdate(ctx, w, seq);
        if (r != null) {
            return p.drop(r, sa);
        }
        int nh = outer.getUnsignedByte(ahOff);
        int payloadOff = ahOff + ahLen;
        int payloadLen = end - payloadOff;
        boolean tunnel = sa.mode() == SaMode.TUNNEL;
        ByteBuf buf = p.alloc.buffer((tunnel ? 0 : hdrLen) + payloadLen);
        boolean ok = false;
        try {
            if (tunnel) {
                buf.writeBytes(outer, payloadOff, payloadLen);
                r = p.finishTunnel(buf, 0, payloadLen, nh);
            } else {
                buf.writeBytes(outer, s, hdrLen);
                buf.writeBytes(outer, payloadOff, payloadLen);
                r = p.finishTransport(buf, nh);
            }
            if (r == null) {
                r = p.admitInner(sa, buf, tunnel);
            }
            if (r != null) {
                return p.drop(r, sa);
            }
            ok = true;
            return buf;
        } finally {
            if (!ok) {
                buf.release();
            }
        }
    }

    /** Feeds the ICV input to {@code mac}; false when the header holds fields AH cannot predict. */
    private boolean icv(IntegrityMac mac, ByteBuf pkt, int s, int hdrLen, int version, int ahOff, int ahLen, int total,
                        int seqHigh, boolean esn) {
        byte[] h = p.headerScratch;
        pkt.getBytes(s, h, 0, hdrLen);
        if (!IpHeaders.zeroMutable(h, hdrLen, version)) {
            return false;
        }
        mac.update(h, 0, hdrLen);
        mac.update(pkt, ahOff, FIXED);
        mac.updateZeros(ahLen - FIXED);
        mac.update(pkt, ahOff + ahLen, s + total - ahOff - ahLen);
        if (esn) {
            mac.updateInt(seqHigh);
        }
        return true;
    }
}
