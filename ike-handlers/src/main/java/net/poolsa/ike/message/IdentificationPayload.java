package net.poolsa.ike.message;

import io.netty.buffer.ByteBuf;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

/**
 * The body of an IKEv1 Identification payload in the IPsec DOI: what follows the 4-byte generic payload
 * header, which the message codec handles once for every payload.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !  Next Payload !   RESERVED    !        Payload Length         !  (generic header, not in this record)
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * !    ID Type    !  Protocol ID  !             Port              !  offset 0 of the body
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                     Identification Data                       ~  offset 4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 *
 * Identification Data by type (all addresses in network order):
 * <ul>
 * <li>ID_IPV4_ADDR: 4 bytes; ID_IPV6_ADDR: 16 bytes.</li>
 * <li>ID_IPV4_ADDR_SUBNET: address, then netmask (8 bytes); ID_IPV6_ADDR_SUBNET: 32 bytes. The mask must
 *     be contiguous; host bits set in the address are accepted and cleared when the ID becomes a pool,
 *     as a router does with a route.</li>
 * <li>ID_IPV4_ADDR_RANGE: first, then last address (8 bytes, first &lt;= last); ID_IPV6_ADDR_RANGE: 32 bytes.</li>
 * <li>ID_LIST (RFC 3554 section 3): one or more complete Identification payloads, each with its own
 *     generic header (whose Next Payload is ignored on receipt) and ID body; no ID_LIST inside an ID_LIST.
 *     The ID_LIST's own Protocol ID and Port are sent as zero and ignored on receipt.</li>
 * <li>ID_FQDN, ID_USER_FQDN (phase 1): a name, not empty, without terminators or other control
 *     characters (RFC 2407 section 4.6.2.1: "MUST not contain any terminators").</li>
 * <li>ID_DER_ASN1_DN (phase 1): one DER SEQUENCE (the Name) whose definite length covers exactly the data;
 *     ID_KEY_ID: opaque, not empty.</li>
 * <li>Every other type (ID_DER_ASN1_GN, unknown codes) is opaque bytes here.</li>
 * </ul>
 *
 * <p>Phase 1 (Main Mode IDii/IDir) uses the same payload with Protocol ID and Port zero (RFC 2407
 * section 4.6.2: zero or UDP/500); the factories for those IDs set them so.
 *
 * <p>The data is kept as the bytes received, so a decoded payload re-encodes byte for byte; the typed
 * views ({@link #listEntries()}) are derived from them. A decode failure is an {@link IkeProtocolException}
 * carrying PAYLOAD-MALFORMED (fixed fields truncated) or INVALID-ID-INFORMATION (data does not fit the
 * type); building an invalid payload ourselves is an {@link IllegalArgumentException}.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.6.2">RFC 2407 section 4.6.2</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-3">RFC 3554 section 3</a>
 */
public record IdentificationPayload(IdType idType, int protocolId, int port, byte[] data) implements IsakmpPayload {
    /** Size of ID Type, Protocol ID and Port. */
    public static final int FIXED_LENGTH = 4;
    /** Size of the generic payload header in front of every payload, also of each ID inside an ID_LIST. */
    public static final int GENERIC_HEADER_LENGTH = IsakmpConstants.GENERIC_HEADER_LENGTH;
    /** The 16-bit Payload Length covers the generic header too, so a body is at most this long. */
    public static final int MAX_BODY_LENGTH = IsakmpConstants.MAX_BODY_LENGTH;
    /** ISAKMP payload type of an Identification payload: the Next Payload value chained IDs in a list carry. */
    public static final int PAYLOAD_TYPE_ID = 5;

