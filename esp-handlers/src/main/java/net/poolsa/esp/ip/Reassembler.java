package net.poolsa.esp.ip;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;

/**
 * Bounded reassembly of inbound fragmented IPv4 and IPv6 packets (outer ESP/AH fragmented on the way).
 * Datagrams are keyed by source, destination, protocol and identification (RFC 791 §3.2, RFC 8200 §4.5).
 *
 * <p>Limits make it safe against fragment floods: at most {@code maxDatagrams} incomplete datagrams, at
 * most {@code maxFragments} fragments, a reassembled length that fits its 16-bit field (IPv4 total length
 * with the real header and options, IPv6 payload length with the real unfragmentable extension headers), and {@code timeoutNanos} from
 * the first fragment. Overlapping fragments discard the whole datagram (RFC 5722 for IPv6; for IPv4 the
 * same rule avoids the overlap attacks of RFC 1858). Every discarded datagram is reported once as
 * {@link DropReason#REASSEMBLY_FAILED}. An IPv6 atomic fragment is returned on its own (RFC 6946).
 *
 * <p>Not thread-safe: one instance per event loop. A linear table is enough because the limit is small.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc815">RFC 815</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc8200#section-4.5">RFC 8200 §4.5</a>
 */
public final class Reassembler {
    /** The largest IPv4 total length or IPv6 payload length (without jumbograms) the 16-bit field expresses. */
    public static final int MAX_DATAGRAM = 65535;

    private final ByteBufAllocator alloc;
    private final DropListener drops;
    private final int maxDatagrams;
    private final int maxFragments;
    private final long timeoutNanos;
    private final Datagram[] table;
    private final IpPacketView own = new IpPacketView();
    /** The view of the fragment being offered: the caller's, or {@link #own}. */
    private IpPacketView view;

    public Reassembler(ByteBufAllocator alloc, DropListener drops, int maxDatagrams, int maxFragments, long timeoutNanos) {
        if (maxDatagrams < 1 || maxFragments < 2 || timeoutNanos <= 0) {
            throw new IllegalArgumentException("reassembly limits must be positive (datagrams >= 1, fragments >= 2)");
        }
        this.alloc = alloc;
        this.drops = drops;
        this.maxDatagrams = maxDatagrams;
        this.maxFragments = maxFragments;
        this.timeoutNanos = timeoutNanos;
        this.table = new Datagram[maxDatagrams];
    }

    private static final class Datagram {
        final int version;
        final long k1;
        final long k2;
        final long k3;
        final long k4;
        final int protocol;
        final int id;
        final long started;
        final List<Piece> pieces = new ArrayList<>();
        ByteBuf firstHeader; // unfragmentable part from the offset-0 fragment
        int firstNextHeaderRel = -1; // IPv6: index in firstHeader of the byte naming the Fragment header
        int fragmentNextHeader;
        int totalPayload = -1;
        int bytes;
        int maxEnd; // the furthest payload byte any piece reached
        int headerExtra; // header bytes the length field counts; the minimum until the first fragment is known

        Datagram(int version, long k1, long k2, long k3, long k4, int protocol, int id, long started) {
            this.version = version;
            this.k1 = k1;
            this.k2 = k2;
            this.k3 = k3;
            this.k4 = k4;
            this.protocol = protocol;
            this.id = id;
            this.started = started;
            this.headerExtra = version == 4 ? 20 : 0;
        }

        boolean same(int v, long a, long b, long c, long d, int p, int i) {
            return version == v && k1 == a && k2 == b && k3 == c && k4 == d && protocol == p && id == i;
        }

        void release() {
            for (Piece p : pieces) {
                p.data.release();
            }
            pieces.clear();
            if (firstHeader != null) {
                firstHeader.release();
                firstHeader = null;
            }
        }
    }

    private record Piece(int offset, int length, boolean more, ByteBuf data) {
    }

    /** Incomplete datagrams held now. */
    public int pending() {
        int n = 0;
        for (Datagram d : table) {
            if (d != null) {
                n++;
            }
        }
        return n;
    }

