package net.poolsa.esp.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.EnumMap;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import net.poolsa.esp.event.DataPathListener;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.ip.Checksums;
import net.poolsa.esp.kernel.UserspaceIpsecKernel;
import net.poolsa.esp.path.PathEvidence;
import net.poolsa.esp.sa.IpLiterals;

/**
 * The uplink capture sees a copy of every UDP/4500 datagram (its filter must pass ESP-in-UDP), also the IKE messages
 * behind the non-ESP marker and the NAT-keepalives that the kernel hands to the IKE socket (RFC 3948 §2.2, §2.3): those
 * are not the data plane's to drop, so they are not counted as drops either. With NAT-T and DPD every second, each
 * R-U-THERE was counted (and logged at WARN) as {@code unsupported} before; this test fails on that code.
 */
class InboundSaStageTest {
    private final Map<DropReason, Integer> drops = new EnumMap<>(DropReason.class);
    private final DataPathListener listener = (reason, sa) -> drops.merge(reason, 1, Integer::sum);
    private final EmbeddedChannel uplink = new EmbeddedChannel(new IpDecoder(listener, null),
            new InboundSaStage(new UserspaceIpsecKernel().sad(), PathEvidence.NONE, listener));

    @AfterEach
    void nothingLeft() {
        assertFalse(uplink.finish(), "nothing passed on, nothing left");
    }

    @Test
    void ikeAndKeepalivesOnPort4500AreNotCountedAsDropsEspInUdpAndOtherUdpStillAre() {
        byte[] ike = new byte[36]; // non-ESP marker (4 zero bytes), then an ISAKMP header
        ike[4] = 0x11;
        uplink.writeInbound(udp(4500, 4500, ike));
        uplink.writeInbound(udp(4500, 4500, new byte[] {(byte) 0xff}));
        uplink.writeInbound(udp(31337, 4500, ike)); // a NAT in front of the peer maps its port
        assertEquals(Map.of(), drops);

        byte[] esp = new byte[40];
        esp[3] = 0x42; // SPI 0x42: no such SA
        uplink.writeInbound(udp(4500, 4500, esp));
        assertEquals(Map.of(DropReason.UNKNOWN_SPI, 1), drops);
        drops.clear();
        uplink.writeInbound(udp(53, 53, ike)); // the capture filter passes no such thing; if it came, it is not ours
        assertEquals(Map.of(DropReason.UNSUPPORTED, 1), drops);
    }

    private static ByteBuf udp(int sport, int dport, byte[] payload) {
        ByteBuf b = Unpooled.buffer();
        int len = 8 + payload.length;
        b.writeByte(0x45).writeByte(0).writeShort(20 + len).writeShort(0x1234).writeShort(0x4000)
                .writeByte(64).writeByte(17).writeShort(0).writeBytes(IpLiterals.parse("198.51.100.2"))
                .writeBytes(IpLiterals.parse("198.51.100.1"));
        Checksums.writeIpv4HeaderChecksum(b, 0);
        b.writeShort(sport).writeShort(dport).writeShort(len).writeShort(0).writeBytes(payload);
        return b;
    }
}
