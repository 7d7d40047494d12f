package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import net.poolsa.esp.crypto.IntegrityMac;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.IpPacketView;
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
 *
 * The steps ESP and AH share (outer addresses, packet layout, the header in front, sequence numbers, anti-replay,
 * the checks after decapsulation) are the {@link IpsecProcessor}'s.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4302#section-3">RFC 4302 §3</a>
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

    ByteBuf protect(SecurityAssociation sa, SaTransformContext ctx, ByteBuf inner, IpPacketView in, OuterAddress src,
                    OuterAddress dst) throws GeneralSecurityException {
        DropReason bad = p.plan(sa, inner, in, src, dst);
        if (bad != null) {
            return p.drop(bad, sa);
        }
        IntegrityMac mac = ctx.ahMac(p.index);
        int ahLen = ahLength(mac.icvLength(), p.outV4);
        int total = p.hdrLen + ahLen + p.payloadLen;
        if (p.tooBig(total)) {
            return p.drop(DropReason.TOO_BIG, sa);
        }
        if (p.hdrLen > p.headerScratch.length) {
            return p.drop(DropReason.UNSUPPORTED, sa);
        }
        long seq = p.nextSequence(sa, ctx);
        if (seq == OutboundSequence.EXHAUSTED) {
            return null;
        }
        if (sa.account(in.totalLength()) == SecurityAssociation.LIFETIME_HARD) {
            return p.drop(DropReason.SA_EXPIRED, sa);
        }
        ByteBuf out = p.alloc.buffer(total);
        boolean ok = false;
        try {
            int o = out.writerIndex();
            p.writeHeader(out, inner, in, IpPacketView.PROTO_AH, total);
            int ahOff = out.writerIndex();
            out.writeByte(p.nextHeader);
            out.writeByte(ahLen / 4 - 2); // RFC 4302 §2.2: length in 32-bit words, minus 2
            out.writeShort(0);
            out.writeInt(sa.spi());
            out.writeInt((int) seq);
            out.writeZero(ahLen - FIXED);
            out.writeBytes(inner, p.payloadOff, p.payloadLen);
            if (!icv(mac, out, o, p.hdrLen, p.outV4 ? 4 : 6, ahOff, ahLen, total, (int) (seq >>> 32), ctx.esn())) {
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

    ByteBuf unprotect(SecurityAssociation sa, SaTransformContext ctx, ByteBuf outer, IpPacketView ov, IpPacketView iv)
            throws GeneralSecurityException {
        if (ov.protocol() != IpPacketView.PROTO_AH) {
            return p.drop(DropReason.UNKNOWN_SPI, sa);
        }
        int s = ov.offset();
        int ahOff = ov.transportOffset();
        int end = s + ov.totalLength();
        if (end - ahOff < FIXED) {
            return p.drop(DropReason.TRUNCATED, sa);
        }
        IntegrityMac mac = ctx.ahMac(p.index);
        int ahLen = (outer.getUnsignedByte(ahOff + 1) + 2) * 4;
        if (ahLen != ahLength(mac.icvLength(), ov.isV4())) {
            return p.drop(DropReason.BAD_LENGTH, sa);
        }
        if (ahOff + ahLen > end) {
            return p.drop(DropReason.TRUNCATED, sa);
        }
        if (outer.getInt(ahOff + 4) != sa.spi()) {
            return p.drop(DropReason.UNKNOWN_SPI, sa);
        }
        int hdrLen = ov.headerLength();
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
        if (!icv(mac, outer, s, hdrLen, ov.version(), ahOff, ahLen, ov.totalLength(), (int) (seq >>> 32), ctx.esn())) {
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
        // Transport mode keeps everything in front of AH: the outer header and its extension headers.
        int keep = sa.mode() == SaMode.TUNNEL ? 0 : hdrLen;
        ByteBuf buf = p.alloc.buffer(keep + payloadLen);
        boolean ok = false;
        try {
            buf.writeBytes(outer, s, keep);
            buf.writeBytes(outer, payloadOff, payloadLen);
            r = p.decapsulated(sa, buf, nh, ov, iv);
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
