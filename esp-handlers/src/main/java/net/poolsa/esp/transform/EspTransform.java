package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import net.poolsa.esp.crypto.EspCipher;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.replay.ReplayWindow;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.UdpEncapsulation;

/**
 * ESP encapsulation and decapsulation (RFC 4303), tunnel and transport mode, optionally inside UDP (RFC 3948).
 * One instance per {@link IpsecProcessor}, whose shared steps (outer addresses, packet layout, the header in front,
 * sequence numbers, anti-replay, the checks after decapsulation) it uses; not thread-safe.
 *
 * <pre>
 * tunnel:    | new IP hdr | [UDP] | ESP hdr | IV | inner IP packet | pad | pad len | next hdr (4/41) | ICV |
 * transport: | orig IP hdr (+ HBH, Routing) | [UDP] | ESP hdr | IV | upper layer | pad | pad len | next hdr | ICV |
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#section-3.3">RFC 4303 §3.3 (outbound)</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc4303#section-3.4">RFC 4303 §3.4 (inbound)</a>
 */
final class EspTransform {
    private final IpsecProcessor p;

    EspTransform(IpsecProcessor p) {
        this.p = p;
    }

    ByteBuf protect(SecurityAssociation sa, SaTransformContext ctx, ByteBuf inner, IpPacketView in, OuterAddress src,
                    OuterAddress dst) throws GeneralSecurityException {
        DropReason bad = p.plan(sa, inner, in, src, dst);
        if (bad != null) {
            return p.drop(bad, sa);
        }
        EspCipher c = ctx.espCipher(p.index, p.random);
        UdpEncapsulation encap = sa.udpEncapsulation();
        int udp = encap != null ? IpHeaders.UDP_LENGTH : 0;
        int block = c.blockSize();
        int ptLen = (p.payloadLen + 2 + block - 1) / block * block;
        int padLen = ptLen - p.payloadLen - 2;
        int espLen = 8 + c.ivLength() + ptLen + c.icvLength();
        int total = p.hdrLen + udp + espLen;
        if (p.tooBig(total)) {
            return p.drop(DropReason.TOO_BIG, sa);
        }
        long seq = p.nextSequence(sa, ctx);
        if (seq == OutboundSequence.EXHAUSTED) {
            return null;
        }
        if (in != null && sa.account(in.totalLength()) == SecurityAssociation.LIFETIME_HARD) { // a dummy protects no byte
            return p.drop(DropReason.SA_EXPIRED, sa);
        }
        ByteBuf out = p.alloc.buffer(total);
        boolean ok = false;
        try {
            int o = out.writerIndex();
            p.writeHeader(out, inner, in, encap != null ? IpPacketView.PROTO_UDP : IpPacketView.PROTO_ESP, total);
            int udpOff = out.writerIndex();
            if (encap != null) {
                out.writeShort(encap.localPort());
                out.writeShort(encap.remotePort());
                out.writeShort(udp + espLen);
                out.writeShort(0);
            }
            int espOff = out.writerIndex();
            out.writeInt(sa.spi());
            out.writeInt((int) seq);
            out.writerIndex(espOff + 8 + c.ivLength());
            if (p.payloadLen > 0) {
                out.writeBytes(inner, p.payloadOff, p.payloadLen);
            }
            for (int i = 1; i <= padLen; i++) {
                out.writeByte(i); // RFC 4303 §2.4: monotonic 1, 2, 3, ... so the receiver can check them
            }
            out.writeByte(padLen);
            out.writeByte(p.nextHeader);
            c.seal(out, espOff, ptLen, seq, ctx.esn());
            out.writerIndex(espOff + espLen);
            if (encap != null && !p.outV4) {
                out.setShort(udpOff + 6, IpHeaders.udpChecksumV6(out, o, udpOff, udp + espLen));
            }
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
        int s = ov.offset();
        int off = ov.transportOffset();
        int end = s + ov.totalLength();
        if (ov.protocol() == IpPacketView.PROTO_UDP) {
            if (sa.udpEncapsulation() == null) {
                return p.drop(DropReason.UNSUPPORTED, sa);
            }
            if (end - off < IpHeaders.UDP_LENGTH) {
                return p.drop(DropReason.TRUNCATED, sa);
            }
            if (outer.getUnsignedShort(off + 4) != end - off) {
                return p.drop(DropReason.BAD_LENGTH, sa);
            }
            off += IpHeaders.UDP_LENGTH;
            int kind = NatTraversal.classify(outer, off, end - off);
            if (kind != NatTraversal.ESP) {
                return p.drop(kind == NatTraversal.MALFORMED ? DropReason.TRUNCATED : DropReason.UNSUPPORTED, sa);
            }
        } else if (ov.protocol() != IpPacketView.PROTO_ESP) {
            return p.drop(DropReason.UNKNOWN_SPI, sa);
        }
        int espOff = off;
        int espLen = end - off;
        if (espLen < 8) {
            return p.drop(DropReason.TRUNCATED, sa);
        }
        if (outer.getInt(espOff) != sa.spi()) {
            return p.drop(DropReason.UNKNOWN_SPI, sa);
        }
        EspCipher c = ctx.espCipher(p.index, p.random);
        int ctLen = espLen - 8 - c.ivLength() - c.icvLength();
        if (ctLen < 2) {
            return p.drop(DropReason.TRUNCATED, sa);
        }
        if (ctLen % c.blockSize() != 0) {
            return p.drop(DropReason.BAD_LENGTH, sa);
        }
        int seqLow = outer.getInt(espOff + 4);
        long seq = seqLow & 0xFFFF_FFFFL;
        ReplayWindow w = ctx.window();
        if (w != null) {
            DropReason r = p.replayCheck(ctx, w, seqLow);
            if (r != null) {
                return p.drop(r, sa);
            }
            seq = p.lastSeq;
        }
        // Transport mode keeps everything in front of ESP (or of UDP): the outer header and its extension headers.
        int hdrLen = sa.mode() == SaMode.TUNNEL ? 0 : ov.headerLength();
        ByteBuf buf = p.alloc.buffer(hdrLen + ctLen + c.icvLength());
        boolean ok = false;
        try {
            buf.writeBytes(outer, s, hdrLen);
            int ptStart = buf.writerIndex();
            if (!c.open(outer, espOff, espLen, (int) (seq >>> 32), ctx.esn(), buf)) {
                return p.drop(DropReason.BAD_ICV, sa);
            }
            if (w != null) {
                DropReason r = p.replayUpdate(ctx, w, seq);
                if (r != null) {
                    return p.drop(r, sa);
                }
            }
            int ptEnd = buf.writerIndex();
            int padLen = buf.getUnsignedByte(ptEnd - 2);
            int nh = buf.getUnsignedByte(ptEnd - 1);
            int payloadLen = ptEnd - ptStart - 2 - padLen;
            if (payloadLen < 0) {
                return p.drop(DropReason.BAD_PADDING, sa);
            }
            for (int i = 1; i <= padLen; i++) {
                if (buf.getUnsignedByte(ptStart + payloadLen + i - 1) != i) {
                    return p.drop(DropReason.BAD_PADDING, sa);
                }
            }
            if (nh == IpPacketView.PROTO_NONE) {
                p.openedDummy = true;
                return p.drop(DropReason.DUMMY_PACKET, sa);
            }
            buf.writerIndex(ptStart + payloadLen);
            DropReason r = p.decapsulated(sa, buf, nh, ov, iv);
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
}
