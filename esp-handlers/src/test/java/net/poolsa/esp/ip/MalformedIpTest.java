package net.poolsa.esp.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.pipeline.IpsecProtector;
import net.poolsa.esp.pipeline.MtuSettings;
import net.poolsa.esp.pipeline.Pipelines;
import net.poolsa.esp.sa.AddressPool;
import net.poolsa.esp.sa.Direction;
import net.poolsa.esp.sa.OuterAddress;
import net.poolsa.esp.sa.SaKeys;
import net.poolsa.esp.sa.SecurityAssociation;
import net.poolsa.esp.sa.TrafficSelector;
import net.poolsa.esp.transform.IpsecProcessor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One table of malformed IP packets (the cases IpPacketViewTest and BadInputTest held apart), each row with the one
 * drop reason of the data plane's one parser ({@link IpPacketView}, whose javadoc lists the checks). Every place a
 * packet can enter is fed each row and must give that reason, exactly once: the decoder itself, the cleartext and
 * the uplink pipelines, the transform's outbound entry (an inner packet to protect), its inbound entry (an outer
 * packet to open), and the packet an authenticated ESP packet decapsulates to. Base packets are scapy's
 * (make_vectors.py); the ESP around the last kind is NULL encryption with HMAC-SHA2-256-128 computed by the JDK,
 * not by poolsa.
 */
class MalformedIpTest {
    private static final byte[] INTEG_KEY = new byte[32];
    private static final int SPI = 0x4d00;
    private static final OuterAddress OUTER_A = OuterAddress.parse("192.0.2.1");
    private static final OuterAddress OUTER_B = OuterAddress.parse("198.51.100.7");

    record Row(String name, byte[] packet, DropReason reason) {
        @Override
        public String toString() {
            return name + " -> " + reason.label();
        }
    }

