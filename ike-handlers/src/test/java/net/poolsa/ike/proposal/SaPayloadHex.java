package net.poolsa.ike.proposal;

import java.util.HexFormat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.SecurityAssociationPayload;

/** TEST ONLY: an SA payload from and to the hex of its bytes (captured from strongSwan, or built by our encoder). */
public final class SaPayloadHex {
    private SaPayloadHex() {
    }

    public static SecurityAssociationPayload decode(String hex) throws IkeProtocolException {
        ByteBuf b = Unpooled.wrappedBuffer(HexFormat.of().parseHex(hex));
        try {
            return SecurityAssociationPayload.decode(b);
        } finally {
            b.release();
        }
    }

    public static String hex(SecurityAssociationPayload sa) {
        ByteBuf b = Unpooled.buffer();
        try {
            sa.encode(b);
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            return HexFormat.of().formatHex(out);
        } finally {
            b.release();
        }
    }
}
