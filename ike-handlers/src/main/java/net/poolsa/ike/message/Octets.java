package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable byte string: the opaque fields of ISAKMP payloads (nonces, hashes, KE data, SPIs, vendor
 * IDs). Records that hold one get value equality for free, and nobody can change a decoded message
 * behind the codec's back. {@link #toString()} is hex: none of these fields is secret on the wire.
 */
public final class Octets {
    /** The empty byte string. */
    public static final Octets EMPTY = new Octets(new byte[0]);
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;

    private Octets(byte[] bytes) {
        this.bytes = bytes;
    }

    /** A copy of {@code bytes}. */
    public static Octets of(byte[] bytes) {
        return bytes.length == 0 ? EMPTY : new Octets(bytes.clone());
    }

    /** E.g. {@code Octets.fromHex("afcad713")}. */
    public static Octets fromHex(String hex) {
        return new Octets(HEX.parseHex(hex));
    }

    /** The next {@code length} readable bytes of {@code in}, which the caller has checked are there. */
    static Octets read(ByteBuf in, int length) {
        if (length == 0) {
            return EMPTY;
        }
        byte[] b = new byte[length];
        in.readBytes(b);
        return new Octets(b);
    }

    /** A 4-byte SPI or sequence number, big-endian. */
    public static Octets ofInt(int value) {
        return new Octets(new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
    }

    /** The ISAKMP cookie pair as one 16-byte SPI (RFC 2408 section 3.14, RFC 2407 section 4.6.3.3). */
    public static Octets ofCookies(long initiatorCookie, long responderCookie) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (initiatorCookie >>> (56 - 8 * i));
            b[8 + i] = (byte) (responderCookie >>> (56 - 8 * i));
        }
        return new Octets(b);
    }

    public int length() {
        return bytes.length;
    }

    public boolean isEmpty() {
        return bytes.length == 0;
    }

    /** Byte {@code i}, unsigned. */
    public int byteAt(int i) {
        return bytes[i] & 0xff;
    }

    /** Bytes {@code off..off+3} as a big-endian int. */
    public int intAt(int off) {
        return (byteAt(off) << 24) | (byteAt(off + 1) << 16) | (byteAt(off + 2) << 8) | byteAt(off + 3);
    }

    /** Bytes {@code off..off+7} as a big-endian long. */
    public long longAt(int off) {
        return ((long) intAt(off) << 32) | (intAt(off + 4) & 0xffffffffL);
    }

    public byte[] toByteArray() {
        return bytes.clone();
    }

    public void writeTo(ByteBuf out) {
        out.writeBytes(bytes);
    }

    public String toHex() {
        return HEX.formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Octets && Arrays.equals(((Octets) o).bytes, bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return toHex();
    }
}