    static Stream<Row> rows() {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("no byte at all", new byte[0], DropReason.TRUNCATED));
        rows.add(new Row("version 5", v4(b -> set(b, 0, 0x55)), DropReason.MALFORMED_IP));
        rows.add(new Row("IPv4 shorter than 20 bytes", new byte[] {0x45, 0, 0, 10}, DropReason.TRUNCATED));
        rows.add(new Row("IPv4 IHL 4", v4(b -> set(b, 0, 0x44)), DropReason.MALFORMED_IP));
        rows.add(new Row("IPv4 total length below the header length", v4(b -> checksum(set16(b, 2, 16))), DropReason.BAD_LENGTH));
        rows.add(new Row("IPv4 total length beyond the bytes", v4(b -> set(b, 3, 0xff)), DropReason.TRUNCATED));
        rows.add(new Row("IPv4 last byte cut", Arrays.copyOf(Vectors.get("udp4"), 47), DropReason.TRUNCATED));
        rows.add(new Row("IPv4 header checksum", v4(b -> set(b, 10, b[10] ^ 1)), DropReason.MALFORMED_IP));
        rows.add(new Row("IPv4 reserved flag", v4(b -> checksum(set(b, 6, b[6] | 0x80))), DropReason.MALFORMED_IP));
        rows.add(new Row("IPv6 shorter than 40 bytes", Arrays.copyOf(Vectors.get("tcp6ext"), 39), DropReason.TRUNCATED));
        rows.add(new Row("IPv6 jumbogram", v6(b -> set16(b, 4, 0)), DropReason.UNSUPPORTED));
        rows.add(new Row("IPv6 payload length beyond the bytes", v6(b -> set(b, 5, 0xff)), DropReason.TRUNCATED));
        rows.add(new Row("IPv6 Hop-by-Hop after another header", v6(b -> set(b, 48, 0)), DropReason.MALFORMED_IP));
        rows.add(new Row("IPv6 extension header length past the packet", v6(b -> set(b, 49, 9)), DropReason.TRUNCATED));
        rows.add(new Row("IPv6 extension header cut", Arrays.copyOf(v6(b -> set16(b, 4, 12)), 52), DropReason.TRUNCATED));
        rows.add(new Row("IPv6 two Fragment headers", chain6(44, 44, 59), DropReason.MALFORMED_IP));
        rows.add(new Row("IPv6 nine extension headers", chain6(60, 60, 60, 60, 60, 60, 60, 60, 60, 59), DropReason.UNSUPPORTED));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void everyEntryPointGivesTheSameReason(Row row) throws Exception {
        assertEquals(row.reason(), decode(row.packet()), "IpPacketView.decode");
        assertEquals(List.of(row.reason()), throughPipeline(row.packet(), true), "the cleartext pipeline");
        assertEquals(List.of(row.reason()), throughPipeline(row.packet(), false), "the uplink pipeline");

        List<DropReason> drops = new ArrayList<>();
        IpsecProcessor processor = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, (r, sa) -> drops.add(r));
        SecurityAssociation out = sa(Direction.OUTBOUND);
        SecurityAssociation in = sa(Direction.INBOUND);
        ByteBuf packet = Unpooled.wrappedBuffer(row.packet());
        assertNull(processor.protect(out, packet, OUTER_A, OUTER_B));
        assertEquals(List.of(row.reason()), drops, "the transform's outbound entry");
        drops.clear();
        assertNull(processor.unprotect(in, packet));
        assertEquals(List.of(row.reason()), drops, "the transform's inbound entry");
        packet.release();
        drops.clear();
        ByteBuf esp = nullEsp(row.packet(), 1);
        assertNull(processor.unprotect(in, esp));
        esp.release();
        assertEquals(List.of(row.reason()), drops, "what an authenticated ESP packet decapsulates to");
        out.kill();
        in.kill();
    }

    private static DropReason decode(byte[] b) {
        ByteBuf buf = Unpooled.wrappedBuffer(b);
        try {
            return new IpPacketView().decode(buf);
        } finally {
            buf.release();
        }
    }

    /** The drops of the decoder at the head of a cleartext (sink) or uplink pipeline. */
    private static List<DropReason> throughPipeline(byte[] b, boolean cleartext) {
        List<DropReason> drops = new ArrayList<>();
        DataPathListener listener = (reason, sa) -> drops.add(reason);
        UserspaceIpsecKernel kernel = new UserspaceIpsecKernel();
        EmbeddedChannel ch = new EmbeddedChannel();
        ChannelPipeline p = ch.pipeline();
        IpsecProtector protector = new IpsecProtector(PooledByteBufAllocator.DEFAULT, listener);
        if (cleartext) {
            Pipelines.cleartext(p, kernel, protector, MtuSettings.of(1500), listener);
        } else {
            Pipelines.uplink(p, kernel, protector, PathEvidence.NONE, listener);
        }
        ch.writeInbound(Unpooled.copiedBuffer(b));
        assertNull(ch.readOutbound());
        ch.finishAndReleaseAll();
        return drops;
    }

    private static SecurityAssociation sa(Direction d) {
        AddressPool a = AddressPool.parse("192.0.2.0/24");
        AddressPool b = AddressPool.parse("198.51.100.0/24");
        return SecurityAssociation.builder().spi(SPI).direction(d).localOuter(d == Direction.OUTBOUND ? a : b)
                .remoteOuter(d == Direction.OUTBOUND ? b : a).selector(TrafficSelector.between(AddressPool.ANY, AddressPool.ANY))
                .keys(new SaKeys("null", null, "hmac-sha2-256-128", INTEG_KEY)).build();
    }

    /**
     * A tunnel-mode ESP packet from A to B with NULL encryption (RFC 2410) carrying {@code inner} as its payload,
     * padded to 4 bytes (RFC 4303 §2.4), next header 4 or 41 by the payload's version nibble, and an
     * HMAC-SHA2-256-128 ICV (RFC 4868) computed with the JDK's Mac.
     */
    private static ByteBuf nullEsp(byte[] inner, int seq) throws Exception {
        int padLen = (4 - (inner.length + 2) % 4) % 4;
        int espLen = 8 + inner.length + padLen + 2 + 16;
        ByteBuf b = Unpooled.buffer(20 + espLen);
        b.writeByte(0x45).writeByte(0).writeShort(20 + espLen).writeShort(1).writeShort(0).writeByte(64).writeByte(50)
                .writeShort(0).writeInt(OUTER_A.v4Bits()).writeInt(OUTER_B.v4Bits());
        Checksums.writeIpv4HeaderChecksum(b, 0);
        b.writeInt(SPI).writeInt(seq).writeBytes(inner);
        for (int i = 1; i <= padLen; i++) {
            b.writeByte(i);
        }
        b.writeByte(padLen).writeByte(inner.length > 0 && (inner[0] & 0xf0) == 0x60 ? 41 : 4);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(INTEG_KEY, "HmacSHA256"));
        byte[] covered = new byte[b.writerIndex() - 20];
        b.getBytes(20, covered);
        b.writeBytes(mac.doFinal(covered), 0, 16);
        return b;
    }

    private static byte[] v4(Function<byte[], byte[]> change) {
        return change.apply(Vectors.get("udp4"));
    }

    private static byte[] v6(Function<byte[], byte[]> change) {
        return change.apply(Vectors.get("tcp6ext"));
    }

    /** An IPv6 packet of documentation addresses whose header chain is 8-byte headers of the given types, the last one payload. */
    private static byte[] chain6(int... next) {
        byte[] b = new byte[40 + 8 * (next.length - 1)];
        b[0] = 0x60;
        set16(b, 4, b.length - 40);
        b[6] = (byte) next[0];
        b[7] = 64;
        b[8] = 0x20;
        b[9] = 0x01;
        b[10] = 0x0d;
        b[11] = (byte) 0xb8;
        b[23] = 1;
        System.arraycopy(b, 8, b, 24, 16);
        b[39] = 2;
        for (int i = 1; i < next.length; i++) {
            int at = 40 + 8 * (i - 1);
            b[at] = (byte) next[i];
            if (next[i - 1] == 44) {
                b[at + 3] = 1; // Fragment header: offset 0, more fragments
            }
        }
        return b;
    }

    private static byte[] set(byte[] b, int at, int value) {
        b[at] = (byte) value;
        return b;
    }

    private static byte[] set16(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 8);
        b[at + 1] = (byte) value;
        return b;
    }

    /** Recomputes the IPv4 header checksum, so that the row fails for its own reason only. */
    private static byte[] checksum(byte[] b) {
        ByteBuf buf = Unpooled.wrappedBuffer(b);
        Checksums.writeIpv4HeaderChecksum(buf, 0);
        buf.release();
        return b;
    }
}
