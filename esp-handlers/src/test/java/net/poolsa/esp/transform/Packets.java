package net.poolsa.esp.transform;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import net.poolsa.esp.event.DropListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.ip.IpPacketView;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.IpLiterals;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.sa.UdpEncapsulation;

/** Test packets and SAs, documentation addresses only (RFC 5737, RFC 3849). */
final class Packets {
    static final String IN4_SRC = "203.0.113.10";
    static final String IN4_DST = "203.0.113.200";
    static final String IN6_SRC = "2001:db8:1::10";
    static final String IN6_DST = "2001:db8:2::20";
    static final String OUT4_A = "192.0.2.1";
    static final String OUT4_B = "198.51.100.7";
    static final String OUT6_A = "2001:db8:ff::1";
    static final String OUT6_B = "2001:db8:ff::2";
    static final HexFormat HEX = HexFormat.of();

    private Packets() {
    }

    /** An IPv4 or IPv6 UDP packet with correct checksums. */
    static byte[] udp(String src, String dst, int sport, int dport, byte[] payload) {
        byte[] s = IpLiterals.parse(src);
        byte[] d = IpLiterals.parse(dst);
        int udpLen = 8 + payload.length;
        ByteBuf b = Unpooled.buffer();
        if (s.length == 4) {
            b.writeByte(0x45).writeByte(0x10).writeShort(20 + udpLen).writeShort(0x1234).writeShort(0x4000)
                    .writeByte(63).writeByte(17).writeShort(0).writeBytes(s).writeBytes(d);
            b.setShort(10, Checksums.checksum(b, 0, 20));
        } else {
            b.writeInt(0x6000_0000 | (0x20 << 20) | 0x12345).writeShort(udpLen).writeByte(17).writeByte(63).writeBytes(s).writeBytes(d);
        }
        int u = b.writerIndex();
        b.writeShort(sport).writeShort(dport).writeShort(udpLen).writeShort(0).writeBytes(payload);
        long sum = Checksums.sum(b, s.length == 4 ? 12 : 8, s.length * 2, 0) + 17 + udpLen;
        int c = Checksums.fold(Checksums.sum(b, u, udpLen, sum));
        b.setShort(u + 6, c == 0 ? 0xFFFF : c);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    /** The SPI the data path's decoder reads from a captured packet (0: not ESP/AH, or IKE/keepalive on 4500). */
    static int spiOf(ByteBuf b) {
        IpPacketView v = new IpPacketView();
        if (v.decode(b) != null) {
            throw new AssertionError("not a valid IP packet: " + v.decode(b));
        }
        return v.spi();
    }

    static byte[] payload(int n) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) (i * 7 + 3);
        }
        return p;
    }

    static byte[] key(int n, int seed) {
        byte[] k = new byte[n];
        for (int i = 0; i < n; i++) {
            k[i] = (byte) (seed + i * 13);
        }
        return k;
    }

    static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        return out;
    }

    /** One algorithm choice with keys. */
    record Suite(String enc, int encKeyLen, String integ, int integKeyLen) {
        SaKeys keys() {
            return new SaKeys(enc, key(encKeyLen, 0x11), integ, key(integKeyLen, 0x55));
        }

        byte[] encKey() {
            return key(encKeyLen, 0x11);
        }

        byte[] integKey() {
            return key(integKeyLen, 0x55);
        }

        @Override
        public String toString() {
            return enc + "/" + encKeyLen * 8 + "+" + integ;
        }
    }

    static final Suite GCM128 = new Suite("aes-gcm-16", 20, "none", 0);
    static final Suite GCM192 = new Suite("aes-gcm-16", 28, "none", 0);
    static final Suite GCM256 = new Suite("aes-gcm-16", 36, "none", 0);
    static final Suite CHACHA = new Suite("chacha20-poly1305", 36, "none", 0);
    static final Suite CBC128_SHA256 = new Suite("aes-cbc", 16, "hmac-sha2-256-128", 32);
    static final Suite CBC256_SHA384 = new Suite("aes-cbc", 32, "hmac-sha2-384-192", 48);
    static final Suite CBC256_SHA512 = new Suite("aes-cbc", 32, "hmac-sha2-512-256", 64);
    static final Suite CBC128_SHA1 = new Suite("aes-cbc", 16, "hmac-sha1-96", 20);
    static final Suite TDES_SHA1 = new Suite("3des-cbc", 24, "hmac-sha1-96", 20);
    static final Suite NULL_SHA256 = new Suite("null", 0, "hmac-sha2-256-128", 32);
    static final Suite CBC128_NOAUTH = new Suite("aes-cbc", 16, "none", 0);
    static final Suite DES_SHA1 = new Suite("des-cbc", 8, "hmac-sha1-96", 20);
    static final Suite AH_SHA1 = new Suite("none", 0, "hmac-sha1-96", 20);
    static final Suite AH_SHA256 = new Suite("none", 0, "hmac-sha2-256-128", 32);

    static final List<Suite> ESP_SUITES = List.of(GCM128, GCM192, GCM256, CHACHA, CBC128_SHA256, CBC256_SHA384, CBC256_SHA512,
            CBC128_SHA1, TDES_SHA1, NULL_SHA256, CBC128_NOAUTH);

    /**
     * A matching outbound/inbound SA pair: the sender's outer pool holds A addresses, the receiver's B addresses;
     * the inbound selector admits the sender's protected traffic.
     */
    record Pair(SecurityAssociation out, SecurityAssociation in) {
    }

    static Pair pair(IpsecProtocol proto, SaMode mode, Suite suite, int spi, boolean esn, UdpEncapsulation encap) {
        return pair(proto, mode, suite, spi, esn, encap, 1024, TrafficSelector.between(AddressPool.ANY, AddressPool.ANY));
    }

    static Pair pair(IpsecProtocol proto, SaMode mode, Suite suite, int spi, boolean esn, UdpEncapsulation encap,
                     int window, TrafficSelector inboundSelector) {
        AddressPool a = mode == SaMode.TUNNEL ? AddressPool.parse("192.0.2.0/24", "2001:db8:ff::1/128")
                : AddressPool.parse("203.0.113.0/25", "2001:db8:1::/48", "192.0.2.0/24", "2001:db8:ff::1/128");
        AddressPool b = mode == SaMode.TUNNEL ? AddressPool.parse("198.51.100.0/24", "2001:db8:ff::2/128")
                : AddressPool.parse("203.0.113.128/25", "2001:db8:2::/48", "198.51.100.0/24", "2001:db8:ff::2/128");
        SecurityAssociation out = SecurityAssociation.builder().spi(spi).protocol(proto).mode(mode).direction(Direction.OUTBOUND)
                .localOuter(a).remoteOuter(b).selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY))
                .keys(suite.keys()).extendedSequenceNumbers(esn).udpEncapsulation(encap).replayWindow(window).build();
        SecurityAssociation in = SecurityAssociation.builder().spi(spi).protocol(proto).mode(mode).direction(Direction.INBOUND)
                .localOuter(b).remoteOuter(a).selector(inboundSelector)
                .keys(suite.keys()).extendedSequenceNumbers(esn).udpEncapsulation(encap).replayWindow(window).build();
        return new Pair(out, in);
    }

    static OuterAddress addr(String s) {
        return OuterAddress.parse(s);
    }

    /** Records drops. */
    static final class Drops implements DropListener {
        final List<DropReason> reasons = new ArrayList<>();

        @Override
        public void dropped(DropReason reason, SecurityAssociation sa) {
            reasons.add(reason);
        }

        DropReason last() {
            return reasons.isEmpty() ? null : reasons.get(reasons.size() - 1);
        }
    }
}
