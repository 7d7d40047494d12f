package net.poolsa.ike.pool;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IkeProtocolException;

/** Hex in and out of Identification payload bodies for tests; every buffer is released. */
final class IdBytes {
    private static final HexFormat HEX = HexFormat.of();

    private IdBytes() {
    }

    static IdentificationPayload decode(String hex) throws IkeProtocolException {
        ByteBuf buf = Unpooled.wrappedBuffer(HEX.parseHex(hex));
        try {
            return IdentificationPayload.decode(buf);
        } finally {
            buf.release();
        }
    }

    static String hex(IdentificationPayload id) {
        ByteBuf buf = Unpooled.buffer();
        try {
            id.encode(buf);
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            return HEX.formatHex(b);
        } finally {
            buf.release();
        }
    }
}
