package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * An ISAKMP message with readable payloads: one received in the clear, one decrypted, or one we built to
 * send. The header's Next Payload always names the first payload (it is derived from the list); the
 * generic headers are written by the encoder.
 *
 * <p>A decoded message also keeps the payload chain exactly as it arrived (padding excluded), because
 * the IKE hashes are computed over received bytes: HASH_I/HASH_R over the SA body of message 1 (RFC 2409
 * section 5), HASH(1..3) of Quick Mode and HASH(1) of Informational over "the entire message ... following
 * the HASH payload" (sections 5.5, 5.7). {@link #chainBytes} and {@link #bodyBytes} give those bytes, for a
 * message built here the bytes the encoder writes.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3">RFC 2408 section 3</a>
 */
public final class IsakmpMessage implements IsakmpDatagram {
    private final IsakmpHeader header;
    private final List<IsakmpPayload> payloads;
    private final byte[] chain;
    private final int[] offsets;

    /** A message to send: the header's Next Payload is set from {@code payloads}. */
    public IsakmpMessage(IsakmpHeader header, List<IsakmpPayload> payloads) {
        this(header, payloads, null, null);
    }

    IsakmpMessage(IsakmpHeader header, List<IsakmpPayload> payloads, byte[] received, int[] offsets) {
        if (header == null) {
            throw new IllegalArgumentException("header must not be null");
        }
        this.payloads = List.copyOf(payloads);
        if (this.payloads.size() > IsakmpConstants.MAX_PAYLOADS_PER_MESSAGE) {
            throw new IllegalArgumentException(this.payloads.size() + " payloads, more than "
                    + IsakmpConstants.MAX_PAYLOADS_PER_MESSAGE);
        }
        this.header = header.withNextPayload(this.payloads.isEmpty() ? PayloadType.NONE : this.payloads.get(0).type());
        if (received == null) {
            this.offsets = new int[this.payloads.size()];
            this.chain = encodeChain(this.payloads, this.offsets);
        } else {
            this.chain = received;
            this.offsets = offsets;
        }
    }

    @Override
    public IsakmpHeader header() {
        return header;
    }

    public List<IsakmpPayload> payloads() {
        return payloads;
    }

    /** The payloads of one record type, in order. */
    public <T extends IsakmpPayload> List<T> payloads(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (IsakmpPayload p : payloads) {
            if (type.isInstance(p)) {
                out.add(type.cast(p));
            }
        }
        return out;
    }

    /** The first payload of one record type, or null. */
    public <T extends IsakmpPayload> T first(Class<T> type) {
        for (IsakmpPayload p : payloads) {
            if (type.isInstance(p)) {
                return type.cast(p);
            }
        }
        return null;
    }

    /** How many payloads of {@code type} the message holds. */
    public int count(PayloadType type) {
        int n = 0;
        for (IsakmpPayload p : payloads) {
            if (p.type().equals(type)) {
                n++;
            }
        }
        return n;
    }

    /**
     * The payloads from index {@code from} to the last, generic headers included and padding excluded, as
     * received (or as the encoder writes them). {@code chainBytes(1)} of a Quick Mode message is what
     * HASH(1) and HASH(2) cover after the message ID and nonce.
     */
    public Octets chainBytes(int from) {
        if (from < 0 || from > payloads.size()) {
            throw new IndexOutOfBoundsException("payload " + from + " of " + payloads.size());
        }
        int start = from == payloads.size() ? chain.length : offsets[from];
        byte[] b = new byte[chain.length - start];
        System.arraycopy(chain, start, b, 0, b.length);
        return Octets.of(b);
    }

    /** The body of payload {@code index} without its generic header, as received: e.g. SAi_b of RFC 2409 section 5. */
    public Octets bodyBytes(int index) {
        int start = offsets[index] + IsakmpConstants.GENERIC_HEADER_LENGTH;
        int end = index + 1 < offsets.length ? offsets[index + 1] : chain.length;
        byte[] b = new byte[end - start];
        System.arraycopy(chain, start, b, 0, b.length);
        return Octets.of(b);
    }

    private static byte[] encodeChain(List<IsakmpPayload> payloads, int[] offsets) {
        ByteBuf b = Unpooled.buffer(IsakmpMessageEncoder.chainLength(payloads));
        try {
            for (int i = 0; i < payloads.size(); i++) {
                offsets[i] = b.writerIndex();
                IsakmpMessageEncoder.encodePayload(payloads, i, b);
            }
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            return out;
        } finally {
            b.release();
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IsakmpMessage && ((IsakmpMessage) o).header.equals(header)
                && ((IsakmpMessage) o).payloads.equals(payloads);
    }

    @Override
    public int hashCode() {
        return header.hashCode() * 31 + payloads.hashCode();
    }

    /** E.g. "ID_PROT 5c3e357ea40ecc62_i ... [ SA VID VID ]", the payload list as strongSwan logs it. */
    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(" ", header + " [ ", " ]");
        for (IsakmpPayload p : payloads) {
            j.add(p.type().toString());
        }
        return j.toString();
    }
}