    public IdentificationPayload {
        if (idType == null || data == null) {
            throw new IllegalArgumentException("ID type and data must not be null");
        }
        if (protocolId < 0 || protocolId > 255) {
            throw new IllegalArgumentException("protocol ID " + protocolId + " is not within 0-255");
        }
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("port " + port + " is not within 0-65535");
        }
        if (data.length > MAX_BODY_LENGTH - FIXED_LENGTH) {
            throw new IllegalArgumentException("identification data of " + data.length + " bytes exceeds the "
                    + (MAX_BODY_LENGTH - FIXED_LENGTH) + " a payload can carry");
        }
        data = data.clone();
        String problem = problem(idType, data, 0, data.length);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /**
     * Decodes a whole body: every readable byte of {@code body} (the slice the message codec cut out after
     * the generic header) is consumed. The buffer is neither retained nor released.
     */
    public static IdentificationPayload decode(ByteBuf body) throws IkeProtocolException {
        int n = body.readableBytes();
        if (n < FIXED_LENGTH) {
            throw new IkeProtocolException(NotifyType.PAYLOAD_MALFORMED,
                    "Identification payload needs at least " + FIXED_LENGTH + " bytes, got " + n);
        }
        if (n > MAX_BODY_LENGTH) {
            throw new IkeProtocolException(NotifyType.PAYLOAD_MALFORMED,
                    "Identification payload body of " + n + " bytes exceeds " + MAX_BODY_LENGTH);
        }
        IdType type = IdType.of(body.readUnsignedByte());
        int protocolId = body.readUnsignedByte();
        int port = body.readUnsignedShort();
        byte[] data = new byte[n - FIXED_LENGTH];
        body.readBytes(data);
        String problem = problem(type, data, 0, data.length);
        if (problem != null) {
            throw new IkeProtocolException(NotifyType.INVALID_ID_INFORMATION, problem);
        }
        return new IdentificationPayload(type, protocolId, port, data);
    }

    /** A phase-1 ID_FQDN, e.g. "gw.example.net". */
    public static IdentificationPayload fqdn(String name) {
        return new IdentificationPayload(IdType.ID_FQDN, 0, 0, name.getBytes(StandardCharsets.UTF_8));
    }

    /** A phase-1 ID_USER_FQDN, e.g. "ops@example.net". */
    public static IdentificationPayload userFqdn(String name) {
        return new IdentificationPayload(IdType.ID_USER_FQDN, 0, 0, name.getBytes(StandardCharsets.UTF_8));
    }

    /** A phase-1 ID_KEY_ID: opaque bytes the peer's configuration matches. */
    public static IdentificationPayload keyId(byte[] id) {
        return new IdentificationPayload(IdType.ID_KEY_ID, 0, 0, id);
    }

    /** A phase-1 ID_DER_ASN1_DN: the DER encoding of an X.501 Name. */
    public static IdentificationPayload derAsn1Dn(byte[] der) {
        return new IdentificationPayload(IdType.ID_DER_ASN1_DN, 0, 0, der);
    }

    /** A phase-1 ID_IPV4_ADDR or ID_IPV6_ADDR (an IPv4-mapped IPv6 address stays IPv6 only as Inet6Address). */
    public static IdentificationPayload address(InetAddress address) {
        byte[] a = address.getAddress();
        return new IdentificationPayload(a.length == 4 ? IdType.ID_IPV4_ADDR : IdType.ID_IPV6_ADDR, 0, 0, a);
    }

    /** The name of an ID_FQDN or ID_USER_FQDN. */
    public String name() {
        if (!idType.isName()) {
            throw new IllegalStateException(idType + " carries no name");
        }
        return new String(data, StandardCharsets.UTF_8);
    }