    /**
     * Takes one fragment (ownership passes to the reassembler: it is stored or released).
     *
     * @param fragment a valid IP packet whose view says {@link IpPacketView#isFragment()}
     * @return the reassembled packet when this fragment completed one, else null
     */
    public ByteBuf offer(ByteBuf fragment, long nowNanos) {
        if (own.decode(fragment) != null) {
            fragment.release();
            drops.dropped(DropReason.REASSEMBLY_FAILED, null);
            return null;
        }
        return offer(fragment, own, nowNanos);
    }

    /**
     * As {@link #offer(ByteBuf, long)}, for a fragment the caller decoded already ({@code decoded} describes it):
     * the data path decodes each packet once.
     */
    public ByteBuf offer(ByteBuf fragment, IpPacketView decoded, long nowNanos) {
        view = decoded;
        try {
            expire(nowNanos);
            if (!view.isFragment()) {
                drops.dropped(DropReason.REASSEMBLY_FAILED, null);
                return null;
            }
            boolean v4 = view.isV4();
            if (!v4 && view.fragmentOffset() == 0 && !view.moreFragments()) {
                return atomic(fragment);
            }
            long a = v4 ? view.v4Source() : view.v6SourceHi();
            long b = v4 ? view.v4Destination() : view.v6SourceLo();
            long c = v4 ? 0 : view.v6DestinationHi();
            long d = v4 ? 0 : view.v6DestinationLo();
            int proto = v4 ? view.protocol() : 0; // RFC 8200 keys on addresses and identification only
            int slot = -1;
            int free = -1;
            for (int i = 0; i < table.length; i++) {
                Datagram g = table[i];
                if (g == null) {
                    if (free < 0) {
                        free = i;
                    }
                } else if (g.same(view.version(), a, b, c, d, proto, view.identification())) {
                    slot = i;
                    break;
                }
            }
            if (slot < 0) {
                if (free < 0) {
                    drops.dropped(DropReason.REASSEMBLY_FAILED, null); // table full: newest loses, held ones may complete
                    return null;
                }
                table[free] = new Datagram(view.version(), a, b, c, d, proto, view.identification(), nowNanos);
                slot = free;
            }
            return add(slot, fragment);
        } finally {
            fragment.release();
        }
    }

    private ByteBuf add(int slot, ByteBuf pkt) {
        Datagram g = table[slot];
        int payloadAt = view.transportOffset();
        int payloadLen = view.offset() + view.totalLength() - payloadAt;
        if (view.isV4()) {
            payloadAt = view.offset() + view.headerLength();
            payloadLen = view.totalLength() - view.headerLength();
        } else {
            payloadAt = view.fragmentHeaderOffset() + 8;
            payloadLen = view.offset() + view.totalLength() - payloadAt;
        }
        int off = view.fragmentOffset();
        int end = off + payloadLen;
        boolean more = view.moreFragments();
        if ((more && (payloadLen & 7) != 0) || payloadLen == 0) {
            return fail(slot);
        }
        // Duplicates first, before this copy changes any state: only the same offset, length and M flag is a
        // retransmitted copy; anything else touching a held piece is an overlap (RFC 5722).
        for (Piece p : g.pieces) {
            if (off < p.offset + p.length && p.offset < end) {
                if (p.offset == off && p.length == payloadLen && p.more == more) {
                    return null; // an exact duplicate: harmless, ignore it
                }
                return fail(slot);
            }
        }
        if (g.pieces.size() >= maxFragments) {
            return fail(slot);
        }
        if (!more) {
            if (g.totalPayload >= 0 && g.totalPayload != end) {
                return fail(slot);
            }
            g.totalPayload = end;
            for (Piece p : g.pieces) {
                if (p.offset + p.length > end) {
                    return fail(slot); // a piece held already lies past the end the last fragment announces
                }
            }
        } else if (g.totalPayload >= 0 && end > g.totalPayload) {
            return fail(slot);
        }
        g.maxEnd = Math.max(g.maxEnd, end);
        if (off == 0) {
            int hdrLen = payloadAt - view.offset();
            g.firstHeader = pkt.copy(view.offset(), hdrLen);
            // What the reassembled header adds to the payload in its length field: the IPv4 header with
            // options (RFC 791 total length), or the IPv6 unfragmentable extension headers without the
            // Fragment header (RFC 8200 payload length).
            g.headerExtra = view.isV4() ? hdrLen : hdrLen - 40 - 8;
            if (!view.isV4()) {
                g.firstNextHeaderRel = view.fragmentNextHeaderField() - view.offset();
                g.fragmentNextHeader = pkt.getUnsignedByte(view.fragmentHeaderOffset());
            }
        }
        if (g.headerExtra + g.maxEnd > MAX_DATAGRAM) {
            return fail(slot); // the reassembled length would not fit its 16-bit field
        }
        g.pieces.add(new Piece(off, payloadLen, more, pkt.retainedSlice(payloadAt, payloadLen)));
        g.bytes += payloadLen;
        if (g.totalPayload < 0 || g.firstHeader == null || g.bytes != g.totalPayload) {
            return null;
        }
        return assemble(slot);
    }

