package net.poolsa.ike.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.function.Executable;

/**
 * Bytes in and out of the codec for tests. Input goes into a pooled direct buffer (the kind the transport
 * hands over), whose reference count the codec must leave alone; every buffer is released here.
 */
final class Msgs {
    static final HexFormat HEX = HexFormat.of();

    private Msgs() {
    }

    static IsakmpDatagram decode(byte[] datagram) throws IkeProtocolException {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(datagram.length);
        try {
            b.writeBytes(datagram);
            return IsakmpMessageDecoder.decode(b);
        } finally {
            assertEquals(1, b.refCnt(), "the decoder must neither retain nor release its input");
            b.release();
        }
    }

    static IsakmpMessage decodeClear(byte[] datagram) throws IkeProtocolException {
        return (IsakmpMessage) decode(datagram);
    }

    static IsakmpMessage plaintext(IsakmpHeader header, byte[] plaintext) throws IkeProtocolException {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(plaintext.length);
        try {
            b.writeBytes(plaintext);
            return IsakmpMessageDecoder.decodePlaintext(header, b);
        } finally {
            assertEquals(1, b.refCnt(), "the decoder must neither retain nor release its input");
            b.release();
        }
    }

    /** The message as our encoder writes it from its values (a new message, so nothing received is replayed). */
    static byte[] encode(IsakmpMessage m) {
        IsakmpMessage fresh = new IsakmpMessage(m.header(), m.payloads());
        ByteBuf b = Unpooled.buffer();
        try {
            IsakmpMessageEncoder.encode(fresh, b);
            return bytes(b);
        } finally {
            b.release();
        }
    }

    static byte[] encodeEncrypted(IsakmpHeader header, Octets ciphertext) {
        ByteBuf c = Unpooled.wrappedBuffer(ciphertext.toByteArray());
        ByteBuf b = Unpooled.buffer();
        try {
            IsakmpMessageEncoder.encodeEncrypted(header, c, b);
            return bytes(b);
        } finally {
            c.release();
            b.release();
        }
    }

    static byte[] chain(List<IsakmpPayload> payloads) {
        ByteBuf b = Unpooled.buffer();
        try {
            IsakmpMessageEncoder.encodeChain(payloads, b);
            assertEquals(IsakmpMessageEncoder.chainLength(payloads), b.readableBytes());
            return bytes(b);
        } finally {
            b.release();
        }
    }

    /** One payload body as its record encodes it. */
    static String body(IsakmpPayload p) {
        ByteBuf b = Unpooled.buffer();
        try {
            p.encode(b);
            assertEquals(p.encodedLength(), b.readableBytes(), p.type() + " encodedLength");
            return HEX.formatHex(bytes(b));
        } finally {
            b.release();
        }
    }

    /** One payload body decoded as {@code type}. */
    static IsakmpPayload decodeBody(PayloadType type, String hex) throws IkeProtocolException {
        ByteBuf b = Unpooled.wrappedBuffer(HEX.parseHex(hex));
        try {
            IsakmpPayload p = IsakmpMessageDecoder.body(type, b);
            assertEquals(0, b.readableBytes(), type + " decoder must consume the whole body");
            return p;
        } finally {
            b.release();
        }
    }

    static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        return out;
    }

    /** {@code call} must refuse with exactly this notify and message. */
    static IkeProtocolException assertRefused(NotifyType notify, String message, Executable call) {
        IkeProtocolException e = assertThrows(IkeProtocolException.class, call, message);
        assertEquals(notify, e.notifyType(), e.getMessage());
        assertEquals(message, e.getMessage());
        return e;
    }

    static String hex(byte[] b) {
        return HEX.formatHex(b);
    }
}
