package net.poolsa.ike.pool;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.message.IdType;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.NotifyType;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts an {@link AddressPool} to the Quick Mode Identification payloads that carry it, and back: the
 * paper's "likely IP addresses in the Identity payload of the ISAKMP messages exchanged in the second
 * ISAKMP phase ... as pairs [IP address, netmask]" (section 3.2).
 *
 * <p>A pool is a list of disjoint, non-adjacent ranges, and each range becomes exactly one ID, the
 * narrowest type that holds it: one address is ID_IPVx_ADDR, an aligned power-of-two block is
 * ID_IPVx_ADDR_SUBNET, anything else ID_IPVx_ADDR_RANGE. No two ranges of a pool can share an ID, so
 * this is the fewest IDs possible.
 *
 * <p>Interoperability (seen with strongSwan 5.9.8, /work/shared/lab/NOTES.md): strongSwan sends a subnet as
 * ID_IPV4_ADDR_SUBNET, a /32 as ID_IPV4_ADDR and a non-prefix range as ID_IPV4_ADDR_RANGE, as done here.
 * It does not know RFC 3554's ID_LIST (its ID types stop at 11) and, given one in Quick Mode, silently
 * falls back to host-to-host selectors built from the IKE addresses instead of refusing; and IKEv1
 * strongSwan uses only the first subnet pair of a connection with several. So a pool of more than one
 * range reaches it only as one Quick Mode, and one SA pair, per range: {@link Compatibility}. An
 * initiator that sends an ID_LIST must compare the IDs the responder returns with the ones it sent.
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2407#section-4.6.2">RFC 2407 section 4.6.2</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-3">RFC 3554 section 3</a>
 */
