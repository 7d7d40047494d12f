package net.poolsa.esp.ip;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Splits an IPv6 packet that the gateway itself originates (the outer packet of a tunnel) into fragments
 * with a Fragment header (RFC 8200 §4.5): the unfragmentable part (the IPv6 header, Hop-by-Hop and Routing
 * headers, and Destination Options before a Routing header) is repeated in every fragment, followed by the
 * Fragment header and a slice of the fragmentable part; every fragment but the last carries a multiple of 8
 * bytes. Only the source may do this in IPv6: routers never fragment, which is why the gateway, as the
 * source of the outer packet, may (RFC 4303 §3.4.1 asks the receiver to reassemble before ESP processing).
 *
 * <pre>
 *  | IPv6 header | unfragmentable ext. headers | Fragment (44) | slice of ESP/AH ... |
 *  Fragment header: | next header | reserved | offset (13 bits) | res | M | identification (32) |
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc8200#section-4.5">RFC 8200 §4.5</a>
 */
public final class Ipv6Fragmenter {
    /** Every IPv6 link carries 1280 bytes (RFC 8200 §5): below it fragmenting is refused. */
    public static final int MIN_MTU = 1280;
    /** The length of the Fragment header. */
    public static final int FRAGMENT_HEADER = 8;

    private Ipv6Fragmenter() {
    }

    /**
     * Fragments the valid IPv6 packet in {@code packet} (readable bytes = the packet) into {@code out}. The
     * input is not released. A packet that already fits is copied as one element, without a Fragment header
     * (no atomic fragments, RFC 8021).
     *
     * @param identification the Fragment header's identification; the caller picks it unpredictably (RFC 7739)
     * @return the number of fragments added
     * @throws IllegalArgumentException when mtu is below {@link #MIN_MTU}, or the packet already has a Fragment
     *                                  header or an extension-header chain that cannot be walked, or whose
     *                                  fragmentable part up to ESP/AH does not fit the first fragment (RFC 7112 §5)
     */
    public static int fragment(ByteBuf packet, int mtu, int identification, ByteBufAllocator alloc, List<ByteBuf> out) {
        if (mtu < MIN_MTU) {
            throw new IllegalArgumentException("MTU " + mtu + " is below the IPv6 minimum of " + MIN_MTU);
        }
        int base = packet.readerIndex();
        int total = 40 + packet.getUnsignedShort(base + 4);
        if (total > packet.readableBytes()) {
            throw new IllegalArgumentException("payload length says " + total + " bytes, buffer has " + packet.readableBytes());
        }
        if (total <= mtu) {
            ByteBuf whole = alloc.buffer(total);
            whole.writeBytes(packet, base, total);
            out.add(whole);
            return 1;
        }
        // Walk the chain: the unfragmentable part ends after the last Hop-by-Hop or Routing header, which also
        // takes in Destination Options that precede a Routing header (RFC 8200 §4.5).
        int nextField = base + 6;
        int unfragEnd = base + 40;
        int unfragNextField = nextField;
        int at = base + 40;
        int next = packet.getUnsignedByte(nextField);
        for (int n = 0; next == IpPacketView.PROTO_HOPOPT || next == IpPacketView.PROTO_ROUTING
                || next == IpPacketView.PROTO_DSTOPTS; n++) {
            if (n == IpPacketView.MAX_EXTENSION_HEADERS || at + 8 > base + total) {
                throw new IllegalArgumentException("extension header chain cannot be walked");
            }
            int len = (packet.getUnsignedByte(at + 1) + 1) * 8;
            int header = next;
            nextField = at;
            next = packet.getUnsignedByte(at);
            at += len;
            if (header != IpPacketView.PROTO_DSTOPTS) {
                unfragEnd = at;
                unfragNextField = nextField;
            }
        }
        if (next == IpPacketView.PROTO_FRAGMENT || unfragEnd > base + total) {
            throw new IllegalArgumentException("packet is already fragmented or its extension headers overrun it");
        }
        int unfragLen = unfragEnd - base;
        int fragmentableNext = packet.getUnsignedByte(unfragNextField);
        int nextFieldRel = unfragNextField - base;
        int payloadLen = total - unfragLen;
        int room = (mtu - unfragLen - FRAGMENT_HEADER) & ~7;
        if (room < 8) {
            throw new IllegalArgumentException("unfragmentable part of " + unfragLen + " bytes leaves no room in MTU " + mtu);
        }
        // The first fragment must hold the whole header chain up to the upper-layer header (RFC 7112 §5):
        // the fragmentable extension headers and the ESP header (SPI, sequence) or the whole AH header.
        int upper = next == IpPacketView.PROTO_AH && at + 2 <= base + total
                ? (packet.getUnsignedByte(at + 1) + 2) * 4 : 8;
        if (at - unfragEnd + upper > room) {
            throw new IllegalArgumentException("header chain of " + (at - unfragEnd + upper)
                    + " bytes does not fit the first fragment's " + room + " bytes (RFC 7112)");
        }
        int done = 0;
        int count = 0;
        while (done < payloadLen) {
            int len = Math.min(room, payloadLen - done);
            boolean more = done + len < payloadLen;
            ByteBuf f = alloc.buffer(unfragLen + FRAGMENT_HEADER + len);
            int fat = f.writerIndex();
            f.writeBytes(packet, base, unfragLen);
            f.setByte(fat + nextFieldRel, IpPacketView.PROTO_FRAGMENT);
            f.setShort(fat + 4, unfragLen - 40 + FRAGMENT_HEADER + len);
            f.writeByte(fragmentableNext).writeByte(0).writeShort(done | (more ? 1 : 0)).writeInt(identification);
            f.writeBytes(packet, unfragEnd + done, len);
            out.add(f);
            done += len;
            count++;
        }
        return count;
    }
}