    /** The address of an ID_IPV4_ADDR or ID_IPV6_ADDR. */
    public InetAddress address() {
        if (!idType.equals(IdType.ID_IPV4_ADDR) && !idType.equals(IdType.ID_IPV6_ADDR)) {
            throw new IllegalStateException(idType + " carries no single address");
        }
        try {
            return data.length == 4 ? InetAddress.getByAddress(data) : Inet6Address.getByAddress(null, data, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public PayloadType type() {
        return PayloadType.IDENTIFICATION;
    }

    /** Writes ID Type, Protocol ID, Port and the data; {@link #encodedLength()} bytes. */
    @Override
    public void encode(ByteBuf out) {
        out.writeByte(idType.code());
        out.writeByte(protocolId);
        out.writeShort(port);
        out.writeBytes(data);
    }

    /** Length of the body {@link #encode(ByteBuf)} writes. */
    @Override
    public int encodedLength() {
        return FIXED_LENGTH + data.length;
    }

    /** A copy of the identification data. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Byte {@code i} of the data, without copying. */
    public int dataByte(int i) {
        return data[i] & 0xff;
    }

    public int dataLength() {
        return data.length;
    }

    /**
     * An ID_LIST holding {@code entries} in order. Each entry goes out with a generic header whose Next
     * Payload chains to the following entry (5, ID) and is 0 on the last, as a payload chain would be;
     * RFC 3554 leaves the value open and tells the receiver to ignore it.
     */
    public static IdentificationPayload list(List<IdentificationPayload> entries) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("an ID_LIST needs at least one ID");
        }
        int total = 0;
        for (IdentificationPayload e : entries) {
            if (e.idType.equals(IdType.ID_LIST)) {
                throw new IllegalArgumentException("RFC 3554 section 3: an ID_LIST cannot contain an ID_LIST");
            }
            total += GENERIC_HEADER_LENGTH + e.encodedLength();
        }
        if (total > MAX_BODY_LENGTH - FIXED_LENGTH) {
            throw new IllegalArgumentException("ID_LIST of " + entries.size() + " IDs needs " + total
                    + " bytes, more than a payload can carry");
        }
        byte[] data = new byte[total];
        int off = 0;
        for (int i = 0; i < entries.size(); i++) {
            IdentificationPayload e = entries.get(i);
            int len = GENERIC_HEADER_LENGTH + e.encodedLength();
            data[off] = (byte) (i + 1 < entries.size() ? PAYLOAD_TYPE_ID : 0);
            data[off + 1] = 0;
            data[off + 2] = (byte) (len >>> 8);
            data[off + 3] = (byte) len;
            data[off + 4] = (byte) e.idType.code();
            data[off + 5] = (byte) e.protocolId;
            data[off + 6] = (byte) (e.port >>> 8);
            data[off + 7] = (byte) e.port;
            System.arraycopy(e.data, 0, data, off + 8, e.data.length);
            off += len;
        }
        return new IdentificationPayload(IdType.ID_LIST, 0, 0, data);
    }

    /** The IDs inside an ID_LIST, in order; the empty list for any other type. */
    public List<IdentificationPayload> listEntries() {
        if (!idType.equals(IdType.ID_LIST)) {
            return Collections.emptyList();
        }
        List<IdentificationPayload> out = new ArrayList<>();
        int off = 0;
        while (off < data.length) {
            int len = ((data[off + 2] & 0xff) << 8) | (data[off + 3] & 0xff);
            out.add(new IdentificationPayload(IdType.of(data[off + 4] & 0xff), data[off + 5] & 0xff,
                    ((data[off + 6] & 0xff) << 8) | (data[off + 7] & 0xff),
                    Arrays.copyOfRange(data, off + 8, off + len)));
            off += len;
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * Why {@code len} bytes at {@code off} are not valid data for {@code type}, or null if they are.
     * Every length is checked before the bytes it covers are read.
     */
    private static String problem(IdType type, byte[] d, int off, int len) {
        switch (type.code()) {
            case 1:
                return exact(type, len, 4);
            case 5:
                return exact(type, len, 16);
            case 4:
            case 6: {
                int size = type.code() == 4 ? 4 : 16;
                String p = exact(type, len, 2 * size);
                if (p != null) {
                    return p;
                }
                if (!contiguous(d, off + size, size)) {
                    return type + " mask " + text(d, off + size, size) + " is not contiguous";
                }
                return null;
            }
            case 7:
            case 8: {
                int size = type.code() == 7 ? 4 : 16;
                String p = exact(type, len, 2 * size);
                if (p != null) {
                    return p;
                }
                if (Arrays.compareUnsigned(d, off, off + size, d, off + size, off + 2 * size) > 0) {
                    return type + " start " + text(d, off, size) + " is after end " + text(d, off + size, size);
                }
                return null;
            }
            case 12:
                return listProblem(d, off, len);
            case 2:
            case 3:
                return nameProblem(type, d, off, len);
            case 9:
                return derProblem(type, d, off, len);
            case 11:
                return len == 0 ? type + " is empty" : null;
            default:
                return null;
        }
    }

    private static String nameProblem(IdType type, byte[] d, int off, int len) {
        if (len == 0) {
            return type + " is empty";
        }
        for (int i = off; i < off + len; i++) {
            int c = d[i] & 0xff;
            if (c < 0x20 || c == 0x7f) {
                return type + " holds control character 0x" + Integer.toHexString(c) + " at offset " + (i - off);
            }
        }
        return null;
    }

    /** One DER SEQUENCE with a definite length of at most 4 length bytes, covering exactly the data. */
    private static String derProblem(IdType type, byte[] d, int off, int len) {
        if (len < 2 || d[off] != 0x30) {
            return type + " is not a DER SEQUENCE";
        }
        int first = d[off + 1] & 0xff;
        long content;
        int header;
        if (first < 0x80) {
            content = first;
            header = 2;
        } else {
            int n = first & 0x7f;
            if (n == 0 || n > 4 || len < 2 + n) {
                return type + " has an unusable DER length (0x" + Integer.toHexString(first) + ")";
            }
            content = 0;
            for (int i = 0; i < n; i++) {
                content = (content << 8) | (d[off + 2 + i] & 0xff);
            }
            header = 2 + n;
        }
        if (header + content != len) {
            return type + " DER length " + content + " does not fill the " + (len - header) + " bytes after its header";
        }
        return null;
    }

    private static String listProblem(byte[] d, int off, int len) {
        if (len == 0) {
            return "ID_LIST holds no IDs";
        }
        int end = off + len;
        int entry = 0;
        while (off < end) {
            entry++;
            int left = end - off;
            if (left < GENERIC_HEADER_LENGTH + FIXED_LENGTH) {
                return "ID_LIST entry " + entry + " needs at least " + (GENERIC_HEADER_LENGTH + FIXED_LENGTH)
                        + " bytes, got " + left;
            }
            int plen = ((d[off + 2] & 0xff) << 8) | (d[off + 3] & 0xff);
            if (plen < GENERIC_HEADER_LENGTH + FIXED_LENGTH) {
                return "ID_LIST entry " + entry + " payload length " + plen + " is below the minimum "
                        + (GENERIC_HEADER_LENGTH + FIXED_LENGTH);
            }
            if (plen > left) {
                return "ID_LIST entry " + entry + " payload length " + plen + " exceeds the " + left + " bytes left";
            }
            IdType t = IdType.of(d[off + 4] & 0xff);
            if (t.equals(IdType.ID_LIST)) {
                return "ID_LIST entry " + entry + " is an ID_LIST; RFC 3554 section 3 forbids nesting";
            }
            String p = problem(t, d, off + GENERIC_HEADER_LENGTH + FIXED_LENGTH, plen - GENERIC_HEADER_LENGTH - FIXED_LENGTH);
            if (p != null) {
                return "ID_LIST entry " + entry + ": " + p;
            }
            off += plen;
        }
        return null;
    }

    private static String exact(IdType type, int len, int want) {
        return len == want ? null : type + " needs " + want + " bytes, got " + len;
    }

    /** True when the mask is ones followed by zeros (all-zero and all-one masks included). */
    private static boolean contiguous(byte[] d, int off, int size) {
        boolean zeroSeen = false;
        for (int i = off; i < off + size; i++) {
            int b = d[i] & 0xff;
            for (int bit = 7; bit >= 0; bit--) {
                boolean one = ((b >>> bit) & 1) != 0;
                if (one && zeroSeen) {
                    return false;
                }
                zeroSeen |= !one;
            }
        }
        return true;
    }

    private static String text(byte[] d, int off, int size) {
        try {
            return InetAddress.getByAddress(Arrays.copyOfRange(d, off, off + size)).getHostAddress();
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** Prefix length of a SUBNET id's contiguous mask. */
    public int subnetPrefixLength() {
        int size;
        if (idType.equals(IdType.ID_IPV4_ADDR_SUBNET)) {
            size = 4;
        } else if (idType.equals(IdType.ID_IPV6_ADDR_SUBNET)) {
            size = 16;
        } else {
            throw new IllegalStateException(idType + " has no mask");
        }
        int n = 0;
        for (int i = size; i < 2 * size; i++) {
            n += Integer.bitCount(data[i] & 0xff);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof IdentificationPayload)) {
            return false;
        }
        IdentificationPayload p = (IdentificationPayload) o;
        return idType.equals(p.idType) && protocolId == p.protocolId && port == p.port && Arrays.equals(data, p.data);
    }

    @Override
    public int hashCode() {
        return ((idType.hashCode() * 31 + protocolId) * 31 + port) * 31 + Arrays.hashCode(data);
    }

    /** E.g. "ID_IPV4_ADDR_SUBNET 192.0.2.0/255.255.255.0 proto 132 port 0"; opaque types in hex. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder().append(idType).append(' ');
        switch (idType.code()) {
            case 1:
                sb.append(text(data, 0, 4));
                break;
            case 5:
                sb.append(text(data, 0, 16));
                break;
            case 4:
                sb.append(text(data, 0, 4)).append('/').append(text(data, 4, 4));
                break;
            case 6:
                sb.append(text(data, 0, 16)).append('/').append(subnetPrefixLength());
                break;
            case 7:
                sb.append(text(data, 0, 4)).append('-').append(text(data, 4, 4));
                break;
            case 8:
                sb.append(text(data, 0, 16)).append('-').append(text(data, 16, 16));
                break;
            case 12:
                sb.append(listEntries());
                break;
            case 2:
            case 3:
                sb.append(name());
                break;
            default:
                sb.append(HexFormat.of().formatHex(data));
        }
        return sb.append(" proto ").append(protocolId).append(" port ").append(port).toString();
    }
}
