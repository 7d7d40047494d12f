package net.poolsa.esp.transform;

import static net.poolsa.esp.transform.Packets.*;
import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import net.poolsa.esp.event.DropReason;
import net.poolsa.esp.replay.OutboundSequence;
import net.poolsa.esp.sa.IpsecProtocol;
import net.poolsa.esp.sa.SaMode;
import net.poolsa.esp.sa.SaState;
import net.poolsa.esp.sa.SecurityAssociation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A manually keyed SA's counter with a durable reservation (RFC 4303 §3.3.3): past the reservation the
 * transform drops the packet as {@code sequence_unreserved} and the SA stays usable; past the end of the space
 * it drops as {@code sequence_exhausted} and the SA expires. ESP and AH alike.
 */
class SequenceReservationTest {
    private final Drops drops = new Drops();
    private final IpsecProcessor proc = new IpsecProcessor(PooledByteBufAllocator.DEFAULT, drops);
    private final ByteBuf inner4 = Unpooled.wrappedBuffer(udp(IN4_SRC, IN4_DST, 1000, 2000, payload(1)));
    private SecurityAssociation lastSa;

    @AfterEach
    void release() {
        inner4.release();
    }

    /** Protects one packet with {@link #lastSa} and returns the sequence number it carries. */
    private int sentSequence() {
        ByteBuf out = proc.protect(lastSa, inner4, addr(OUT4_A), addr(OUT4_B));
        assertNotNull(out, drops.reasons::toString);
        try {
            int off = 20 + (lastSa.protocol() == IpsecProtocol.AH ? 8 : 4);
            return out.getInt(off);
        } finally {
            out.release();
        }
    }

    @Test
    void espAndAhDropUnreservedNumbersWithoutExpiringTheSa() throws Exception {
        for (Object[] c : new Object[][] {{IpsecProtocol.ESP, CBC128_SHA256}, {IpsecProtocol.AH, AH_SHA256}}) {
            Pair p = pair((IpsecProtocol) c[0], SaMode.TUNNEL, (Suite) c[1], 0x1000, false, null);
            lastSa = p.out();
            OutboundSequence seq = SaTransformContext.of(p.out()).outbound();
            seq.reserveUpTo(2);
            assertEquals(1, sentSequence());
            assertEquals(2, sentSequence());
            drops.reasons.clear();
            assertNull(proc.protect(p.out(), inner4, addr(OUT4_A), addr(OUT4_B)));
            assertEquals(java.util.List.of(DropReason.SEQUENCE_UNRESERVED), drops.reasons, c[0].toString());
            assertEquals(SaState.ACTIVE, p.out().state(), "a late reservation does not end the SA");
            seq.reserveUpTo(3);
            assertEquals(3, sentSequence(), "the next packet gets the next number: none skipped, none repeated");
        }
    }

    @Test
    void theEndOfTheSpaceStillExpiresAReservedSa() throws Exception {
        Pair p = pair(IpsecProtocol.ESP, SaMode.TUNNEL, CBC128_SHA256, 0x1100, false, null);
        lastSa = p.out();
        OutboundSequence seq = SaTransformContext.of(p.out()).outbound();
        seq.skipTo(0xFFFF_FFFFL);
        seq.reserveUpTo(0xFFFF_FFFFL);
        assertEquals(0xFFFF_FFFF, sentSequence());
        drops.reasons.clear();
        assertNull(proc.protect(p.out(), inner4, addr(OUT4_A), addr(OUT4_B)));
        assertEquals(DropReason.SEQUENCE_EXHAUSTED, drops.last());
        assertEquals(SaState.EXPIRED, p.out().state());
    }
}