public final class PoolIdentities {
    private static final BigInteger V4_MASK = BigInteger.ONE.shiftLeft(32).subtract(BigInteger.ONE);
    private static final BigInteger V6_MASK = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);
    private static final BigInteger LONG_MASK = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /** How a pool of several ranges is offered to a peer. */
    public enum Compatibility {
        /** One Quick Mode whose ID is an RFC 3554 ID_LIST of all ranges: one SA pair, as the paper intends. */
        ID_LIST,
        /** One Quick Mode per range, each with a plain ID: what IKEv1 strongSwan can negotiate. */
        ONE_SUBNET_PER_QUICK_MODE
    }

    private PoolIdentities() {
    }

    /** One ID per range of {@code pool}, IPv4 ranges first, in address order; all carry the same protocol and port. */
    public static List<IdentificationPayload> toIds(AddressPool pool, int protocolId, int port) {
        if (pool.isEmpty()) {
            throw new IllegalArgumentException("an empty pool has no identification");
        }
        List<IdentificationPayload> out = new ArrayList<>();
        // Read the ranges through the primitive accessors: going through InetAddress would fold an
        // IPv4-mapped IPv6 range (::ffff:192.0.2.0/120) into IPv4.
        for (int i = 0; i < pool.v4RangeCount(); i++) {
            out.add(toId(BigInteger.valueOf(pool.v4First(i)), BigInteger.valueOf(pool.v4Last(i)), 4, protocolId, port));
        }
        for (int i = 0; i < pool.v6RangeCount(); i++) {
            out.add(toId(u128(pool.v6FirstHi(i), pool.v6FirstLo(i)), u128(pool.v6LastHi(i), pool.v6LastLo(i)), 16,
                    protocolId, port));
        }
        return out;
    }

    /**
     * The one ID that carries all of {@code pool}: its only ID if it has one range (every peer reads
     * that), else an ID_LIST of {@link #toIds} whose own Protocol ID and Port are zero (RFC 3554 section 3).
     */
    public static IdentificationPayload toSingleId(AddressPool pool, int protocolId, int port) {
        List<IdentificationPayload> ids = toIds(pool, protocolId, port);
        return ids.size() == 1 ? ids.get(0) : IdentificationPayload.list(ids);
    }

    /**
     * The ID to send in each Quick Mode needed to offer {@code pool}: one element per exchange. With
     * {@link Compatibility#ID_LIST} there is always exactly one.
     */
    public static List<IdentificationPayload> forQuickModes(AddressPool pool, int protocolId, int port,
                                                            Compatibility compatibility) {
        if (compatibility == Compatibility.ID_LIST) {
            return List.of(toSingleId(pool, protocolId, port));
        }
        return toIds(pool, protocolId, port);
    }

    /**
     * The addresses an ID covers. Address types and ID_LIST are accepted; any other type (an FQDN, say)
     * cannot be a Quick Mode selector and is INVALID-ID-INFORMATION, inside an ID_LIST too, where RFC 3554
     * makes the whole list at fault. The IDs of one ID_LIST must agree on Protocol ID and Port, since a
     * pool has one of each; the list's own fields are ignored as RFC 3554 requires.
     */
    public static AddressPool toPool(IdentificationPayload id) throws IkeProtocolException {
        if (!id.idType().equals(IdType.ID_LIST)) {
            AddressPool.Builder b = AddressPool.builder();
            addTo(b, id, null);
            return b.build();
        }
        List<IdentificationPayload> entries = id.listEntries();
        AddressPool.Builder b = AddressPool.builder();
        IdentificationPayload first = entries.get(0);
        for (int i = 0; i < entries.size(); i++) {
            IdentificationPayload e = entries.get(i);
            String where = "ID_LIST entry " + (i + 1);
            if (e.protocolId() != first.protocolId() || e.port() != first.port()) {
                throw new IkeProtocolException(NotifyType.INVALID_ID_INFORMATION, where + " has protocol "
                        + e.protocolId() + " port " + e.port() + ", entry 1 has protocol " + first.protocolId()
                        + " port " + first.port());
            }
            addTo(b, e, where);
        }
        return b.build();
    }

    /** Protocol ID the selector of {@code id} carries: for an ID_LIST, that of its entries. */
    public static int selectorProtocol(IdentificationPayload id) {
        return id.idType().equals(IdType.ID_LIST) ? id.listEntries().get(0).protocolId() : id.protocolId();
    }

    /** Port the selector of {@code id} carries: for an ID_LIST, that of its entries. */
    public static int selectorPort(IdentificationPayload id) {
        return id.idType().equals(IdType.ID_LIST) ? id.listEntries().get(0).port() : id.port();
    }

    private static void addTo(AddressPool.Builder b, IdentificationPayload id, String where)
            throws IkeProtocolException {
        IdType t = id.idType();
        if (!t.isAddress()) {
            String what = where == null ? t + " is" : where + " is " + t + ",";
            throw new IkeProtocolException(NotifyType.INVALID_ID_INFORMATION, what + " not an address selector");
        }
        int size = t.isV6() ? 16 : 4;
        byte[] d = id.data();
        BigInteger a = new BigInteger(1, slice(d, 0, size));
        BigInteger first;
        BigInteger last;
        if (t.equals(IdType.ID_IPV4_ADDR) || t.equals(IdType.ID_IPV6_ADDR)) {
            first = a;
            last = a;
        } else if (t.equals(IdType.ID_IPV4_ADDR_SUBNET) || t.equals(IdType.ID_IPV6_ADDR_SUBNET)) {
            BigInteger mask = new BigInteger(1, slice(d, size, size));
            BigInteger all = size == 4 ? V4_MASK : V6_MASK;
            first = a.and(mask);
            last = first.or(all.xor(mask));
        } else {
            first = a;
            last = new BigInteger(1, slice(d, size, size));
        }
        b.add(literal(first, size) + "-" + literal(last, size));
    }

    private static IdentificationPayload toId(BigInteger first, BigInteger last, int size, int protocolId, int port) {
        boolean v4 = size == 4;
        byte[] f = bytes(first, size);
        if (first.equals(last)) {
            return new IdentificationPayload(v4 ? IdType.ID_IPV4_ADDR : IdType.ID_IPV6_ADDR, protocolId, port, f);
        }
        BigInteger count = last.subtract(first).add(BigInteger.ONE);
        // An aligned block: a power-of-two count, and no address bit set below the block size.
        boolean block = count.bitCount() == 1 && (first.signum() == 0 || first.getLowestSetBit() >= count.getLowestSetBit());
        byte[] d = new byte[2 * size];
        System.arraycopy(f, 0, d, 0, size);
        if (block) {
            BigInteger mask = (v4 ? V4_MASK : V6_MASK).xor(count.subtract(BigInteger.ONE));
            System.arraycopy(bytes(mask, size), 0, d, size, size);
            return new IdentificationPayload(v4 ? IdType.ID_IPV4_ADDR_SUBNET : IdType.ID_IPV6_ADDR_SUBNET,
                    protocolId, port, d);
        }
        System.arraycopy(bytes(last, size), 0, d, size, size);
        return new IdentificationPayload(v4 ? IdType.ID_IPV4_ADDR_RANGE : IdType.ID_IPV6_ADDR_RANGE, protocolId, port, d);
    }

    private static BigInteger u128(long hi, long lo) {
        return BigInteger.valueOf(hi).and(LONG_MASK).shiftLeft(64).or(BigInteger.valueOf(lo).and(LONG_MASK));
    }

    private static byte[] slice(byte[] d, int off, int len) {
        byte[] out = new byte[len];
        System.arraycopy(d, off, out, 0, len);
        return out;
    }

    private static byte[] bytes(BigInteger v, int size) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[size];
        int n = Math.min(raw.length, size);
        System.arraycopy(raw, raw.length - n, out, size - n, n);
        return out;
    }

    private static String literal(BigInteger v, int size) {
        try {
            // Inet6Address.getByAddress keeps an IPv4-mapped address IPv6; InetAddress.getByAddress would not.
            byte[] b = bytes(v, size);
            return size == 4 ? InetAddress.getByAddress(b).getHostAddress()
                    : Inet6Address.getByAddress(null, b, -1).getHostAddress();
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
