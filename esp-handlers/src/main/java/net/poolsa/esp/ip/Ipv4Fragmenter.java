package net.poolsa.esp.ip;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Splits an IPv4 packet larger than the link MTU into fragments (RFC 791 §3.2, "An Example Fragmentation
 * Procedure"): every fragment but the last carries a multiple of 8 payload bytes, the first keeps all
 * options, later ones only the options whose copied flag is set.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc791#section-3.2">RFC 791 §3.2</a>
 */
public final class Ipv4Fragmenter {
    /** The smallest MTU every IPv4 link must carry (RFC 791): below it fragmenting is refused. */
    public static final int MIN_MTU = 68;

    private Ipv4Fragmenter() {
    }

    /**
     * Fragments the valid IPv4 packet in {@code packet} (readable bytes = the packet) into {@code out}.
     * The input is not released. A packet that already fits is copied as one element.
     *
     * @return the number of fragments added
     * @throws IllegalArgumentException when mtu is below {@link #MIN_MTU} or DF is set (the caller must send
     *                                  "fragmentation needed" instead)
     */
    public static int fragment(ByteBuf packet, int mtu, ByteBufAllocator alloc, List<ByteBuf> out) {
        if (mtu < MIN_MTU) {
            throw new IllegalArgumentException("MTU " + mtu + " is below the IPv4 minimum of " + MIN_MTU);
        }
        int base = packet.readerIndex();
        int ihl = (packet.getUnsignedByte(base) & 0x0f) * 4;
        int total = packet.getUnsignedShort(base + 2);
        int flagsOffset = packet.getUnsignedShort(base + 6);
        if ((flagsOffset & 0x4000) != 0 && total > mtu) {
            throw new IllegalArgumentException("DF is set on a packet of " + total + " bytes, MTU " + mtu);
        }
        if (total <= mtu) {
            ByteBuf whole = alloc.buffer(total);
            whole.writeBytes(packet, base, total);
            out.add(whole);
            return 1;
        }
        // The options that later fragments repeat (RFC 791: copied flag, the top bit of the option type).
        byte[] copiedOptions = copiedOptions(packet, base, ihl);
        int laterIhl = 20 + ((copiedOptions.length + 3) & ~3);
        int origOffset = (flagsOffset & 0x1fff) * 8;
        boolean origMore = (flagsOffset & 0x2000) != 0;
        int payloadAt = base + ihl;
        int payloadLen = total - ihl;
        int done = 0;
        int count = 0;
        while (done < payloadLen) {
            int hl = count == 0 ? ihl : laterIhl;
            int room = (mtu - hl) & ~7;
            int len = Math.min(room, payloadLen - done);
            boolean last = done + len == payloadLen;
            ByteBuf f = alloc.buffer(hl + len);
            int at = f.writerIndex();
            if (count == 0) {
                f.writeBytes(packet, base, ihl);
            } else {
                f.writeBytes(packet, base, 20);
                f.writeBytes(copiedOptions);
                f.writeZero(laterIhl - 20 - copiedOptions.length); // pads with End of Option List
                f.setByte(at, 0x40 | (laterIhl / 4));
            }
            f.writeBytes(packet, payloadAt + done, len);
            f.setShort(at + 2, hl + len);
            int fo = (origOffset + done) / 8;
            boolean more = !last || origMore;
            f.setShort(at + 6, (flagsOffset & 0x4000) | (more ? 0x2000 : 0) | fo);
            Checksums.writeIpv4HeaderChecksum(f, at);
            out.add(f);
            done += len;
            count++;
        }
        return count;
    }

    private static byte[] copiedOptions(ByteBuf p, int base, int ihl) {
        byte[] tmp = new byte[ihl - 20];
        int n = 0;
        int i = base + 20;
        int end = base + ihl;
        while (i < end) {
            int type = p.getUnsignedByte(i);
            if (type == 0) {
                break;
            }
            if (type == 1) {
                i++;
                continue;
            }
            if (i + 1 >= end) {
                break;
            }
            int len = p.getUnsignedByte(i + 1);
            if (len < 2 || i + len > end) {
                break;
            }
            if ((type & 0x80) != 0) {
                p.getBytes(i, tmp, n, len);
                n += len;
            }
            i += len;
        }
        byte[] out = new byte[n];
        System.arraycopy(tmp, 0, out, 0, n);
        return out;
    }
}
