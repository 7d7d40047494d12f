package net.poolsa.ike.transport;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;

/**
 * Turns a received UDP datagram into an {@link InboundIkeDatagram}, or drops it with a reason. On the
 * NAT-T port (RFC 3948 §2.2): four zero bytes first mean IKE (the marker is removed), a single 0xFF byte is
 * a NAT-keepalive (§2.3: counted and discarded), anything else is ESP-in-UDP, which belongs to the data
 * plane and is dropped here. Nothing thrown escapes; every buffer is released.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3948#section-2.2">RFC 3948 §2.2, §2.3</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.1">RFC 2408 §3.1 (ISAKMP header)</a>
 */
public final class IkeDatagramDecoder extends ChannelInboundHandlerAdapter {
    /** The fixed ISAKMP header: two cookies, next payload, version, exchange type, flags, message ID, length. */
    public static final int ISAKMP_HEADER_LENGTH = 28;
    /** The one byte of a NAT-keepalive (RFC 3948 §2.3). */
    public static final int NAT_KEEPALIVE_BYTE = 0xff;

    private final PortRole role;
    private final int maxDatagramBytes;
    private final DropLog drops;

    /**
     * @param maxDatagramBytes the largest UDP payload accepted (marker included); the channel's receive buffer
     *                         must be at least one byte larger so that a longer datagram is seen as too long
     *                         rather than cut
     */
    public IkeDatagramDecoder(PortRole role, int maxDatagramBytes, TransportEvents events) {
        this(role, maxDatagramBytes, new DropLog(events));
    }

    IkeDatagramDecoder(PortRole role, int maxDatagramBytes, DropLog drops) {
        if (maxDatagramBytes < PortRole.NON_ESP_MARKER_LENGTH + ISAKMP_HEADER_LENGTH) {
            throw new IllegalArgumentException("cap of " + maxDatagramBytes + " bytes is below an ISAKMP header");
        }
        this.role = role;
        this.maxDatagramBytes = maxDatagramBytes;
        this.drops = drops;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            ctx.fireChannelRead(msg);
            return;
        }
        try {
            InboundIkeDatagram d = decode(packet);
            if (d != null) {
                ctx.fireChannelRead(d);
            }
        } finally {
            packet.release();
        }
    }

    /** The IKE datagram in {@code packet} (a retained view), or null when it was dropped or was a keepalive. */
    private InboundIkeDatagram decode(DatagramPacket packet) {
        drops.events().read(role);
        ByteBuf b = packet.content();
        int offset = b.readerIndex();
        int length = b.readableBytes();
        if (length == 0) {
            return drop(TransportDropReason.EMPTY, packet, 0);
        }
        if (length > maxDatagramBytes) {
            return drop(TransportDropReason.OVERSIZED, packet, length);
        }
        if (role.hasNonEspMarker()) {
            if (length == 1 && b.getUnsignedByte(offset) == NAT_KEEPALIVE_BYTE) {
                drops.events().keepalive();
                return null;
            }
            if (length < PortRole.NON_ESP_MARKER_LENGTH) {
                return drop(TransportDropReason.TRUNCATED, packet, length);
            }
            if (b.getInt(offset) != 0) {
                return drop(TransportDropReason.ESP_IN_UDP, packet, length);
            }
            offset += PortRole.NON_ESP_MARKER_LENGTH;
            length -= PortRole.NON_ESP_MARKER_LENGTH;
            if (length == 0) {
                return drop(TransportDropReason.EMPTY, packet, PortRole.NON_ESP_MARKER_LENGTH);
            }
        }
        if (length < ISAKMP_HEADER_LENGTH) {
            return drop(TransportDropReason.TRUNCATED, packet, b.readableBytes());
        }
        return new InboundIkeDatagram(withoutZeroScope(packet.recipient()), withoutZeroScope(packet.sender()),
                b.retainedSlice(offset, length).asReadOnly(), role.hasNonEspMarker());
    }

    private InboundIkeDatagram drop(TransportDropReason reason, DatagramPacket packet, int bytes) {
        drops.drop(role, reason, withoutZeroScope(packet.sender()), bytes);
        return null;
    }

    /**
     * The address without an IPv6 scope id of 0: the epoll socket reports a global sender with one, which printed as
     * "[2001:db8:100:1:0:0:0:2%0]" in every log line about the peer. Equality is unchanged (Inet6Address compares the
     * address bytes); a link-local sender keeps its real scope.
     */
    static InetSocketAddress withoutZeroScope(InetSocketAddress a) {
        if (a != null && a.getAddress() instanceof Inet6Address v6 && v6.getScopeId() == 0 && v6.getScopedInterface() == null) {
            try {
                return new InetSocketAddress(Inet6Address.getByAddress(null, v6.getAddress(), -1), a.getPort());
            } catch (UnknownHostException e) {
                return a; // 16 bytes always make an address
            }
        }
        return a;
    }
}