    private ByteBuf assemble(int slot) {
        Datagram g = table[slot];
        Piece[] sorted = g.pieces.toArray(new Piece[0]);
        Arrays.sort(sorted, (x, y) -> Integer.compare(x.offset, y.offset));
        // Counting bytes is not enough: check that the pieces tile [0, totalPayload) without a hole.
        int expect = 0;
        for (Piece p : sorted) {
            if (p.offset != expect) {
                return fail(slot);
            }
            expect += p.length;
        }
        if (expect != g.totalPayload || sorted[sorted.length - 1].more) {
            return fail(slot);
        }
        table[slot] = null;
        ByteBuf hdr = g.firstHeader;
        int h = hdr.readableBytes();
        ByteBuf out = alloc.buffer(h - (g.version == 4 ? 0 : 8) + g.totalPayload);
        if (g.version == 4) {
            out.writeBytes(hdr, hdr.readerIndex(), h);
            out.setShort(2, h + g.totalPayload);
            out.setShort(6, 0);
            for (Piece p : sorted) {
                out.writeBytes(p.data, p.data.readerIndex(), p.length);
            }
            Checksums.writeIpv4HeaderChecksum(out, 0);
        } else {
            // Drop the Fragment header: the byte that named it now names what followed it (RFC 8200 §4.5).
            int fragAt = h - 8;
            out.writeBytes(hdr, hdr.readerIndex(), fragAt);
            out.setByte(g.firstNextHeaderRel, g.fragmentNextHeader);
            for (Piece p : sorted) {
                out.writeBytes(p.data, p.data.readerIndex(), p.length);
            }
            out.setShort(4, out.readableBytes() - 40);
        }
        g.release();
        return out;
    }

    /**
     * An atomic fragment (offset 0, M clear) is a whole packet: RFC 6946 §4 says to process it in isolation,
     * never mixed with pending fragments of the same identification (which could be forged to disturb them).
     */
    private ByteBuf atomic(ByteBuf pkt) {
        int base = view.offset();
        int fragAt = view.fragmentHeaderOffset();
        int end = base + view.totalLength();
        ByteBuf out = alloc.buffer(end - base - 8);
        out.writeBytes(pkt, base, fragAt - base);
        out.setByte(view.fragmentNextHeaderField() - base, pkt.getUnsignedByte(fragAt));
        out.writeBytes(pkt, fragAt + 8, end - fragAt - 8);
        out.setShort(4, out.readableBytes() - 40);
        return out;
    }

    private ByteBuf fail(int slot) {
        table[slot].release();
        table[slot] = null;
        drops.dropped(DropReason.REASSEMBLY_FAILED, null);
        return null;
    }

    /** Discards datagrams older than the timeout; the owner also calls it from a timer when traffic stops. */
    public void expire(long nowNanos) {
        for (int i = 0; i < table.length; i++) {
            Datagram g = table[i];
            if (g != null && nowNanos - g.started > timeoutNanos) {
                fail(i);
            }
        }
    }

    /** Releases everything held (shutdown). */
    public void clear() {
        for (int i = 0; i < table.length; i++) {
            if (table[i] != null) {
                table[i].release();
                table[i] = null;
            }
        }
    }
}
