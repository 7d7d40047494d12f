package net.poolsa.esp.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** {@link Checksums#updateWord}: RFC 1624's own example, then against a full recomputation. */
class ChecksumUpdateTest {
    @Test
    void rfc1624Example() {
        // RFC 1624 §4: the other header words sum to 0xCD7A, m = 0x5555 becomes m' = 0x3285. HC = 0xDD2F; the new
        // checksum is 0x0000 (eqn. 2 would give 0xFFFF).
        ByteBuf b = Unpooled.buffer(2).writeShort(0xDD2F);
        Checksums.updateWord(b, 0, 0x5555, 0x3285);
        assertEquals(0x0000, b.getUnsignedShort(0));
        b.release();
    }

    @Test
    void sameAsRecomputingForEveryTtlAndTosOfRandomHeaders() {
        SplittableRandom r = new SplittableRandom(1624);
        ByteBuf h = Unpooled.buffer(20);
        for (int i = 0; i < 2000; i++) {
            h.clear();
            for (int j = 0; j < 20; j++) {
                h.writeByte(r.nextInt(256));
            }
            h.setByte(0, 0x45);
            Checksums.writeIpv4HeaderChecksum(h, 0);
            int word = r.nextBoolean() ? 8 : 0; // TTL + protocol, or version/IHL + TOS
            int old = h.getUnsignedShort(word);
            int now = word == 8 ? (r.nextInt(256) << 8) | (old & 0xFF) : 0x4500 | r.nextInt(256);
            h.setShort(word, now);
            Checksums.updateWord(h, 10, old, now);
            int incremental = h.getUnsignedShort(10);
            Checksums.writeIpv4HeaderChecksum(h, 0);
            assertEquals(h.getUnsignedShort(10), incremental, "header " + io.netty.buffer.ByteBufUtil.hexDump(h));
        }
        h.release();
    }
}
