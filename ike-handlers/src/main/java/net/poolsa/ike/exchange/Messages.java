package net.poolsa.ike.exchange;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import net.poolsa.ike.crypto.IsakmpEncryption;
import net.poolsa.ike.message.EncryptedIsakmpMessage;
import net.poolsa.ike.message.ExchangeType;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IsakmpHeader;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.IsakmpMessageDecoder;
import net.poolsa.ike.message.IsakmpMessageEncoder;
import net.poolsa.ike.message.IsakmpPayload;
import net.poolsa.ike.sa.IkeSa;

/**
 * The glue between the codec and the crypto layer: a message to bytes (in the clear, or encrypted with the SA's
 * key and IV chain, RFC 2409 Appendix B) and an encrypted message back to payloads. Datagrams are kept as byte
 * arrays so that a retransmission resends the very bytes sent first (never re-encrypting, which would move the
 * IV chain).
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2409#appendix-B">RFC 2409 Appendix B</a>
 */
final class Messages {
    private Messages() {
    }

    /** A decrypted message and the handle that moves the IV chain once its HASH verified. */
    record Opened(IsakmpMessage message, IsakmpEncryption.Decrypted decrypted, IkeSa sa, int bytes) {
        boolean retransmission() {
            return decrypted.retransmission();
        }

        /**
         * The message's HASH verified: the IV chain moves on, and its bytes count against the ISAKMP SA's lifetime in
         * kilobytes (only now: anyone who saw the cookies can send bytes that decrypt to something).
         */
        void confirm() {
            decrypted.confirm();
            sa.protect(bytes);
        }
    }

    /** The payload chain without a header (what HASH(1..3) cover, what gets encrypted). */
    static byte[] chain(List<IsakmpPayload> payloads) {
        ByteBuf b = Unpooled.buffer(IsakmpMessageEncoder.chainLength(payloads));
        try {
            IsakmpMessageEncoder.encodeChain(payloads, b);
            return bytes(b);
        } finally {
            b.release();
        }
    }

    /** A message sent in the clear. */
    static byte[] clear(long initiatorCookie, long responderCookie, ExchangeType type, int messageId,
                        List<IsakmpPayload> payloads) {
        IsakmpMessage m = new IsakmpMessage(IsakmpHeader.of(initiatorCookie, responderCookie, type, messageId), payloads);
        ByteBuf b = Unpooled.buffer();
        try {
            IsakmpMessageEncoder.encode(m, b);
            return bytes(b);
        } finally {
            b.release();
        }
    }

    /**
     * A message encrypted under {@code sa}: the chain moves on (Main Mode, Quick Mode) unless {@code informational}
     * (RFC 2409 Appendix B: Informational IVs are derived fresh from the message ID).
     */
    static byte[] encrypted(IkeSa sa, ExchangeType type, int messageId, List<IsakmpPayload> payloads,
                            boolean informational) {
        byte[] plain = chain(payloads);
        byte[] ct = informational ? sa.encryption().encryptInformational(messageId, plain)
                : sa.encryption().encrypt(messageId, plain);
        sa.protect(ct.length);
        IsakmpHeader h = IsakmpHeader.of(sa.initiatorCookie(), sa.responderCookie(), type, messageId,
                IsakmpHeader.Flag.ENCRYPTION).withNextPayload(payloads.get(0).type());
        ByteBuf c = Unpooled.wrappedBuffer(ct);
        ByteBuf b = Unpooled.buffer(28 + ct.length);
        try {
            IsakmpMessageEncoder.encodeEncrypted(h, c, b);
            return bytes(b);
        } finally {
            b.release();
            c.release();
        }
    }

    /** Decrypts and walks an encrypted message of {@code sa}; nothing moves until the caller confirms. */
    static Opened open(IkeSa sa, EncryptedIsakmpMessage m, boolean informational) throws IkeProtocolException {
        if (sa.encryption() == null) {
            throw Refusal.silent(IkeDropReason.UNEXPECTED, "encrypted " + m.header().exchangeType()
                    + " before the keys exist");
        }
        byte[] body = m.ciphertext().toByteArray();
        int mid = m.header().messageId();
        IsakmpEncryption.Decrypted d = informational ? sa.encryption().decryptInformational(mid, body)
                : sa.encryption().decrypt(mid, body);
        ByteBuf plain = Unpooled.wrappedBuffer(d.plaintext());
        try {
            return new Opened(IsakmpMessageDecoder.decodePlaintext(m.header(), plain), d, sa, body.length);
        } finally {
            plain.release();
        }
    }

    /** A payload's body without its generic header, as the hashes cover it (IDii_b, IDir_b ...). */
    static byte[] body(IsakmpPayload p) {
        ByteBuf b = Unpooled.buffer(p.encodedLength());
        try {
            p.encode(b);
            return bytes(b);
        } finally {
            b.release();
        }
    }

    static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), out);
        return out;
    }
}
