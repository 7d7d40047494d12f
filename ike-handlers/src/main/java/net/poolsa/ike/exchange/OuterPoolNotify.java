package net.poolsa.ike.exchange;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import net.poolsa.esp.sa.AddressPool;
import net.poolsa.ike.message.Doi;
import net.poolsa.ike.message.IdentificationPayload;
import net.poolsa.ike.message.IkeProtocolException;
import net.poolsa.ike.message.IsakmpMessage;
import net.poolsa.ike.message.NotificationPayload;
import net.poolsa.ike.message.NotifyType;
import net.poolsa.ike.message.Octets;
import net.poolsa.ike.message.ProtocolId;
import net.poolsa.ike.message.VendorIdPayload;
import net.poolsa.ike.pool.PoolIdentities;

/**
 * The poolsa outer-pool extension (docs/ikev1-pools.md): a Vendor ID in Main Mode messages 1 and 2 says "I
 * understand outer-pool notifications"; then, only towards a peer that sent it, Quick Mode messages 1 and 2
 * carry a private-use status notification whose data is the body of an Identification payload (RFC 2407
 * §4.6.2) holding the sender's outer pool: one address, subnet or range ID, or an RFC 3554 ID_LIST of them.
 * Status notifications are ignored by a receiver that does not know them (RFC 2408 §3.14.1), and only peers that
 * announced the vendor ID get one anyway, so a peer without the extension falls back to the IKE address.
 *
 * <pre>
 * Vendor ID:  MD5("poolsa outer pools v1")
 * Notify:     DOI 1 (IPsec), Protocol-ID = the proposal's (ESP 3 or AH 2), SPI = the sender's inbound SPI,
 *             type 38400 (private-use status, 32768-40959), data = ID Type | Protocol ID 0 | Port 0 | ID data
 * </pre>
 *
 * @see <a href="https://www.rfc-editor.org/rfc/rfc2408#section-3.14.1">RFC 2408 §3.14.1</a>
 * @see <a href="https://www.rfc-editor.org/rfc/rfc3554#section-3">RFC 3554 §3</a>
 */
public final class OuterPoolNotify {
    /** The notify type: private-use status range of RFC 2408 §3.14.1. */
    public static final NotifyType TYPE = NotifyType.of(38400);
    /** MD5("poolsa outer pools v1"). */
    public static final Octets VENDOR_ID = md5("poolsa outer pools v1");

    private OuterPoolNotify() {
    }

    static VendorIdPayload vendorId() {
        return new VendorIdPayload(VENDOR_ID);
    }

    /** Whether the peer's Main Mode message announced the extension. */
    static boolean announced(IsakmpMessage m) {
        for (VendorIdPayload v : m.payloads(VendorIdPayload.class)) {
            if (v.data().equals(VENDOR_ID)) {
                return true;
            }
        }
        return false;
    }

    /** The notification announcing {@code pool} for the SA of {@code protocol} whose inbound SPI is {@code spi}. */
    public static NotificationPayload build(ProtocolId protocol, int spi, AddressPool pool) {
        IdentificationPayload id = PoolIdentities.toSingleId(pool, 0, 0);
        ByteBuf b = Unpooled.buffer(id.encodedLength());
        try {
            id.encode(b);
            return new NotificationPayload(Doi.IPSEC, protocol, TYPE, Octets.ofInt(spi), Octets.of(Messages.bytes(b)));
        } finally {
            b.release();
        }
    }

    /** The outer-pool notification of {@code m}, or null. */
    static NotificationPayload find(IsakmpMessage m) {
        for (NotificationPayload n : m.payloads(NotificationPayload.class)) {
            if (n.notifyType().equals(TYPE)) {
                return n;
            }
        }
        return null;
    }

    /**
     * The pool a notification announces.
     *
     * @throws IkeProtocolException INVALID-ID-INFORMATION when the data is no address ID (or ID_LIST of them) with
     *                              protocol and port zero
     */
    static AddressPool read(NotificationPayload n) throws IkeProtocolException {
        ByteBuf b = Unpooled.wrappedBuffer(n.data().toByteArray());
        try {
            IdentificationPayload id;
            try {
                id = IdentificationPayload.decode(b);
            } catch (IkeProtocolException e) {
                throw new IkeProtocolException(NotifyType.INVALID_ID_INFORMATION, "outer-pool notification: "
                        + e.getMessage());
            }
            if (PoolIdentities.selectorProtocol(id) != 0 || PoolIdentities.selectorPort(id) != 0) {
                throw new IkeProtocolException(NotifyType.INVALID_ID_INFORMATION,
                        "outer-pool notification names protocol/port " + id);
            }
            return PoolIdentities.toPool(id);
        } finally {
            b.release();
        }
    }

    private static Octets md5(String s) {
        try {
            return Octets.of(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is part of every Java 17 runtime", e);
        }
    }
}
